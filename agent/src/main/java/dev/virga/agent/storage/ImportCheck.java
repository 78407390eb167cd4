package dev.virga.agent.storage;

import dev.virga.agent.AgentError;
import dev.virga.qemu.image.ImageManifest;
import dev.virga.qemu.img.CheckResult;
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
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Receives an uploaded file into a work directory, decides whether it is an image Virga can own (a self-contained
 * qcow2, a raw disk, or a Virga image archive), and turns it into the files of an image directory. Only a checked
 * image is ever renamed into the store.
 */
final class ImportCheck {
    private final QemuImg qemuImg = new QemuImg();

    /**
     * An upload that passed the checks, waiting in {@code workDir} to be committed or discarded.
     *
     * @param archived the manifest that came with an image archive; empty for a bare disk
     */
    record Checked(Path workDir, String sha256, long virtualSize, String os, Optional<ImageManifest> archived) {
    }

    /** @param expectedSha256 the checksum the uploader announced (lower-case hex), or empty */
    Checked receive(Path root, InputStream content, Optional<String> expectedSha256) {
        var work = root.resolve(".import-" + UUID.randomUUID());
        try {
            Files.createDirectories(work);
            var received = Upload.receive(content, work, expectedSha256);
            return received.members().isPresent()
                    ? checkArchive(work, received.sha256(), received.members().get())
                    : checkDisk(work, received.sha256());
        } catch (IOException e) {
            Trees.delete(work);
            throw new UncheckedIOException("cannot store the upload under " + root, e);
        } catch (RuntimeException e) {
            Trees.delete(work);
            throw e;
        }
    }

    private Checked checkDisk(Path work, String sha) throws IOException {
        var upload = work.resolve(Upload.FILE);
        var info = inspect(upload);
        var disk = work.resolve(ImageArchive.DISK);
        if (info.format().equals("qcow2")) {
            Files.move(upload, disk);
        } else {
            qemuImg.convert(upload, "raw", disk, "qcow2");
            Files.delete(upload);
        }
        return new Checked(work, sha, info.virtualSize(), info.format().equals("raw") ? "raw disk" : "qcow2 disk",
                Optional.empty());
    }

    /** The unpacked members are already the files of an image directory; they only need checking. */
    private Checked checkArchive(Path work, String sha, List<String> members) {
        var manifest = ArchiveImport.manifest(work, members);
        var disk = work.resolve(ImageArchive.DISK);
        var info = info(disk);
        if (!info.format().equals("qcow2")) {
            throw AgentError.badInput("file", "archive member 'disk.qcow2' is not a qcow2 image (qemu-img reads it "
                    + "as " + info.format() + ")");
        }
        checkQcow2(disk, info, "archive member 'disk.qcow2': ");
        if (members.contains(ImageArchive.KERNEL)) {
            ArchiveImport.checkKernel(work.resolve(ImageArchive.KERNEL));
        }
        if (members.contains(ImageArchive.INITRD)) {
            ArchiveImport.checkInitrd(work.resolve(ImageArchive.INITRD));
        }
        return new Checked(work, sha, info.virtualSize(), manifest.os(), Optional.of(manifest));
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
        var info = info(upload);
        switch (info.format()) {
            case "qcow2" -> checkQcow2(upload, info, "");
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

    private ImageInfo info(Path file) {
        try {
            return qemuImg.info(file, false);
        } catch (QemuImgException e) {
            throw AgentError.badInput("file", "not a disk image qemu-img can read: " + e.getMessage());
        }
    }

    /** A qcow2 Virga owns must stand alone (no backing file) and be whole. */
    private void checkQcow2(Path file, ImageInfo info, String subject) {
        if (info.backingFile().isPresent()) {
            throw AgentError.badInput("file", subject + "the qcow2 image has a backing file ('"
                    + info.backingFile().get() + "'), so it depends on a file outside it; import a "
                    + "self-contained image (qemu-img convert -O qcow2 IN OUT)");
        }
        if (info.dataFile().isPresent()) {
            // its guest data would be read from (and written to) a host file named by whoever made the image
            throw AgentError.badInput("file", subject + "the qcow2 image keeps its data in an external file ('"
                    + info.dataFile().get() + "'); import a self-contained image (qemu-img convert -O qcow2 IN OUT)");
        }
        CheckResult check;
        try {
            check = qemuImg.check(file);
        } catch (QemuImgException e) {
            throw AgentError.badInput("file", subject + "the qcow2 image cannot be checked: " + e.getMessage());
        }
        if (check.corruptions() > 0 || check.checkErrors() > 0 || info.corrupt()) {
            throw AgentError.badInput("file", subject + "the qcow2 image is damaged: " + check.corruptions()
                    + " corruption(s), " + check.checkErrors() + " check error(s)");
        }
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
}
