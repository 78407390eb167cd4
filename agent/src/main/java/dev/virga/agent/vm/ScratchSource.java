package dev.virga.agent.vm;

import dev.virga.backup.BackupRepository;
import dev.virga.backup.ChunkSink;
import dev.virga.backup.ChunkSource;
import dev.virga.qemu.img.QemuImg;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * The chunks of a disk as a backup copy left them in a scratch qcow2: the clusters QEMU copied (its map's present
 * extents) laid over the parent backup's chunk, or over zeros for a full backup. Only chunks with a present extent
 * are handed over for an incremental; a full one declares the others zero.
 */
final class ScratchSource implements ChunkSource {
    private final Path scratch;
    private final List<QemuImg.Extent> extents;
    private final BackupRepository repo;
    private final String parent;

    /** A piece of one chunk: bytes [from, from + length) of the chunk, from the file at fileOffset (-1: zeros). */
    private record Piece(int from, int length, long fileOffset) {
    }

    ScratchSource(Path scratch, List<QemuImg.Extent> extents, BackupRepository repo, String parent) {
        this.scratch = scratch;
        this.extents = extents;
        this.repo = repo;
        this.parent = parent;
    }

    @Override
    public void read(ChunkSink sink) throws IOException {
        long chunkSize = sink.chunkSize();
        var byChunk = new TreeMap<Long, List<Piece>>();
        for (var x : extents) {
            if (!x.present()) {
                continue;
            }
            for (long at = x.start(); at < x.start() + x.length(); ) {
                long chunk = at / chunkSize;
                long end = Math.min(x.start() + x.length(), (chunk + 1) * chunkSize);
                long fileOffset = x.data() ? x.offset() + (at - x.start()) : -1;
                byChunk.computeIfAbsent(chunk, k -> new ArrayList<>())
                        .add(new Piece((int) (at - chunk * chunkSize), (int) (end - at), fileOffset));
                at = end;
            }
        }
        try (var file = FileChannel.open(scratch, StandardOpenOption.READ)) {
            for (long i = 0; i < sink.chunkCount(); i++) {
                var pieces = byChunk.get(i);
                if (pieces == null) {
                    if (parent.isEmpty()) {
                        sink.zero(i);
                    }
                    continue;
                }
                int length = sink.chunkLength(i);
                byte[] data = parent.isEmpty() ? new byte[length] : repo.readChunk(parent, DiskBackup.DISK, i);
                boolean anyData = !parent.isEmpty();
                for (var p : pieces) {
                    if (p.fileOffset() < 0) {
                        java.util.Arrays.fill(data, p.from(), p.from() + p.length(), (byte) 0);
                        continue;
                    }
                    anyData = true;
                    var buffer = ByteBuffer.wrap(data, p.from(), p.length());
                    while (buffer.hasRemaining()) {
                        if (file.read(buffer, p.fileOffset() + (buffer.position() - p.from())) < 0) {
                            throw new IOException("scratch file " + scratch + " ends before its map says");
                        }
                    }
                }
                if (anyData) {
                    sink.chunk(i, ByteBuffer.wrap(data, 0, length));
                } else {
                    sink.zero(i);
                }
            }
        }
    }
}
