package dev.virga.vswitch;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;

/**
 * The bounded queue of frames waiting to be written to one vNIC, already in QEMU's stream framing
 * (4-byte big-endian length + frame) in a preallocated byte ring, so one gathering write sends many
 * frames. Full (by frames or by bytes) means drop-tail: a slow vNIC loses its own frames and never
 * stalls the others.
 */
final class OutputQueue {
    private final ByteBuffer ring;
    private final int capacity;
    private final ByteBuffer[] views;
    private final long[] frameEnds;
    private final int maxFrames;
    private long head;
    private long tail;
    private int firstFrame;
    private int frames;
    private long lastFrameEnd;
    /** Frames and frame bytes written to the socket so far (transmit counters, drain rate). */
    long drainedFrames;
    long drainedBytes;

    OutputQueue(int maxFrames, int capacityBytes) {
        this.capacity = capacityBytes;
        this.ring = ByteBuffer.allocateDirect(capacityBytes);
        this.views = new ByteBuffer[] {ring.duplicate(), ring.duplicate()};
        this.maxFrames = maxFrames;
        this.frameEnds = new long[maxFrames];
    }

    int depth() {
        return frames;
    }

    boolean isEmpty() {
        return head == tail;
    }

    /** Appends a frame; false (nothing queued) when the queue is full. */
    boolean offer(ByteBuffer src, int offset, int length) {
        int need = 4 + length;
        if (frames == maxFrames || tail - head + need > capacity) {
            return false;
        }
        int at = (int) (tail % capacity);
        if (at + 4 <= capacity) {
            ring.putInt(at, length);
        } else {
            for (int i = 0; i < 4; i++) {
                ring.put((at + i) % capacity, (byte) (length >>> (24 - 8 * i)));
            }
        }
        int data = (int) ((tail + 4) % capacity);
        int first = Math.min(length, capacity - data);
        ring.put(data, src, offset, first);
        if (first < length) {
            ring.put(0, src, offset + first, length - first);
        }
        tail += need;
        frameEnds[(firstFrame + frames) % maxFrames] = tail;
        frames++;
        return true;
    }

    /**
     * Writes as much as the channel takes. Returns true when the queue is empty afterwards, false when
     * the channel is full and the rest must wait for it to become writable.
     */
    boolean writeTo(GatheringByteChannel channel) throws IOException {
        while (head < tail) {
            int at = (int) (head % capacity);
            long pending = tail - head;
            int first = (int) Math.min(pending, capacity - at);
            views[0].clear().position(at).limit(at + first);
            int count = 1;
            if (first < pending) {
                views[1].clear().limit((int) (pending - first));
                count = 2;
            }
            long written = channel.write(views, 0, count);
            if (written <= 0) {
                return false;
            }
            head += written;
            while (frames > 0 && frameEnds[firstFrame] <= head) {
                drainedBytes += frameEnds[firstFrame] - lastFrameEnd - 4;
                lastFrameEnd = frameEnds[firstFrame];
                firstFrame = (firstFrame + 1) % maxFrames;
                frames--;
                drainedFrames++;
            }
            if (written < pending) {
                return false;
            }
        }
        head = 0;
        tail = 0;
        lastFrameEnd = 0;
        return true;
    }

    /** Forgets every queued frame (the connection they were for is gone); returns how many. */
    int clear() {
        int dropped = frames;
        head = 0;
        tail = 0;
        lastFrameEnd = 0;
        firstFrame = 0;
        frames = 0;
        return dropped;
    }
}
