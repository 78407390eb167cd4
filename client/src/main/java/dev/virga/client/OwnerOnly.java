package dev.virga.client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Files and directories only their owner may read: data directories (0700) and what is in them that holds a
 * secret or says where one is (0600): the SQLite store with the agents' tokens, an agent's membership with its host
 * secret, the logs, {@code up.json}. Java cannot set a umask, so each is set where it is made.
 */
public final class OwnerOnly {
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    private OwnerOnly() {
    }

    /** Creates {@code dir} (and its parents) if needed and makes it 0700. */
    public static Path directory(Path dir) {
        try {
            Files.createDirectories(dir);
            if (POSIX) {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make " + dir + " private to its owner", e);
        }
    }

    /** Creates {@code file} empty if it is missing and makes it 0600 (a log a child process then appends to). */
    public static Path file(Path file) {
        try {
            if (!Files.exists(file)) {
                Files.createFile(file);
            }
            if (POSIX) {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make " + file + " private to its owner", e);
        }
    }

    /** Writes {@code bytes} to {@code file} through a 0600 temporary file and an atomic rename. */
    public static void write(Path file, byte[] bytes) throws IOException {
        var tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        file(tmp);
        Files.write(tmp, bytes);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
