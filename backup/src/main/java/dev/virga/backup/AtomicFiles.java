package dev.virga.backup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * A file appears complete or not at all: it is written under a temporary name in {@code tmp/}, flushed to the disk,
 * and renamed into place; the directory is then flushed so that the rename survives a power cut.
 */
final class AtomicFiles {

    private AtomicFiles() {
    }

    /** A unique name in {@code tmpDir} for a file that will become {@code finalName}. */
    static Path tempFor(Path tmpDir, String finalName) {
        return tmpDir.resolve(finalName + "." + UUID.randomUUID().toString().substring(0, 8) + ".tmp");
    }

    static void write(Path tmpDir, Path target, byte[] content, int length) throws IOException {
        var temp = tempFor(tmpDir, target.getFileName().toString());
        try {
            try (var channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                var buffer = ByteBuffer.wrap(content, 0, length);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
    }

    /** Makes the entries of a directory (creations, renames, deletions) durable. */
    static void syncDirectory(Path dir) throws IOException {
        try (var channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // some file systems (and SMB shares) cannot open a directory for syncing; their renames are then as
            // durable as the file system makes them, nothing more can be asked
            if (!Files.isDirectory(dir)) {
                throw e;
            }
        }
    }
}
