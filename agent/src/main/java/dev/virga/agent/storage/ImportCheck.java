package dev.virga.agent.storage;

import dev.virga.agent.AgentError;
import dev.virga.qemu.image.ImageManifest;
import dev.virga.qemu.img.ImageInfo;
import dev.virga.qemu.img.QemuImg;
import dev.virga.qemu.img.QemuImgException;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.UUID;

/**
 * Receives an uploaded file into a work directory, decides whether it is a disk image Virga can own, and turns it
 * into a self-contained qcow2. Only a checked image is ever renamed into the store.
 */
final class ImportCheck {
    private final QemuImg qemuImg = new QemuImg();

    /** An upload that passed the checks, waiting in {@code workDir} to be committed or discarded. */
    record Checked(Path workDir, String sha256, long virtualSize, String os) {
    }

    Checked receive(Path root, InputStream content) {
        var work = root.resolve(".import-" + UUID.randomUUID());
        try {
            Files.createDirectories(work);
            var upload = work.resolve("upload");
            var sha = copyHashing(content, upload);
            var info = inspect(upload);
            var disk = work.resolve("disk.qcow2");
            if (info.format().equals("qcow2")) {
                Files.move(upload, disk);
            } else {
                qemuImg.convert(upload, "raw", disk, "qcow2");
                Files.delete(upload);
            }
            return new Checked(work, sha, info.virtualSize(), info.format().equals("raw") ? "raw disk" : "qcow2 disk");
        } catch (IOException e) {
            Trees.delete(work);
            throw new UncheckedIOException("cannot store the upload under " + root, e);
        } catch (RuntimeException e) {
            Trees.delete(work);
            throw e;
        }
    }

    void commit(Checked checked, Path dir, ImageManifest manifest) {
        manifest.write(checked.workDir());
        try {
            Files.move(checked.workDir(), dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            Trees.delete(checked.workDir());
            throw new UncheckedIOException("cannot move the import into " + dir, e);
        }
    }

    void discard(Checked checked) {
        Trees.delete(checked.workDir());
    }

    private ImageInfo inspect(Path upload) throws IOException {
        ImageInfo info;
        try {
            info = qemuImg.info(upload, false);
        } catch (QemuImgException e) {
            throw AgentError.badInput("file", "not a disk image qemu-img can read: " + e.getMessage());
        }
        switch (info.format()) {
            case "qcow2" -> {
                if (info.backingFile().isPresent()) {
                    throw AgentError.badInput("file", "the qcow2 image has a backing file ('"
                            + info.backingFile().get() + "'), so it depends on a file outside it; import a "
                            + "self-contained image (qemu-img convert -O qcow2 IN OUT)");
                }
                var check = qemuImg.check(upload);
                if (check.corruptions() > 0 || check.checkErrors() > 0 || info.corrupt()) {
                    throw AgentError.badInput("file", "the qcow2 image is damaged: " + check.corruptions()
                            + " corruption(s), " + check.checkErrors() + " check error(s)");
                }
            }
            case "raw" -> {
                if (!looksLikeDisk(upload)) {
                    throw AgentError.badInput("file", "not a disk image: neither qcow2 nor a raw disk with a "
                            + "partition table or a filesystem");
                }
            }
            default -> throw AgentError.badInput("file", "format '" + info.format() + "' is not supported; import "
                    + "qcow2 or raw (qemu-img convert -O qcow2 IN OUT)");
        }
        return info;
    }

    /** A raw file is a disk if it has an MBR/GPT, or starts with an ext2/3/4, XFS, Btrfs or ISO 9660 filesystem. */
    static boolean looksLikeDisk(Path file) throws IOException {
        try (var raf = new RandomAccessFile(file.toFile(), "r")) {
            long size = raf.length();
            if (size < 1024 || size % 512 != 0) {
                return false;
            }
            return bytesAt(raf, 510, 2, new byte[] {0x55, (byte) 0xAA})
                    || bytesAt(raf, 1080, 2, new byte[] {0x53, (byte) 0xEF})
                    || bytesAt(raf, 0, 4, "XFSB".getBytes())
                    || bytesAt(raf, 0x10040, 8, "_BHRfS_M".getBytes())
                    || bytesAt(raf, 0x8001, 5, "CD001".getBytes());
        }
    }

    private static boolean bytesAt(RandomAccessFile raf, long offset, int length, byte[] expected) throws IOException {
        if (raf.length() < offset + length) {
            return false;
        }
        var b = new byte[length];
        raf.seek(offset);
        raf.readFully(b);
        return java.util.Arrays.equals(b, expected);
    }

    private static String copyHashing(InputStream content, Path target) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (var in = new DigestInputStream(content, digest)) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
