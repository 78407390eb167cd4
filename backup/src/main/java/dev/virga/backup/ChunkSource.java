package dev.virga.backup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.BitSet;
import java.util.List;

/**
 * Reads one disk for a backup: hands the {@link ChunkSink} every chunk that changed since the parent backup (every
 * chunk for a full backup). A chunk it does not hand over is "unchanged since the parent backup" and keeps the
 * parent's entry. Throwing abandons the whole backup: nothing is listed.
 */
@FunctionalInterface
public interface ChunkSource {

    void read(ChunkSink sink) throws IOException;

    /** Every chunk of a raw image file (or block device, or anything else a {@link FileChannel} can read): a full backup. */
    static ChunkSource wholeFile(Path file) {
        return sink -> {
            var all = new BitSet();
            all.set(0, Math.toIntExact(sink.chunkCount()));
            readChunks(file, all, sink);
        };
    }

    /** The given chunks (by index) of a raw image file: an incremental backup when the changed chunks are known. */
    static ChunkSource chunksOf(Path file, BitSet changedChunks) {
        return sink -> readChunks(file, changedChunks, sink);
    }

    /**
     * The chunks of a raw image file that overlap at least one changed byte range, e.g. the dirty extents of a QEMU
     * dirty bitmap (whose granularity is usually smaller than a chunk: the whole chunk is read).
     */
    static ChunkSource changedRanges(Path file, List<ByteRange> changed) {
        return sink -> {
            var chunks = new BitSet();
            for (var range : changed) {
                if (range.length() == 0) {
                    continue;
                }
                long first = range.offset() / sink.chunkSize();
                long last = Math.min(range.end() - 1, sink.diskSize() - 1) / sink.chunkSize();
                chunks.set(Math.toIntExact(first), Math.toIntExact(last) + 1);
            }
            readChunks(file, chunks, sink);
        };
    }

    private static void readChunks(Path file, BitSet chunks, ChunkSink sink) throws IOException {
        var buffer = ByteBuffer.allocate(sink.chunkSize());
        try (var channel = FileChannel.open(file, StandardOpenOption.READ)) {
            for (int i = chunks.nextSetBit(0); i >= 0 && i < sink.chunkCount(); i = chunks.nextSetBit(i + 1)) {
                int length = sink.chunkLength(i);
                buffer.clear().limit(length);
                long position = (long) i * sink.chunkSize();
                while (buffer.hasRemaining()) {
                    if (channel.read(buffer, position + buffer.position()) < 0) {
                        // past the end of the file: the disk is larger than the file, the rest reads as zeros
                        buffer.put(new byte[buffer.remaining()]);
                    }
                }
                sink.chunk(i, buffer.flip());
            }
        }
    }

    /** A byte range {@code [offset, offset + length)} of a disk. */
    record ByteRange(long offset, long length) {
        public ByteRange {
            if (offset < 0 || length < 0) {
                throw new IllegalArgumentException("a byte range needs offset >= 0 and length >= 0, got " + offset
                        + "+" + length);
            }
        }

        public long end() {
            return offset + length;
        }
    }
}
