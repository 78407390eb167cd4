package dev.virga.agent.storage;

import dev.virga.agent.AgentError;
import dev.virga.api.agent.HostImage;
import dev.virga.qemu.image.ImageManifest;
import dev.virga.qemu.image.TinyImageBuilder;
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
 * (plus {@code vmlinux} and {@code initrd.cpio} for images that boot a kernel directly).
 */
public final class ImageStore {
    private static final Logger LOG = LoggerFactory.getLogger(ImageStore.class);
    private final Path root;
    private final ImportCheck importCheck;

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

    /** Checks an uploaded disk image and stores it under the SHA-256 of its content. */
    public Stored importImage(String name, InputStream content) {
        var checked = importCheck.receive(root, content);
        var dir = root.resolve(checked.sha256());
        if (Files.isDirectory(dir)) {
            importCheck.discard(checked);
            return new Stored(dir, ImageManifest.read(dir));
        }
        var manifest = new ImageManifest(name, checked.sha256(), checked.os(), "", "", "", "", "disk.qcow2",
                checked.virtualSize(), Instant.now(), Map.of());
        importCheck.commit(checked, dir, manifest);
        LOG.info("imported image {} as {}", name, checked.sha256());
        return new Stored(dir, manifest);
    }

    public void delete(String fingerprint, List<String> usedBy) {
        var stored = get(fingerprint);
        if (!usedBy.isEmpty()) {
            throw AgentError.conflict("image " + fingerprint.substring(0, 12) + " is used by " + String.join(", ", usedBy));
        }
        Trees.delete(stored.dir());
    }
}
