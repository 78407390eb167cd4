package dev.virga.vswitch;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Moves frames: from a port or the overlay through the pipeline into output queues or the overlay,
 * and remembers which output queues need writing at the end of the loop iteration. Loop thread only.
 */
final class Dataplane implements Output {
    final Now now;
    final PortIndex ports;
    final RemoteHosts remotes;
    final Overlay overlay;
    final Pipeline pipeline;
    private final SegmentTable segments;
    final HealthProbes probes;
    final LoadReports reports;
    private final Packet packet = new Packet();
    private Port[] flushList = new Port[16];
    private int flushCount;

    Dataplane(SwitchOptions options, Now now, PortIndex ports, RemoteHosts remotes, Overlay overlay,
              SegmentTable segments) {
        this.now = now;
        this.ports = ports;
        this.remotes = remotes;
        this.overlay = overlay;
        this.segments = segments;
        this.probes = new HealthProbes(this);
        this.reports = new LoadReports(options.switchMac().value());
        this.pipeline = new Pipeline(new AntiSpoofing(),
                List.of(new ArpResponder(this, options.switchMac(), options.switchAddress()),
                        new DhcpResponder(this, options.switchMac(), options.switchAddress(),
                                (int) Math.min(Integer.MAX_VALUE, options.dhcpLease().toSeconds()))),
                new LoadBalancing(now, probes), new Forwarding(now, ports, options.macAging().toMillis()),
                new OutputStage(this));
    }

    void fromPort(Port port, int offset, int length) {
        port.rxFrames++;
        port.rxBytes += length;
        packet.reset(port.readBuffer, port.frameView, offset, length, port, -1, port.segment);
        if (!pipeline.run(packet)) {
            port.filtered++;
        }
    }

    /** Takes every datagram waiting on the overlay socket (at most a batch, to stay fair to ports). */
    void fromOverlay() throws IOException {
        for (int i = 0; i < 64; i++) {
            InetSocketAddress from = overlay.receive();
            if (from == null) {
                return;
            }
            int vni = overlay.receivedVni();
            Segment segment = vni < 0 ? null : segments.find(vni);
            if (segment == null) {
                overlay.rxDropped++;
                continue;
            }
            overlay.rxFrames++;
            int length = overlay.receiveBuffer.position() - Overlay.HEADER;
            packet.reset(overlay.receiveBuffer, overlay.receiveView, Overlay.HEADER, length, null,
                    remotes.sender(from, segment), segment);
            if (!pipeline.run(packet)) {
                overlay.rxDropped++;
            }
        }
    }

    @Override
    public void toPort(Port port, ByteBuffer src, int offset, int length) {
        if (!port.connected || !port.out.offer(src, offset, length)) {
            port.queueDrops++;
            return;
        }
        if (!port.flushPending) {
            port.flushPending = true;
            if (flushCount == flushList.length) {
                flushList = Arrays.copyOf(flushList, flushList.length * 2);
            }
            flushList[flushCount++] = port;
        }
    }

    @Override
    public void toRemote(int vni, int remote, ByteBuffer src, int offset, int length) {
        overlay.send(vni, src, offset, length, remotes, remote);
    }

    /** The ports that got frames since the last call; the list is emptied. */
    int takeFlushList(Port[] into) {
        int n = flushCount;
        System.arraycopy(flushList, 0, into, 0, n);
        for (int i = 0; i < n; i++) {
            flushList[i].flushPending = false;
            flushList[i] = null;
        }
        flushCount = 0;
        return n;
    }

    int flushListCapacity() {
        return flushList.length;
    }

    /** Every 100 ms: how fast each vNIC has been draining its queue (for shortest-queue balancing). */
    void updateDrainRates(double seconds) {
        for (Port port : ports.byIndex) {
            if (port == null) {
                continue;
            }
            long drained = port.out.drainedFrames - port.drainedAtLastTick;
            port.drainedAtLastTick = port.out.drainedFrames;
            if (drained > 0 || port.out.depth() > 0) {
                double rate = drained / seconds;
                port.drainRate = port.drainRate == 0 ? rate : 0.7 * port.drainRate + 0.3 * rate;
            }
        }
    }

    List<PortStats> portStats() {
        List<PortStats> stats = new ArrayList<>();
        for (Port p : ports.byIndex) {
            if (p != null) {
                stats.add(new PortStats(p.spec.id(), p.spec.vni(), p.connected, p.connects, p.rxFrames, p.rxBytes,
                        p.out.drainedFrames, p.out.drainedBytes, p.queueDrops, p.spoofDrops, p.filtered,
                        p.out.depth()));
            }
        }
        return stats;
    }
}
