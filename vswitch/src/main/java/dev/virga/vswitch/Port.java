package dev.virga.vswitch;

import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.Optional;

/** One attached VM NIC: its spec, its connection to QEMU, its buffers and its counters. Loop thread only. */
final class Port {
    /** QEMU's frames are at most 64 KiB (16-bit length in practice); a read buffer holds at least one whole. */
    static final int READ_BUFFER = 128 * 1024;
    static final int MAX_FRAME = 65535;

    final PortSpec spec;
    final int index;
    final Optional<String> idOptional;
    final long mac;
    final int ip;
    final Segment segment;
    final ByteBuffer readBuffer = ByteBuffer.allocateDirect(READ_BUFFER);
    final ByteBuffer frameView = readBuffer.duplicate();
    final OutputQueue out;

    SocketChannel channel;
    SelectionKey key;
    boolean connected;
    long nextDialAt;
    long backoffMillis;
    int failedDials;
    /** In the list of ports to flush at the end of this loop iteration. */
    boolean flushPending;
    boolean detached;

    long rxFrames;
    long rxBytes;
    long txFrames;
    long txBytes;
    long queueDrops;
    long spoofDrops;
    long filtered;
    long connects;

    /** Frames per second this vNIC has been taking from its queue recently (exponential average). */
    double drainRate;
    long drainedAtLastTick;

    Port(PortSpec spec, int index, Segment segment, int queueFrames, int queueBytes) {
        this.spec = spec;
        this.index = index;
        this.idOptional = Optional.of(spec.id());
        this.mac = spec.mac().value();
        this.ip = spec.ip().value();
        this.segment = segment;
        this.out = new OutputQueue(queueFrames, queueBytes);
    }

    boolean hasAddress() {
        return ip != 0;
    }

    @Override
    public String toString() {
        return "port " + spec.id();
    }
}
