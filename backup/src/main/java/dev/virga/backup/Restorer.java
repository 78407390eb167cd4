package dev.virga.backup;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Writes one disk of a backup as a raw image. Zero chunks stay holes (the file is sparse). Every chunk's content is
 * checked against its hash before it is written; the image is built under a temporary name next to the target and
 * renamed only when complete, so a damaged chunk leaves no file at all. Chunks are read, checked and written by a few
 * workers at once (positional writes), at most one more chunk in memory than workers.
 */
final class Restorer {

    private final ChunkStore store;
    private final IndexFiles indexes;
    private final int workers;

    Restorer(ChunkStore store, IndexFiles indexes, int workers) {
        this.store = store;
        this.indexes = indexes;
        this.workers = workers;
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
        try {
            var counts = writeImage(backupId, disk, entries, size, chunkSize, partial);
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            return new RestoreResult(backupId, disk, target, size, counts[0], counts[1]);
        } catch (IOException e) {
            deleteQuietly(partial);
            throw new BackupException.Io("restoring disk " + disk + " of backup " + backupId + " to " + target, e);
        } catch (RuntimeException e) {
            deleteQuietly(partial);
            throw e;
        }
    }

    /** Writes the image at {@code partial}; returns the chunks read and the zero chunks. */
    private long[] writeImage(String backupId, String disk, String[] entries, long size, int chunkSize, Path partial)
            throws IOException {
        var read = new AtomicLong();
        long zero = 0;
        try (var file = new RandomAccessFile(partial.toFile(), "rw")) {
            file.setLength(size); // all holes: zero chunks need no write
            var channel = file.getChannel();
            var failure = new AtomicReference<Exception>();
            try (var pool = Executors.newFixedThreadPool(workers, Thread.ofPlatform().name("restore-", 0)
                    .daemon().factory())) {
                var slots = DiskWriter.slots(workers + 1, chunkSize);
                for (int i = 0; i < entries.length && failure.get() == null; i++) {
                    if (entries[i].equals(ChunkStore.ZERO)) {
                        zero++;
                        continue;
                    }
                    var slot = take(slots);
                    long offset = (long) i * chunkSize;
                    var hash = entries[i];
                    int expected = (int) Math.min(chunkSize, size - offset);
                    pool.execute(() -> {
                        try {
                            writeChunk(backupId, disk, offset, hash, expected, slot, channel);
                            read.incrementAndGet();
                        } catch (IOException | RuntimeException e) {
                            failure.compareAndSet(null, e);
                        } finally {
                            slots.add(slot);
                        }
                    });
                }
            } // closing the pool waits for the chunks in flight
            switch (failure.get()) {
                case null -> channel.force(true);
                case IOException e -> throw e;
                case RuntimeException e -> throw e;
                default -> throw new IllegalStateException(failure.get());
            }
        }
        return new long[]{read.get(), zero};
    }

    /** Reads, checks and writes one chunk (on a worker thread; positional writes to one channel are safe). */
    private void writeChunk(String backupId, String disk, long offset, String hash, int expected,
                            ChunkStore.Buffers buffers, FileChannel channel) throws IOException {
        int length;
        try {
            length = store.read(hash, buffers);
        } catch (ChunkStore.Unreadable e) {
            throw new BackupException.DamagedChunk(
                    new DamagedChunkReport(backupId, disk, offset, hash, e.problem, e.getMessage()));
        }
        if (length != expected) {
            throw damaged(backupId, disk, offset, hash,
                    "its content has " + length + " bytes, the disk needs " + expected + " here");
        }
        var buffer = ByteBuffer.wrap(buffers.data, 0, length);
        while (buffer.hasRemaining()) {
            channel.write(buffer, offset + buffer.position());
        }
    }

    private static ChunkStore.Buffers take(BlockingQueue<ChunkStore.Buffers> slots) throws IOException {
        try {
            return slots.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while restoring", e);
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
