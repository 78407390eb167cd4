package dev.virga.agent.vm;

import dev.virga.agent.AgentError;
import dev.virga.agent.storage.Trees;
import dev.virga.qemu.image.ImageManifest;
import dev.virga.qemu.img.QemuImg;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;

/**
 * Turns a VM's disk at a snapshot into an image: the layers are flattened into one self-contained qcow2, the kernel
 * and initrd the VM boots come along, and the result is stored under its fingerprint like any other image.
 */
final class Publisher {
    private static final Logger LOG = LoggerFactory.getLogger(Publisher.class);
    private final QemuImg img;
    private final Path imagesDir;

    Publisher(QemuImg img, Path imagesDir) {
        this.img = img;
        this.imagesDir = imagesDir;
    }

    /** Flattens {@code layer} (a frozen snapshot layer, or the active layer of a stopped VM). */
    Path publish(VmEntry vm, Path layer, String alias) {
        var def = vm.definition();
        var work = imagesDir.resolve(".publish-" + UUID.randomUUID());
        try {
            Files.createDirectories(work);
            img.convert(layer, "qcow2", work.resolve("disk.qcow2"), "qcow2");
            var kernel = carry(def.kernel(), work, "vmlinux");
            var initrd = carry(def.initrd(), work, "initrd.cpio");
            var fingerprint = sha256(work.resolve("disk.qcow2"), def.kernel(), def.initrd());
            var source = imagesDir.resolve(def.imageFingerprint());
            var base = Files.exists(source.resolve(ImageManifest.FILE_NAME)) ? ImageManifest.read(source) : null;
            var manifest = new ImageManifest(alias, fingerprint, base == null ? "" : base.os(),
                    base == null ? "" : base.kernelRelease(), cmdline(def), kernel, initrd, "disk.qcow2",
                    img.info(work.resolve("disk.qcow2"), false).virtualSize(), Instant.now(),
                    base == null ? Map.of() : base.packages());
            manifest.write(work);
            var target = imagesDir.resolve(fingerprint);
            if (Files.exists(target)) {
                Trees.delete(work);
            } else {
                Files.move(work, target, StandardCopyOption.ATOMIC_MOVE);
            }
            LOG.info("vm {}: published {} as image {} ({})", vm.name(), layer.getFileName(), alias, fingerprint);
            return target;
        } catch (IOException e) {
            Trees.delete(work);
            throw new UncheckedIOException("cannot publish " + vm.name() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            Trees.delete(work);
            throw e;
        }
    }

    /** The kernel line without the per-VM hostname: an image is not one VM. */
    private static String cmdline(VmDefinition def) {
        return def.cmdline().replaceAll("\\s*virga\\.hostname=\\S+", "");
    }

    private static String carry(String file, Path work, String name) throws IOException {
        if (file.isEmpty()) {
            return "";
        }
        var from = Path.of(file);
        if (!Files.exists(from)) {
            throw AgentError.failed("the kernel file " + from + " the VM boots is gone", null);
        }
        try {
            Files.createLink(work.resolve(name), from);
        } catch (IOException | UnsupportedOperationException e) {
            Files.copy(from, work.resolve(name));
        }
        return name;
    }

    private static String sha256(Path disk, String kernel, String initrd) throws IOException {
        MessageDigest d;
        try {
            d = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (var p : new String[] {disk.toString(), kernel, initrd}) {
            if (p.isEmpty()) {
                continue;
            }
            try (InputStream in = new DigestInputStream(Files.newInputStream(Path.of(p)), d)) {
                in.transferTo(java.io.OutputStream.nullOutputStream());
            }
        }
        return HexFormat.of().formatHex(d.digest());
    }
}
