package dev.virga.vswitch;

import static dev.virga.vswitch.Frames.*;

import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks each local load balancer member, once a second, whether its guest still serves: a TCP SYN from the VIP to
 * the member's service port (a SYN-ACK is an answer and gets a RST back, so the guest keeps no half-open
 * connection; a RST means the port is closed), or for UDP services an ARP request for the member's address. A
 * member that misses {@value LoadBalancer.Member#FALL} probes in a row gets no new flows until
 * {@value LoadBalancer.Member#RISE} are answered. Loop thread only; no allocation.
 */
final class HealthProbes {
    private static final Logger log = LoggerFactory.getLogger(HealthProbes.class);
    /** The source port of TCP probes (outside Linux's ephemeral range, so no client flow uses it). */
    static final int PROBE_PORT = 65432;
    private static final int TCP_SYN = 0x02;
    private static final int TCP_RST = 0x04;
    private static final int TCP_ACK = 0x10;

    private final ByteBuffer frame = ByteBuffer.allocateDirect(64);
    private final Output output;
    private int nextSeq = (int) System.nanoTime();

    HealthProbes(Output output) {
        this.output = output;
    }

    /** Counts the unanswered previous probe of each local member and sends the next one. */
    void probe(LoadBalancer lb) {
        for (LoadBalancer.Member m : lb.members) {
            Port port = m.port;
            if (port == null) {
                continue;
            }
            if (m.probeOutstanding) {
                m.probed(false, false, lb.spec.id(), log);
            }
            if (!port.connected || !port.hasAddress()) {
                continue;
            }
            m.probeSeq = nextSeq;
            nextSeq += 0x1000_0001;
            int length = lb.protocol == PROTO_TCP ? tcp(lb, port, m.probeSeq, TCP_SYN) : arpRequest(lb, port);
            output.toPort(port, frame, 0, length);
            m.probeOutstanding = true;
        }
    }

    /**
     * Whether the frame from a member's port answers a probe (then it is consumed here). {@code l4} is the TCP
     * header's start, or -1 for a non-IP frame.
     */
    boolean answer(LoadBalancer lb, Port from, ByteBuffer b, int offset, int l4) {
        int index = lb.localMember(from);
        if (index < 0) {
            return false;
        }
        LoadBalancer.Member m = lb.members[index];
        if (l4 < 0) {
            int arp = offset + ETH_HEADER;
            if (lb.protocol != PROTO_UDP || ethertype(b, offset) != ETHERTYPE_ARP || !isEthernetIpv4Arp(b, arp)
                    || arpOp(b, arp) != 2 || arpTargetIp(b, arp) != lb.vip || arpSenderIp(b, arp) != from.ip) {
                return false;
            }
            if (m.probeOutstanding) {
                m.probed(true, false, lb.spec.id(), log);
            }
            return true;
        }
        int ip = offset + ETH_HEADER;
        if (lb.protocol != PROTO_TCP || ipProtocol(b, ip) != PROTO_TCP || ipDst(b, ip) != lb.vip
                || dstPort(b, l4) != PROBE_PORT || srcPort(b, l4) != lb.spec.port() || ipSrc(b, ip) != from.ip) {
            return false;
        }
        int flags = b.get(l4 + 13) & 0x3F;
        int ack = b.getInt(l4 + 8);
        if (!m.probeOutstanding || ack != m.probeSeq + 1) {
            return true; // a late answer to an earlier probe: nothing to count, nothing to pass on
        }
        if ((flags & TCP_RST) != 0) {
            m.probed(true, true, lb.spec.id(), log);
        } else if ((flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK)) {
            m.probed(true, false, lb.spec.id(), log);
            output.toPort(from, frame, 0, tcp(lb, from, m.probeSeq + 1, TCP_RST));
        }
        return true;
    }

    /** A TCP segment without payload from VIP:PROBE_PORT to the member's service port; returns the frame length. */
    private int tcp(LoadBalancer lb, Port to, int seq, int flags) {
        ByteBuffer f = frame;
        header(f, to.mac, lb.vipMac, ETHERTYPE_IPV4);
        int ip = ETH_HEADER;
        f.put(ip, (byte) 0x45).put(ip + 1, (byte) 0).putShort(ip + 2, (short) 40).putShort(ip + 4, (short) 0)
                .putShort(ip + 6, (short) 0x4000).put(ip + 8, (byte) 64).put(ip + 9, (byte) PROTO_TCP)
                .putShort(ip + 10, (short) 0).putInt(ip + 12, lb.vip).putInt(ip + 16, to.ip);
        f.putShort(ip + 10, (short) Checksums.ipv4Header(f, ip, 20));
        int l4 = ip + 20;
        f.putShort(l4, (short) PROBE_PORT).putShort(l4 + 2, (short) lb.spec.port()).putInt(l4 + 4, seq)
                .putInt(l4 + 8, 0).put(l4 + 12, (byte) 0x50).put(l4 + 13, (byte) flags)
                .putShort(l4 + 14, (short) (flags == TCP_RST ? 0 : 1024)).putShort(l4 + 16, (short) 0)
                .putShort(l4 + 18, (short) 0);
        f.putShort(l4 + 16, (short) Checksums.l4(f, lb.vip, to.ip, PROTO_TCP, l4, 20));
        for (int i = l4 + 20; i < 60; i++) {
            f.put(i, (byte) 0);
        }
        return 60;
    }

    /** An ARP request from the VIP for the member's address, sent to the member's MAC only. */
    private int arpRequest(LoadBalancer lb, Port to) {
        ByteBuffer f = frame;
        header(f, to.mac, lb.vipMac, ETHERTYPE_ARP);
        int arp = ETH_HEADER;
        f.putShort(arp, (short) 1).putShort(arp + 2, (short) ETHERTYPE_IPV4).put(arp + 4, (byte) 6)
                .put(arp + 5, (byte) 4).putShort(arp + 6, (short) 1);
        putMac(f, arp + 8, lb.vipMac);
        f.putInt(arp + 14, lb.vip);
        putMac(f, arp + 18, 0);
        f.putInt(arp + 24, to.ip);
        for (int i = arp + ARP_LENGTH; i < 60; i++) {
            f.put(i, (byte) 0);
        }
        return 60;
    }

    private static void header(ByteBuffer f, long dst, long src, int ethertype) {
        putMac(f, 0, dst);
        putMac(f, 6, src);
        f.putShort(12, (short) ethertype);
    }
}
