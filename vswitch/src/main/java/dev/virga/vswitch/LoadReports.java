package dev.virga.vswitch;

import static dev.virga.vswitch.Frames.*;

import java.nio.ByteBuffer;

/**
 * How switches tell each other about their load balancer members. Every 100 ms a switch sends, to the other hosts
 * of each segment with a load balancer that has members here, one frame per load balancer: for each local member
 * its MAC, queue depth, drain rate and whether it takes flows. The switches of the clients' hosts pick remote
 * members with it, as they pick local ones with their own queues. The frame is an ordinary Ethernet frame in the
 * segment's VXLAN (ethertype 0x88B5, IEEE "local experimental", to a locally administered multicast MAC) so
 * standard tools decode the tunnel; guests can never send one (anti-spoofing drops that ethertype) and the
 * receiving switch consumes it. Loop thread only; no allocation.
 */
final class LoadReports {
    static final int ETHERTYPE = 0x88B5;
    static final long MAC = 0x0376_7300_0002L;
    private static final int MAGIC = ('V' << 24) | ('L' << 16) | ('B' << 8) | '1';
    private static final int HEADER = ETH_HEADER + 12;
    private static final int ENTRY = 15;
    private static final int MAX_ENTRIES = 90;

    private final ByteBuffer frame = ByteBuffer.allocateDirect(HEADER + MAX_ENTRIES * ENTRY);
    private final long switchMac;

    LoadReports(long switchMac) {
        this.switchMac = switchMac;
    }

    /** Sends the report of {@code lb}'s local members to every other host of its segment. */
    void send(LoadBalancer lb, Segment segment, Overlay overlay, RemoteHosts remotes, long now) {
        if (segment.floodRemotes.length == 0) {
            return;
        }
        ByteBuffer f = frame;
        putMac(f, 0, MAC);
        putMac(f, 6, switchMac);
        f.putShort(12, (short) ETHERTYPE);
        f.putInt(ETH_HEADER, MAGIC).putInt(ETH_HEADER + 4, lb.vip).putShort(ETH_HEADER + 8, (short) lb.spec.port())
                .put(ETH_HEADER + 10, (byte) lb.protocol);
        int count = 0;
        for (LoadBalancer.Member m : lb.members) {
            Port port = m.port;
            if ((port == null && !m.reportedAsLeft(now)) || count == MAX_ENTRIES) {
                continue;
            }
            int at = HEADER + count * ENTRY;
            if (port == null) {
                // it left this host just now: say so, instead of letting the others wait for its report to age
                putMac(f, at, m.mac);
                f.putInt(at + 6, 0);
                f.putInt(at + 10, 0);
                f.put(at + 14, (byte) 0);
            } else {
                putMac(f, at, port.mac);
                f.putInt(at + 6, port.out.depth());
                f.putInt(at + 10, (int) Math.min(Integer.MAX_VALUE, Math.round(port.drainRate)));
                f.put(at + 14, (byte) (m.available(now) ? 1 : 0));
            }
            count++;
        }
        if (count == 0) {
            return;
        }
        f.put(ETH_HEADER + 11, (byte) count);
        int length = Math.max(60, HEADER + count * ENTRY);
        for (int i = HEADER + count * ENTRY; i < length; i++) {
            f.put(i, (byte) 0);
        }
        for (int remote : segment.floodRemotes) {
            overlay.send(segment.vni, f, 0, length, remotes, remote);
        }
    }

    static boolean isReport(ByteBuffer b, int offset, int length) {
        return length >= HEADER && ethertype(b, offset) == ETHERTYPE && dstMac(b, offset) == MAC
                && b.getInt(offset + ETH_HEADER) == MAGIC;
    }

    /** Applies a report that came over the overlay to the remote members of the segment's load balancers. */
    static void apply(Segment segment, ByteBuffer b, int offset, int length, long now) {
        int vip = b.getInt(offset + ETH_HEADER + 4);
        int port = b.getShort(offset + ETH_HEADER + 8) & 0xFFFF;
        int protocol = b.get(offset + ETH_HEADER + 10) & 0xFF;
        int count = Math.min(b.get(offset + ETH_HEADER + 11) & 0xFF, (length - HEADER) / ENTRY);
        for (LoadBalancer lb : segment.loadBalancers) {
            if (lb.vip != vip || lb.spec.port() != port || lb.protocol != protocol) {
                continue;
            }
            for (int e = 0; e < count; e++) {
                int at = offset + HEADER + e * ENTRY;
                long mac = Frames.mac(b, at);
                for (LoadBalancer.Member m : lb.members) {
                    if (m.port == null && !m.reportedAsLeft(now) && m.mac == mac) {
                        m.reportedAt = now;
                        m.reportedDepth = b.getInt(at + 6);
                        m.reportedDrainRate = b.getInt(at + 10);
                        m.reportedHealthy = b.get(at + 14) == 1;
                    }
                }
            }
        }
    }
}
