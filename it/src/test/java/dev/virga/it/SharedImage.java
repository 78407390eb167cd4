package dev.virga.it;

import dev.virga.qemu.image.TinyImageBuilder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The tiny image, built once for the whole test run (into {@code virga.image.cache}) and hard-linked into each test's
 * fresh data directory, where {@code virga image build tiny} then finds it cached. Base images are read-only, so
 * sharing their inodes is safe.
 */
final class SharedImage {
    private static Path cache;

    private SharedImage() {
    }

    static synchronized Path cache() {
        if (cache == null) {
            var dir = Path.of(System.getProperty("virga.image.cache", "target/it-images")).toAbsolutePath();
            long t0 = System.nanoTime();
            // integration tests run in two JVMs at once (failsafe forkCount): one builds, the other waits for it
            dev.virga.qemu.image.BuiltImage built;
            try {
                Files.createDirectories(dir);
                try (var lockFile = java.nio.channels.FileChannel.open(dir.resolve(".build.lock"),
                        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
                     var lock = lockFile.lock()) {
                    built = new TinyImageBuilder(dir).build(line -> System.out.println("[tiny] " + line));
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot lock the image cache " + dir, e);
            }
            System.out.printf("[tiny] %s (%s) in %d ms%n", built.manifest().fingerprint(),
                    built.cached() ? "cached" : "built", (System.nanoTime() - t0) / 1_000_000);
            cache = dir;
        }
        return cache;
    }

    /**
     * Keeps the warm states that {@code virga image build tiny} made in {@code home} (its first run in a test
     * run boots tiny once to make them) in the cache, so the next homes get them linked instead of booting again;
     * a state made anew because the cached one no longer fits (another Virga) replaces it.
     */
    static synchronized void keepWarmStates(Path home) throws IOException, InterruptedException {
        var cacheDir = cache();
        try (var lockFile = java.nio.channels.FileChannel.open(cacheDir.resolve(".build.lock"),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
             var lock = lockFile.lock();
             var images = Files.list(home.resolve("images"))) {
            for (var image : images.filter(p -> !p.getFileName().toString().startsWith(".")).toList()) {
                var warm = image.resolve("warm");
                if (!Files.isDirectory(warm) || !Files.isDirectory(cacheDir.resolve(image.getFileName()))) {
                    continue;
                }
                try (var states = Files.list(warm)) {
                    for (var state : states.filter(p -> !p.getFileName().toString().startsWith(".")).toList()) {
                        var cached = cacheDir.resolve(image.getFileName()).resolve("warm").resolve(state.getFileName());
                        if (Files.exists(cached) && Files.readString(cached.resolve("warm.json"))
                                .equals(Files.readString(state.resolve("warm.json")))) {
                            continue;
                        }
                        var tmp = cached.resolveSibling(".tmp-" + state.getFileName());
                        run(List.of("rm", "-rf", tmp.toString()));
                        Files.createDirectories(tmp.getParent());
                        run(List.of("cp", "-a", state.toString(), tmp.toString()));
                        run(List.of("rm", "-rf", cached.toString()));
                        Files.move(tmp, cached, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                        System.out.println("[tiny] warm state " + state.getFileName() + " kept in " + cached);
                    }
                }
            }
        }
    }

    private static void run(List<String> argv) throws IOException, InterruptedException {
        var p = new ProcessBuilder(argv).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", argv) + " failed");
        }
    }

    /** Gives {@code home} the tiny image (with the warm states kept so far) without building it again. */
    static void linkInto(Path home) throws IOException, InterruptedException {
        var images = home.resolve("images");
        Files.createDirectories(images);
        try (var entries = Files.list(cache())) {
            for (var e : entries.filter(p -> !p.getFileName().toString().startsWith(".")).toList()) {
                var p = new ProcessBuilder(List.of("cp", "-al", e.toString(), images.toString()))
                        .inheritIO().start();
                if (p.waitFor() != 0) {
                    throw new IOException("cp -al " + e + " failed");
                }
            }
        }
    }
}
