package dev.virga.backup;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;

/**
 * The chunk files: zstd-compressed content named by the SHA-256 of the uncompressed content. A chunk file is written
 * once (temp file, fsync, rename) and never rewritten; a temp file is never taken for a chunk because only complete
 * files carry a chunk's name. Thread-safe; buffers belong to the caller ({@link Buffers}).
 */
final class ChunkStore {

    /** The index entry of an all-zero chunk, which has no file. */
    static final String ZERO = "zero";
    static final int COMPRESSION_LEVEL = 1;

    /** Writes a complete temp file (seam for tests that simulate a full disk). */
    @FunctionalInterface
    interface TempFileWriter {
        void write(Path temp, byte[] content, int length) throws IOException;
    }

    static final TempFileWriter FSYNCED = (temp, content, length) -> {
        try (var channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            var buffer = ByteBuffer.wrap(content, 0, length);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
    };

    /** Why a chunk could not be read. */
    static final class Unreadable extends Exception {
        final DamagedChunkReport.Problem problem;

        Unreadable(DamagedChunkReport.Problem problem, String detail) {
            super(detail, null, false, false);
            this.problem = problem;
        }
    }

    /** Per-thread working memory for one chunk: its content, its compressed form, a digest. */
    static final class Buffers {
        final byte[] data;
        byte[] compressed;
        final MessageDigest sha256;

        Buffers(int chunkSize) {
            data = new byte[chunkSize];
            compressed = new byte[(int) Zstd.compressBound(chunkSize)];
            try {
                sha256 = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("this JDK has no SHA-256", e);
            }
        }

        String hash(int length) {
            sha256.update(data, 0, length);
            return HexFormat.of().formatHex(sha256.digest());
        }
    }

    private final RepositoryLayout layout;
    private final TempFileWriter writer;

    ChunkStore(RepositoryLayout layout, TempFileWriter writer) {
        this.layout = layout;
        this.writer = writer;
    }

    static boolean isAllZero(byte[] data, int length) {
        for (int i = 0; i < length; i += ZEROS.length) {
            int n = Math.min(ZEROS.length, length - i);
            if (java.util.Arrays.mismatch(data, i, i + n, ZEROS, 0, n) != -1) {
                return false;
            }
        }
        return true;
    }

    private static final byte[] ZEROS = new byte[64 * 1024];

    boolean contains(String hash) {
        return Files.isRegularFile(layout.chunk(hash));
    }

    /**
     * Compresses {@code buffers.data[0, length)} and stores it as chunk {@code hash} unless the repository has it.
     * The chunk's directory is added to {@code touched}: the caller syncs those before an index refers to the chunk.
     *
     * @return the compressed bytes written, 0 if the chunk was already there
     */
    long put(String hash, Buffers buffers, int length, Set<Path> touched) throws IOException {
        var target = layout.chunk(hash);
        if (Files.isRegularFile(target)) {
            return 0;
        }
        long n = Zstd.compressByteArray(buffers.compressed, 0, buffers.compressed.length, buffers.data, 0, length,
                COMPRESSION_LEVEL);
        if (Zstd.isError(n)) {
            throw new IOException("zstd could not compress chunk " + hash + ": " + Zstd.getErrorName(n));
        }
        var dir = target.getParent();
        Files.createDirectories(dir);
        var temp = AtomicFiles.tempFor(layout.tmp(), target.getFileName().toString());
        try {
            writer.write(temp, buffers.compressed, (int) n);
            // a concurrent writer of the same content may have renamed its copy first: same bytes, same name
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        touched.add(dir);
        return n;
    }

    /**
     * Reads chunk {@code hash} into {@code buffers.data}, checking that its content has that SHA-256.
     *
     * @return the content's length
     */
    int read(String hash, Buffers buffers) throws Unreadable {
        var path = layout.chunk(hash);
        int compressedLength;
        try (var channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size > buffers.compressed.length) {
                throw new Unreadable(DamagedChunkReport.Problem.CORRUPT, "the file has " + size
                        + " bytes, more than any chunk of this repository compresses to");
            }
            var buffer = ByteBuffer.wrap(buffers.compressed, 0, (int) size);
            while (buffer.hasRemaining()) {
                if (channel.read(buffer) < 0) {
                    break;
                }
            }
            compressedLength = buffer.position();
        } catch (NoSuchFileException e) {
            throw new Unreadable(DamagedChunkReport.Problem.MISSING, "no file " + path);
        } catch (IOException e) {
            throw new Unreadable(DamagedChunkReport.Problem.CORRUPT, "cannot read " + path + ": " + e);
        }
        long n;
        try {
            // zstd-jni reports most errors by throwing, some by an error code
            n = Zstd.decompressByteArray(buffers.data, 0, buffers.data.length, buffers.compressed, 0,
                    compressedLength);
        } catch (ZstdException e) {
            throw new Unreadable(DamagedChunkReport.Problem.CORRUPT, "zstd cannot decompress " + path + ": "
                    + e.getMessage());
        }
        if (Zstd.isError(n)) {
            throw new Unreadable(DamagedChunkReport.Problem.CORRUPT, "zstd cannot decompress " + path + ": "
                    + Zstd.getErrorName(n));
        }
        var actual = buffers.hash((int) n);
        if (!actual.equals(hash)) {
            throw new Unreadable(DamagedChunkReport.Problem.CORRUPT, "its content has SHA-256 " + actual);
        }
        return (int) n;
    }
}
