package dev.virga.backup;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes one disk of a backup as a raw image. Zero chunks stay holes (the file is sparse). Every chunk's content is
 * checked against its hash before it is written; the image is built under a temporary name next to the target and
 * renamed only when complete, so a damaged chunk leaves no file at all.
 */
final class Restorer {

    private final ChunkStore store;
    private final IndexFiles indexes;

    Restorer(ChunkStore store, IndexFiles indexes) {
        this.store = store;
        this.indexes = indexes;
    }

    RestoreResult restore(String backupId, String disk, Path target) {
        var index = indexes.read(backupId);
        var entries = index.chunksOf(disk);
        var size = index.info().disk(disk).orElseThrow().size();
        var chunkSize = index.info().chunkSize();
        if (Files.exists(target)) {
            throw new IllegalArgumentException("will not restore disk " + disk + " of backup " + backupId
                    + " over the existing file " + target);
        }
        var parent = target.toAbsolutePath().getParent();
        var partial = parent.resolve("." + target.getFileName() + ".restoring-" + java.util.UUID.randomUUID());
        long read = 0;
        long zero = 0;
        var buffers = new ChunkStore.Buffers(chunkSize);
        try {
            try (var file = new RandomAccessFile(partial.toFile(), "rw")) {
                file.setLength(size); // all holes: zero chunks need no write
                var channel = file.getChannel();
                for (int i = 0; i < entries.length; i++) {
                    if (entries[i].equals(ChunkStore.ZERO)) {
                        zero++;
                        continue;
                    }
                    long offset = (long) i * chunkSize;
                    int length = read(backupId, disk, offset, entries[i], buffers);
                    int expected = (int) Math.min(chunkSize, size - offset);
                    if (length != expected) {
                        throw damaged(backupId, disk, offset, entries[i],
                                "its content has " + length + " bytes, the disk needs " + expected + " here");
                    }
                    var buffer = ByteBuffer.wrap(buffers.data, 0, length);
                    while (buffer.hasRemaining()) {
                        channel.write(buffer, offset + buffer.position());
                    }
                    read++;
                }
                channel.force(true);
            }
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            return new RestoreResult(backupId, disk, target, size, read, zero);
        } catch (FileAlreadyExistsException e) {
            deleteQuietly(partial);
            throw new IllegalArgumentException("will not restore over the existing file " + target, e);
        } catch (IOException e) {
            deleteQuietly(partial);
            throw new BackupException.Io("restoring disk " + disk + " of backup " + backupId + " to " + target, e);
        } catch (RuntimeException e) {
            deleteQuietly(partial);
            throw e;
        }
    }

    private int read(String backupId, String disk, long offset, String hash, ChunkStore.Buffers buffers) {
        try {
            return store.read(hash, buffers);
        } catch (ChunkStore.Unreadable e) {
            throw new BackupException.DamagedChunk(
                    new DamagedChunkReport(backupId, disk, offset, hash, e.problem, e.getMessage()));
        }
    }

    private static BackupException damaged(String backupId, String disk, long offset, String hash, String why) {
        return new BackupException.DamagedChunk(new DamagedChunkReport(backupId, disk, offset, hash,
                DamagedChunkReport.Problem.CORRUPT, why));
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // the original failure is what the caller needs to hear about
        }
    }
}
