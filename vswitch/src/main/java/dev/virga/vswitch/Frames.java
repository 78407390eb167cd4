package dev.virga.vswitch;

import java.nio.ByteBuffer;

/** Offsets and field readers for Ethernet, ARP, IPv4, UDP and TCP headers, by absolute index. */
final class Frames {
    static final int ETH_HEADER = 14;
    static final int ETHERTYPE_IPV4 = 0x0800;
    static final int ETHERTYPE_ARP = 0x0806;
    static final int ETHERTYPE_IPV6 = 0x86DD;
    static final int ARP_LENGTH = 28;
    static final int PROTO_TCP = 6;
    static final int PROTO_UDP = 17;

    private Frames() {
    }

    static long mac(ByteBuffer b, int at) {
        return ((b.getShort(at) & 0xFFFFL) << 32) | (b.getInt(at + 2) & 0xFFFF_FFFFL);
    }

    static void putMac(ByteBuffer b, int at, long mac) {
        b.putShort(at, (short) (mac >>> 32));
        b.putInt(at + 2, (int) mac);
    }

    static long dstMac(ByteBuffer b, int frame) {
        return mac(b, frame);
    }

    static long srcMac(ByteBuffer b, int frame) {
        return mac(b, frame + 6);
    }

    static boolean isMulticast(long mac) {
        return ((mac >>> 40) & 1) != 0;
    }

    static int ethertype(ByteBuffer b, int frame) {
        return b.getShort(frame + 12) & 0xFFFF;
    }

    // ARP (Ethernet/IPv4), offsets from the start of the ARP header
    static int arpOp(ByteBuffer b, int arp) {
        return b.getShort(arp + 6) & 0xFFFF;
    }

    static long arpSenderMac(ByteBuffer b, int arp) {
        return mac(b, arp + 8);
    }

    static int arpSenderIp(ByteBuffer b, int arp) {
        return b.getInt(arp + 14);
    }

    static int arpTargetIp(ByteBuffer b, int arp) {
        return b.getInt(arp + 24);
    }

    static boolean isEthernetIpv4Arp(ByteBuffer b, int arp) {
        return b.getShort(arp) == 1 && b.getShort(arp + 2) == ETHERTYPE_IPV4 && b.get(arp + 4) == 6
                && b.get(arp + 5) == 4;
    }

    // IPv4, offsets from the start of the IP header
    static int ipHeaderLength(ByteBuffer b, int ip) {
        return (b.get(ip) & 0x0F) * 4;
    }

    static boolean isIpv4Version(ByteBuffer b, int ip) {
        return (b.get(ip) & 0xF0) == 0x40;
    }

    static int ipTotalLength(ByteBuffer b, int ip) {
        return b.getShort(ip + 2) & 0xFFFF;
    }

    static boolean isFirstFragment(ByteBuffer b, int ip) {
        return (b.getShort(ip + 6) & 0x1FFF) == 0;
    }

    static int ipProtocol(ByteBuffer b, int ip) {
        return b.get(ip + 9) & 0xFF;
    }

    static int ipSrc(ByteBuffer b, int ip) {
        return b.getInt(ip + 12);
    }

    static int ipDst(ByteBuffer b, int ip) {
        return b.getInt(ip + 16);
    }

    // UDP/TCP, offsets from the start of the L4 header
    static int srcPort(ByteBuffer b, int l4) {
        return b.getShort(l4) & 0xFFFF;
    }

    static int dstPort(ByteBuffer b, int l4) {
        return b.getShort(l4 + 2) & 0xFFFF;
    }

    /** Where the checksum field of a TCP or UDP header is. */
    static int l4ChecksumOffset(int protocol) {
        return protocol == PROTO_TCP ? 16 : 6;
    }

    /**
     * The start of the L4 header of an untagged IPv4 frame carrying a first (or only) fragment whose
     * ports fit in the frame, or -1.
     */
    static int l4Start(ByteBuffer b, int frame, int length) {
        int ip = frame + ETH_HEADER;
        if (length < ETH_HEADER + 20 || ethertype(b, frame) != ETHERTYPE_IPV4 || !isIpv4Version(b, ip)) {
            return -1;
        }
        int ihl = ipHeaderLength(b, ip);
        int l4 = ip + ihl;
        if (ihl < 20 || !isFirstFragment(b, ip) || l4 + 8 > frame + length) {
            return -1;
        }
        return l4;
    }
}
