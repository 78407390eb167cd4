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

    /** Gives {@code home} the tiny image without building it again. */
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
