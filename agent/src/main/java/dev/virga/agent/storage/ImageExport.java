package dev.virga.agent.storage;

import dev.virga.agent.AgentError;
import dev.virga.agent.Undo;
import dev.virga.qemu.image.ImageManifest;
import dev.virga.qemu.img.QemuImg;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.UUID;

import static dev.virga.agent.storage.ImageArchive.DISK;
import static dev.virga.agent.storage.ImageArchive.INITRD;
import static dev.virga.agent.storage.ImageArchive.KERNEL;
import static dev.virga.agent.storage.ImageArchive.MANIFEST;

/**
 * Writes a stored image as an image archive into a temporary {@code .export-*} directory of the store. The archive
 * is made whole before it is sent so that its SHA-256 can go ahead of it (a header), and so that a slow reader does
 * not hold the image's files open.
 */
final class ImageExport {
    private static final String ARCHIVE = "image.tar";
    private final QemuImg qemuImg;

    ImageExport(QemuImg qemuImg) {
        this.qemuImg = qemuImg;
    }

    /** @param name the name the image is known by (the catalog's), written into the archive's manifest */
    ExportFile write(Path root, ImageStore.Stored image, String name) {
        var work = root.resolve(".export-" + UUID.randomUUID());
        try (var undo = new Undo()) {
            Files.createDirectories(work);
            undo.push("remove " + work, () -> Trees.delete(work));
            var manifest = manifestFor(image.manifest(), name);
            manifest.write(work);
            var members = new ArrayList<ImageArchive.Member>();
            members.add(new ImageArchive.Member(MANIFEST, work.resolve(MANIFEST)));
            members.add(new ImageArchive.Member(DISK, selfContainedDisk(image, work)));
            image.kernel().ifPresent(kernel -> members.add(new ImageArchive.Member(KERNEL, kernel)));
            image.initrd().ifPresent(initrd -> members.add(new ImageArchive.Member(INITRD, initrd)));
            var archive = work.resolve(ARCHIVE);
            var written = ImageArchive.write(members, manifest.created(), archive);
            undo.keep();
            return new ExportFile(archive, written.sha256(), written.size());
        } catch (IOException e) {
            throw AgentError.failed("cannot export image " + image.manifest().fingerprint() + ": " + e.getMessage(),
                    e);
        }
    }

    /** The stored manifest under the catalog's name, with the member names the archive uses. */
    static ImageManifest manifestFor(ImageManifest m, String name) {
        return new ImageManifest(name.isEmpty() ? m.name() : name, m.fingerprint(), m.os(), m.kernelRelease(),
                m.cmdline(), m.kernel().isEmpty() ? "" : KERNEL, m.initrd().isEmpty() ? "" : INITRD, DISK,
                m.virtualSize(), m.created(), m.packages());
    }

    /**
     * The disk as one file: as stored when it stands alone, else flattened with {@code qemu-img convert}, whose
     * output depends only on the guest-visible content, so exports stay reproducible.
     */
    private Path selfContainedDisk(ImageStore.Stored image, Path work) {
        var info = qemuImg.info(image.disk(), true);
        if (info.backingFile().isEmpty()) {
            return image.disk();
        }
        var flat = work.resolve(DISK);
        qemuImg.convert(image.disk(), "qcow2", flat, "qcow2");
        return flat;
    }
}
