package dev.virga.agent.storage;

import dev.virga.agent.AgentError;
import dev.virga.api.agent.HostImage;
import dev.virga.qemu.image.ImageManifest;
import dev.virga.qemu.image.TinyImageBuilder;
import dev.virga.qemu.img.QemuImg;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Images on this host, one directory per fingerprint holding {@code metadata.json} and {@code disk.qcow2}
 * (plus {@code vmlinux} and {@code initrd.cpio} for images that boot a kernel directly). Imports and exports work in
 * {@code .import-*} and {@code .export-*} directories beside them, which {@link #list()} skips.
 */
public final class ImageStore {
    private static final Logger LOG = LoggerFactory.getLogger(ImageStore.class);
    private final Path root;
    private final ImportCheck importCheck;
    private final ImageExport export;

    /** A stored image: its directory and manifest. */
    public record Stored(Path dir, ImageManifest manifest) {
        public Path disk() {
            return dir.resolve(manifest.disk());
        }

        public Optional<Path> kernel() {
            return manifest.kernel().isEmpty() ? Optional.empty() : Optional.of(dir.resolve(manifest.kernel()));
        }

        public Optional<Path> initrd() {
            return manifest.initrd().isEmpty() ? Optional.empty() : Optional.of(dir.resolve(manifest.initrd()));
        }

        public HostImage toHostImage() {
            long size;
            try {
                size = Files.size(disk());
            } catch (IOException e) {
                size = 0;
            }
            return new HostImage(manifest.fingerprint(), manifest.name(), "qcow2", manifest.virtualSize(), size,
                    manifest.os(), kernel().isPresent());
        }
    }

    public ImageStore(Path root) {
        this.root = root;
        this.importCheck = new ImportCheck();
        this.export = new ImageExport(new QemuImg());
        removeLeftovers();
    }

    /** Work directories of imports and exports that a killed agent did not finish; nobody else uses them. */
    private void removeLeftovers() {
        if (!Files.isDirectory(root)) {
            return;
        }
        try (Stream<Path> entries = Files.list(root)) {
            for (var dir : entries.filter(p -> p.getFileName().toString().startsWith(".import-")
                    || p.getFileName().toString().startsWith(".export-")).toList()) {
                LOG.info("removing {}, left by an import or export that did not finish", dir);
                Trees.delete(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root, e);
        }
    }

    public List<Stored> list() {
        var out = new ArrayList<Stored>();
        try (Stream<Path> dirs = Files.list(root)) {
            for (var dir : dirs.filter(Files::isDirectory).filter(d -> !d.getFileName().toString().startsWith("."))
                    .sorted().toList()) {
                try {
                    out.add(new Stored(dir, ImageManifest.read(dir)));
                } catch (RuntimeException e) {
                    LOG.warn("ignoring {}: no readable metadata.json ({})", dir, e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    public Stored get(String fingerprint) {
        var dir = root.resolve(fingerprint);
        if (!fingerprint.matches("[0-9a-f]{64}") || !Files.isRegularFile(dir.resolve("metadata.json"))) {
            throw AgentError.notFound("image", fingerprint);
        }
        return new Stored(dir, ImageManifest.read(dir));
    }

    /** Builds (or finds in the cache) a built-in recipe. */
    public Stored build(String recipe) {
        if (!"tiny".equals(recipe)) {
            throw AgentError.badInput("recipe", "'" + recipe + "' is not a known recipe (known: tiny)");
        }
        var built = new TinyImageBuilder(root).build(line -> LOG.info("image {}: {}", recipe, line));
        return new Stored(built.dir(), built.manifest());
    }

    /** Checks an uploaded image (qcow2, raw disk or image archive) and stores it under the SHA-256 of the upload. */
    public Stored importImage(String name, InputStream content) {
        return store(name, importCheck.receive(root, content, Optional.empty()));
    }

    /**
     * As {@link #importImage(String, InputStream)}, refusing the upload (400 {@code sha256: ...}) unless its SHA-256
     * is {@code expectedSha256}.
     */
    public Stored importImage(String name, InputStream content, String expectedSha256) {
        var expected = Sha256.parse(expectedSha256);
        return store(name, importCheck.receive(root, content, Optional.of(expected)));
    }

    /**
     * A copy of an image another host of this cluster holds, sent by the control plane as that host's image
     * archive: stored under the fingerprint the archive's manifest names (a built image's fingerprint is its
     * recipe's, not its bytes'), so every host names the same image alike. Only the control plane calls this; a
     * user's upload goes through {@link #importImage(String, InputStream, String)} and is named by its bytes.
     */
    public Stored replicate(String name, InputStream content, String expectedSha256) {
        var checked = importCheck.receive(root, content, Optional.of(Sha256.parse(expectedSha256)));
        var fingerprint = checked.archived().map(ImageManifest::fingerprint).orElse("");
        if (!fingerprint.matches("[0-9a-f]{64}")) {
            importCheck.discard(checked);
            throw AgentError.badInput("archive", "a replicated image must be an image archive naming its "
                    + "fingerprint");
        }
        return store(name, checked, fingerprint);
    }

    private Stored store(String name, ImportCheck.Checked checked) {
        return store(name, checked, checked.sha256());
    }

    private Stored store(String name, ImportCheck.Checked checked, String fingerprint) {
        var dir = root.resolve(fingerprint);
        if (Files.isDirectory(dir)) {
            importCheck.discard(checked);
            return new Stored(dir, ImageManifest.read(dir));
        }
        var manifest = manifestFor(name, checked, fingerprint);
        importCheck.commit(checked, dir, manifest);
        LOG.info("imported image {} as {}{}", name, checked.sha256(), checked.archived().isPresent()
                ? " (image archive" + (manifest.kernel().isEmpty() ? ")" : ", boots a kernel)") : "");
        return new Stored(dir, manifest);
    }

    /**
     * An archive's manifest keeps how to boot the image and where it came from; the name and the fingerprint are
     * this host's, and the files are where the archive put them.
     */
    private static ImageManifest manifestFor(String name, ImportCheck.Checked checked, String fingerprint) {
        return checked.archived().map(a -> new ImageManifest(name, fingerprint, a.os(), a.kernelRelease(),
                        a.cmdline(), a.kernel().isEmpty() ? "" : ImageArchive.KERNEL,
                        a.initrd().isEmpty() ? "" : ImageArchive.INITRD, ImageArchive.DISK, checked.virtualSize(),
                        a.created(), a.packages()))
                .orElseGet(() -> new ImageManifest(name, checked.sha256(), checked.os(), "", "", "", "",
                        ImageArchive.DISK, checked.virtualSize(), Instant.now(), Map.of()));
    }

    /**
     * Writes the image as an image archive (see {@link ImageArchive}) into a temporary file of the store; closing
     * the result removes it.
     *
     * @param name the name the image is known by, for the archive's manifest ("" for the stored one)
     */
    public ExportFile export(String fingerprint, String name) {
        return export.write(root, get(fingerprint), name);
    }

    public void delete(String fingerprint, List<String> usedBy) {
        var stored = get(fingerprint);
        if (!usedBy.isEmpty()) {
            throw AgentError.conflict("image " + fingerprint.substring(0, 12) + " is used by " + String.join(", ", usedBy));
        }
        Trees.delete(stored.dir());
    }
}
