package dev.virga.agent.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Removing a directory tree, or one file that may already be gone. */
public final class Trees {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Trees.class);

    private Trees() {
    }

    /** Removes a file if it is there; a failure is only logged (the caller has nothing better to do). */
    public static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", file, e.toString());
        }
    }

    public static void delete(Path dir) {
        for (int attempt = 1; ; attempt++) {
            try {
                deleteOnce(dir);
                return;
            } catch (java.nio.file.DirectoryNotEmptyException e) {
                // something (a dying QEMU, a log) wrote into it while we walked: walk again
                if (attempt == 3) {
                    throw new UncheckedIOException("cannot remove " + dir + ": files keep appearing in it", e);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove " + dir + ": " + e, e);
            }
        }
    }

    private static void deleteOnce(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (var p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (UncheckedIOException e) {
            // a file vanished under the walk
            throw e.getCause();
        }
    }
}
