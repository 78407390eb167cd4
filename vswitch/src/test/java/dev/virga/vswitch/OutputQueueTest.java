package dev.virga.vswitch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import org.junit.jupiter.api.Test;

class OutputQueueTest {
    /** A channel that takes at most {@code budget} bytes per write call. */
    static final class Trickle implements GatheringByteChannel {
        final ByteArrayOutputStream taken = new ByteArrayOutputStream();
        int budget;

        Trickle(int budget) {
            this.budget = budget;
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) {
            long n = 0;
            for (int i = offset; i < offset + length && n < budget; i++) {
                while (srcs[i].hasRemaining() && n < budget) {
                    taken.write(srcs[i].get());
                    n++;
                }
            }
            return n;
        }

        @Override
        public long write(ByteBuffer[] srcs) {
            return write(srcs, 0, srcs.length);
        }

        @Override
        public int write(ByteBuffer src) {
            return (int) write(new ByteBuffer[] {src}, 0, 1);
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    static ByteBuffer frame(int length, int fill) {
        ByteBuffer b = ByteBuffer.allocate(length);
        for (int i = 0; i < length; i++) {
            b.put(i, (byte) (fill + i));
        }
        return b;
    }

    @Test
    void framesComeOutInStreamFramingAcrossTheRingsWrapAndPartialWrites() {
        OutputQueue queue = new OutputQueue(8, 300);
        Trickle channel = new Trickle(70);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (int round = 0; round < 50; round++) {
            int length = 60 + round % 37;
            ByteBuffer f = frame(length, round);
            assertThat(queue.offer(f, 0, length)).isTrue();
            expected.write(length >>> 24);
            expected.write(length >>> 16);
            expected.write(length >>> 8);
            expected.write(length);
            expected.write(f.array(), 0, length);
            while (!queue.isEmpty()) {
                try {
                    queue.writeTo(channel);
                } catch (java.io.IOException e) {
                    throw new AssertionError(e);
                }
            }
        }
        assertThat(channel.taken.toByteArray()).isEqualTo(expected.toByteArray());
        assertThat(queue.drainedFrames).isEqualTo(50);
        assertThat(queue.depth()).isZero();
    }

    @Test
    void aFullQueueDropsTheNewFrameByFramesAndByBytes() throws Exception {
        OutputQueue byFrames = new OutputQueue(2, 10_000);
        assertThat(byFrames.offer(frame(60, 0), 0, 60)).isTrue();
        assertThat(byFrames.offer(frame(60, 0), 0, 60)).isTrue();
        assertThat(byFrames.offer(frame(60, 0), 0, 60)).isFalse();
        assertThat(byFrames.depth()).isEqualTo(2);

        OutputQueue byBytes = new OutputQueue(100, 2048);
        assertThat(byBytes.offer(frame(1500, 0), 0, 1500)).isTrue();
        assertThat(byBytes.offer(frame(1500, 0), 0, 1500)).isFalse();
        assertThat(byBytes.offer(frame(500, 0), 0, 500)).isTrue();
        byBytes.writeTo(new Trickle(1504));
        assertThat(byBytes.depth()).isEqualTo(1);
        assertThat(byBytes.drainedBytes).isEqualTo(1500);
    }
}
