package dev.virga.vswitch;

import java.nio.ByteBuffer;

/** Builds and reads the frames the tests exchange with the switch (heap buffers, fresh arrays). */
final class TestFrames {
    private TestFrames() {
    }

    static long mac(String text) {
        return MacAddress.parse(text).value();
    }

    static int ip(String text) {
        return Ipv4Address.parse(text).value();
    }

    static byte[] ethernet(long dst, long src, int type, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(Math.max(60, 14 + payload.length));
        Frames.putMac(b, 0, dst);
        Frames.putMac(b, 6, src);
        b.putShort(12, (short) type);
        b.put(14, payload);
        return b.array();
    }

    /** A raw (non-IP) frame with a marker in its payload, to tell frames apart. */
    static byte[] raw(long dst, long src, String marker) {
        // IPv6 ethertype: passes anti-spoofing with the right MAC, needs no valid header
        return ethernet(dst, src, Frames.ETHERTYPE_IPV6, marker.getBytes());
    }

    static byte[] arp(int op, long srcMac, long senderMac, int senderIp, long targetMac, int targetIp) {
        ByteBuffer a = ByteBuffer.allocate(28);
        a.putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) op);
        Frames.putMac(a, 8, senderMac);
        a.putInt(14, senderIp);
        Frames.putMac(a, 18, targetMac);
        a.putInt(24, targetIp);
        return ethernet(op == 1 ? MacAddress.BROADCAST.value() : targetMac, srcMac, Frames.ETHERTYPE_ARP, a.array());
    }

    static byte[] arpRequest(long mac, int ip, int target) {
        return arp(1, mac, mac, ip, 0, target);
    }

    static byte[] udp(long dstMac, long srcMac, int srcIp, int dstIp, int srcPort, int dstPort, byte[] data) {
        return ipv4(dstMac, srcMac, srcIp, dstIp, Frames.PROTO_UDP, l4(Frames.PROTO_UDP, srcIp, dstIp, srcPort, dstPort, data));
    }

    static byte[] tcp(long dstMac, long srcMac, int srcIp, int dstIp, int srcPort, int dstPort, byte[] data) {
        return ipv4(dstMac, srcMac, srcIp, dstIp, Frames.PROTO_TCP, l4(Frames.PROTO_TCP, srcIp, dstIp, srcPort, dstPort, data));
    }

    /** A TCP segment with the given sequence and acknowledgement numbers and flags (SYN 0x02, ACK 0x10, FIN 0x01, RST 0x04). */
    static byte[] tcp(long dstMac, long srcMac, int srcIp, int dstIp, int srcPort, int dstPort, int seq, int ack,
                      int flags, byte[] data) {
        return ipv4(dstMac, srcMac, srcIp, dstIp, Frames.PROTO_TCP,
                l4(Frames.PROTO_TCP, srcIp, dstIp, srcPort, dstPort, seq, ack, flags, data));
    }

    private static byte[] l4(int protocol, int srcIp, int dstIp, int srcPort, int dstPort, byte[] data) {
        return l4(protocol, srcIp, dstIp, srcPort, dstPort, 1000, 0, 0x02, data);
    }

    private static byte[] l4(int protocol, int srcIp, int dstIp, int srcPort, int dstPort, int seq, int ack, int flags,
                             byte[] data) {
        int header = protocol == Frames.PROTO_TCP ? 20 : 8;
        ByteBuffer b = ByteBuffer.allocate(header + data.length);
        b.putShort(0, (short) srcPort).putShort(2, (short) dstPort);
        if (protocol == Frames.PROTO_TCP) {
            b.putInt(4, seq).putInt(8, ack).put(12, (byte) 0x50).put(13, (byte) flags).putShort(14, (short) 65535);
        } else {
            b.putShort(4, (short) (8 + data.length));
        }
        b.put(header, data);
        int sum = Checksums.l4(b, srcIp, dstIp, protocol, 0, b.capacity());
        b.putShort(Frames.l4ChecksumOffset(protocol), (short) (sum == 0 && protocol == Frames.PROTO_UDP ? 0xFFFF : sum));
        return b.array();
    }

    static byte[] ipv4(long dstMac, long srcMac, int srcIp, int dstIp, int protocol, byte[] l4) {
        ByteBuffer ip = ByteBuffer.allocate(20 + l4.length);
        ip.put(0, (byte) 0x45).putShort(2, (short) (20 + l4.length)).put(8, (byte) 64).put(9, (byte) protocol);
        ip.putInt(12, srcIp).putInt(16, dstIp);
        ip.putShort(10, (short) Checksums.ipv4Header(ip, 0, 20));
        ip.put(20, l4);
        return ethernet(dstMac, srcMac, Frames.ETHERTYPE_IPV4, ip.array());
    }

    /** A DHCP client message as busybox udhcpc sends it (from 0.0.0.0 to broadcast). */
    static byte[] dhcp(long mac, int xid, int type, int ciaddr, int requestedIp, int serverId) {
        ByteBuffer m = ByteBuffer.allocate(300);
        m.put(0, (byte) 1).put(1, (byte) 1).put(2, (byte) 6).putInt(4, xid).putInt(12, ciaddr);
        Frames.putMac(m, 28, mac);
        m.putInt(236, Dhcp.MAGIC_COOKIE);
        int o = 240;
        m.put(o++, (byte) 53).put(o++, (byte) 1).put(o++, (byte) type);
        if (requestedIp != 0) {
            m.put(o++, (byte) 50).put(o++, (byte) 4).putInt(o, requestedIp);
            o += 4;
        }
        if (serverId != 0) {
            m.put(o++, (byte) 54).put(o++, (byte) 4).putInt(o, serverId);
            o += 4;
        }
        m.put(o, (byte) 255);
        return udp(MacAddress.BROADCAST.value(), mac, ciaddr, -1, 68, 67, m.array());
    }

    /** A parsed view of a received IPv4 frame. */
    record Ip(long dstMac, long srcMac, int srcIp, int dstIp, int protocol, int srcPort, int dstPort,
              boolean ipChecksumOk, boolean l4ChecksumOk, ByteBuffer frame, int l4, int l4Length) {
    }

    static Ip parseIp(byte[] frame) {
        ByteBuffer b = ByteBuffer.wrap(frame);
        if (Frames.ethertype(b, 0) != Frames.ETHERTYPE_IPV4) {
            throw new AssertionError("not IPv4: ethertype " + Integer.toHexString(Frames.ethertype(b, 0)));
        }
        int ihl = Frames.ipHeaderLength(b, 14);
        int total = Frames.ipTotalLength(b, 14);
        int l4 = 14 + ihl;
        int protocol = Frames.ipProtocol(b, 14);
        int src = Frames.ipSrc(b, 14);
        int dst = Frames.ipDst(b, 14);
        boolean ipOk = Checksums.sum(b, 14, ihl, 0) == 0xFFFF;
        int l4Length = total - ihl;
        boolean l4Ok = protocol == Frames.PROTO_UDP && b.getShort(l4 + 6) == 0
                || Checksums.l4(b, src, dst, protocol, l4, l4Length) == 0;
        return new Ip(Frames.dstMac(b, 0), Frames.srcMac(b, 0), src, dst, protocol, Frames.srcPort(b, l4),
                Frames.dstPort(b, l4), ipOk, l4Ok, b, l4, l4Length);
    }
}
