package dev.virga.backup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Random;

/** A disk image in memory for tests: random content with some all-zero chunks, written to a raw file on demand. */
final class TestImage {

    final int chunkSize;
    final byte[] bytes;
    private final Random random;

    TestImage(long seed, int size, int chunkSize) {
        this(seed, new byte[size], chunkSize);
        random.nextBytes(bytes);
    }

    private TestImage(long seed, byte[] bytes, int chunkSize) {
        this.chunkSize = chunkSize;
        this.bytes = bytes;
        this.random = new Random(seed);
    }

    /** The same content, changed independently from now on. */
    TestImage copy(long seed) {
        return new TestImage(seed, bytes.clone(), chunkSize);
    }

    int chunks() {
        return (bytes.length + chunkSize - 1) / chunkSize;
    }

    TestImage zeroChunk(int index) {
        Arrays.fill(bytes, index * chunkSize, Math.min(bytes.length, (index + 1) * chunkSize), (byte) 0);
        return this;
    }

    /** Changes a few bytes inside each given chunk; returns the changed chunks. */
    BitSet change(int... indexes) {
        var changed = new BitSet();
        for (int index : indexes) {
            int offset = index * chunkSize + random.nextInt(Math.min(chunkSize, bytes.length - index * chunkSize) - 8);
            for (int i = 0; i < 8; i++) {
                bytes[offset + i] = (byte) random.nextInt();
            }
            changed.set(index);
        }
        return changed;
    }

    Path write(Path file) throws IOException {
        Files.write(file, bytes);
        return file;
    }
}
