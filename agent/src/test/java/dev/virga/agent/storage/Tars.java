package dev.virga.agent.storage;

import dev.virga.qemu.image.ImageManifest;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;

/** Hand-made tar archives for tests, including the kinds an attacker would send. */
final class Tars {
    static final Instant CREATED = Instant.parse("2026-01-02T03:04:05.678Z");

    private Tars() {
    }

    record Entry(String name, byte[] data, byte type, String link) {
    }

    static Entry file(String name, byte[] data) {
        return new Entry(name, data, TarConstants.LF_NORMAL, "");
    }

    static Entry file(String name, String text) {
        return file(name, text.getBytes());
    }

    static Entry symlink(String name, String target) {
        return new Entry(name, new byte[0], TarConstants.LF_SYMLINK, target);
    }

    static Entry hardlink(String name, String target) {
        return new Entry(name, new byte[0], TarConstants.LF_LINK, target);
    }

    static Entry dir(String name) {
        return new Entry(name, new byte[0], TarConstants.LF_DIR, "");
    }

    static byte[] tar(Entry... entries) {
        var bytes = new ByteArrayOutputStream();
        try (var tar = new TarArchiveOutputStream(bytes, "UTF-8")) {
            for (var e : entries) {
                var entry = new TarArchiveEntry(e.name(), e.type(), true);
                if (e.type() == TarConstants.LF_NORMAL) {
                    entry.setSize(e.data().length);
                }
                if (!e.link().isEmpty()) {
                    entry.setLinkName(e.link());
                }
                tar.putArchiveEntry(entry);
                tar.write(e.data());
                tar.closeArchiveEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** A manifest as an export writes it; {@code kernel} decides whether it boots a kernel. */
    static byte[] manifest(boolean kernel) {
        try {
            var dir = Files.createTempDirectory("manifest");
            new ImageManifest("tiny", "ab".repeat(32), "Test OS 1", kernel ? "6.1.0-test" : "",
                    kernel ? "console=ttyS0 root=/dev/vda" : "", kernel ? "vmlinux" : "", kernel ? "initrd.cpio" : "",
                    "disk.qcow2", 1 << 20, CREATED, Map.of("busybox-static", "1:1.35")).write(dir);
            var bytes = Files.readAllBytes(dir.resolve("metadata.json"));
            Files.delete(dir.resolve("metadata.json"));
            Files.delete(dir);
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The first bytes of an ELF file: enough for the kernel check. */
    static byte[] elf() {
        var b = new byte[4096];
        b[0] = 0x7f;
        b[1] = 'E';
        b[2] = 'L';
        b[3] = 'F';
        return b;
    }

    static byte[] cpio() {
        return "070701".getBytes();
    }

    static byte[] cut(byte[] bytes, int length) {
        return Arrays.copyOf(bytes, length);
    }

    static Path write(Path dir, String name, byte[] bytes) {
        try {
            return Files.write(dir.resolve(name), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
