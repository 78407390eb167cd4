package dev.virga.backup;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Where a {@link ChunkSource} hands the chunks of one disk. Chunk {@code i} covers bytes
 * {@code [i * chunkSize(), min((i + 1) * chunkSize(), diskSize()))}; every chunk is whole (the last one may be
 * shorter). Chunks may come in any order, each at most once, from one thread at a time.
 */
public interface ChunkSink {

    int chunkSize();

    long diskSize();

    default long chunkCount() {
        return (diskSize() + chunkSize() - 1) / chunkSize();
    }

    /** The byte length of chunk {@code index} (the chunk size, or less for the last chunk). */
    default int chunkLength(long index) {
        return (int) Math.min(chunkSize(), diskSize() - index * chunkSize());
    }

    /**
     * The content of a chunk that changed. The remaining bytes of {@code data} must be exactly
     * {@link #chunkLength(long)}; the buffer is not kept after the call returns and may be reused by the caller.
     */
    void chunk(long index, ByteBuffer data) throws IOException;

    /** Declares a chunk all-zero without handing its bytes (e.g. an unallocated extent of the disk). */
    void zero(long index) throws IOException;
}
