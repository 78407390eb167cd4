package dev.virga.backup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;

/**
 * The sink for one disk of a backup: each chunk handed over is copied into a free slot and hashed, compressed and
 * stored by a worker while the source reads the next one (so reading, hashing and compressing overlap). At most
 * {@code slots} chunks are in flight: a fast source waits for the workers.
 */
final class DiskWriter implements ChunkSink {

    private final Path repository;
    private final String disk;
    private final long diskSize;
    private final int chunkSize;
    private final ChunkStore store;
    private final Set<String> storedThisBackup;
    private final Set<Path> touchedDirectories;
    private final ExecutorService workers;
    private final BlockingQueue<ChunkStore.Buffers> free;
    private final int slots;
    private final String[] entries;
    private final BitSet handed = new BitSet();
    private final StatsCounter stats;
    private volatile RuntimeException failure;

    DiskWriter(Path repository, DiskSource source, int chunkSize, ChunkStore store, Set<String> storedThisBackup,
               Set<Path> touchedDirectories, ExecutorService workers, BlockingQueue<ChunkStore.Buffers> free,
               StatsCounter stats) {
        this.repository = repository;
        this.disk = source.name();
        this.diskSize = source.size();
        this.chunkSize = chunkSize;
        this.store = store;
        this.storedThisBackup = storedThisBackup;
        this.touchedDirectories = touchedDirectories;
        this.workers = workers;
        this.free = free;
        this.slots = free.size();
        this.stats = stats;
        long count = (diskSize + chunkSize - 1) / chunkSize;
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("disk " + disk + " of " + diskSize + " bytes has too many chunks");
        }
        this.entries = new String[(int) count];
    }

    static BlockingQueue<ChunkStore.Buffers> slots(int count, int chunkSize) {
        var queue = new ArrayBlockingQueue<ChunkStore.Buffers>(count);
        for (int i = 0; i < count; i++) {
            queue.add(new ChunkStore.Buffers(chunkSize));
        }
        return queue;
    }

    @Override
    public int chunkSize() {
        return chunkSize;
    }

    @Override
    public long diskSize() {
        return diskSize;
    }

    @Override
    public void chunk(long index, ByteBuffer data) throws IOException {
        claim(index);
        int length = chunkLength(index);
        if (data.remaining() != length) {
            throw new IllegalArgumentException("chunk " + index + " of disk " + disk + " must have " + length
                    + " bytes, the source handed " + data.remaining());
        }
        var slot = takeSlot();
        data.get(data.position(), slot.data, 0, length);
        workers.execute(() -> store(slot, (int) index, length));
    }

    @Override
    public void zero(long index) {
        claim(index);
        entries[(int) index] = ChunkStore.ZERO;
        stats.zero(disk, 0);
    }

    private void claim(long index) {
        rethrowFailure();
        if (index < 0 || index >= entries.length) {
            throw new IllegalArgumentException("chunk " + index + " is outside disk " + disk + " (" + entries.length
                    + " chunks)");
        }
        if (handed.get((int) index)) {
            throw new IllegalArgumentException("chunk " + index + " of disk " + disk + " was handed twice");
        }
        handed.set((int) index);
    }

    private ChunkStore.Buffers takeSlot() throws IOException {
        try {
            return free.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while backing up disk " + disk, e);
        }
    }

    private void store(ChunkStore.Buffers slot, int index, int length) {
        try {
            if (failure != null) {
                return;
            }
            if (ChunkStore.isAllZero(slot.data, length)) {
                entries[index] = ChunkStore.ZERO;
                stats.zero(disk, length);
                return;
            }
            var hash = slot.hash(length);
            entries[index] = hash;
            if (!storedThisBackup.add(hash)) {
                stats.reused(disk, length);
                return;
            }
            long written = store.put(hash, slot, length, touchedDirectories);
            if (written == 0) {
                stats.reused(disk, length);
            } else {
                stats.stored(disk, length, written);
            }
        } catch (IOException e) {
            failure = IoErrors.translate(repository, "writing chunk " + index + " of disk " + disk, e);
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            free.add(slot);
        }
    }

    /** Waits for the chunks in flight; returns the disk's chunk list, filling what was not handed from the parent. */
    String[] finish(String[] parentEntries, String parentId) throws IOException {
        awaitInFlight();
        rethrowFailure();
        for (int i = 0; i < entries.length; i++) {
            if (handed.get(i)) {
                continue;
            }
            if (parentEntries == null) {
                throw new IllegalStateException("chunk " + i + " (offset " + (long) i * chunkSize + ") of disk " + disk
                        + " was not read, and " + (parentId.isEmpty() ? "this is a full backup"
                        : "the parent backup " + parentId + " has no disk " + disk + " of " + diskSize + " bytes")
                        + ": every chunk must be read");
            }
            entries[i] = parentEntries[i];
            stats.unchanged(disk);
        }
        return entries;
    }

    /** All slots back in the queue means no worker is busy with this disk. */
    void awaitInFlight() throws IOException {
        var taken = new ChunkStore.Buffers[slots];
        try {
            for (int i = 0; i < slots; i++) {
                taken[i] = free.take();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while backing up disk " + disk, e);
        } finally {
            for (var slot : taken) {
                if (slot != null) {
                    free.add(slot);
                }
            }
        }
    }

    private void rethrowFailure() {
        if (failure != null) {
            throw failure;
        }
    }
}
