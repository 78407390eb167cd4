package dev.virga.vswitch;

import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * The frame a {@link Stage} is looking at, and what the switch has decided about it so far. One
 * instance is reused for every frame (no allocation per frame); never keep a reference to it.
 */
public final class Packet {
    ByteBuffer buf;
    private ByteBuffer view;
    int offset;
    int length;
    /** The local port the frame came from; null when it came over the overlay. */
    Port ingress;
    /**
     * The remote host it came from (index in {@link RemoteHosts}) when it came over the overlay; -1 when it
     * came from a port, or over the overlay from a switch that cannot be told apart ({@link RemoteHosts#UNKNOWN}).
     */
    int remoteSource = -1;
    Segment segment;
    /** Set when the destination is known: a local port ... */
    Port egressPort;
    /** ... or a remote host (index), else -1 ... */
    int egressRemote = -1;
    /** ... or every other member of the segment. */
    boolean flood;

    void reset(ByteBuffer buf, ByteBuffer view, int offset, int length, Port ingress, int remoteSource,
               Segment segment) {
        this.buf = buf;
        this.view = view;
        this.offset = offset;
        this.length = length;
        this.ingress = ingress;
        this.remoteSource = remoteSource;
        this.segment = segment;
        this.egressPort = null;
        this.egressRemote = -1;
        this.flood = false;
    }

    /**
     * The frame's bytes (Ethernet header first), from {@code position()} to {@code limit()}. Writes go
     * to the frame itself. Use absolute gets relative to {@code position()}.
     */
    public ByteBuffer frame() {
        view.clear();
        view.position(offset).limit(offset + length);
        return view;
    }

    public int length() {
        return length;
    }

    public int vni() {
        return segment.vni;
    }

    public boolean fromOverlay() {
        return ingress == null;
    }

    /** The port the frame came in on; empty for frames from another host. */
    public Optional<String> ingressPort() {
        return ingress == null ? Optional.empty() : ingress.idOptional;
    }

    /** The port the frame will leave on, once forwarding has decided and it is a single local port. */
    public Optional<String> egressPort() {
        return egressPort == null ? Optional.empty() : egressPort.idOptional;
    }

    /** Whether forwarding decided to flood the frame (broadcast, multicast or unknown destination). */
    public boolean flooded() {
        return flood;
    }

    int ethertype() {
        return Frames.ethertype(buf, offset);
    }
}
