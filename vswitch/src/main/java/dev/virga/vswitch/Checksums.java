package dev.virga.vswitch;

import java.nio.ByteBuffer;

/** Internet checksums (RFC 1071) and their incremental update (RFC 1624). */
final class Checksums {
    private Checksums() {
    }

    /** One's-complement sum of {@code length} bytes from {@code at}, folded to 16 bits, not inverted. */
    static int sum(ByteBuffer b, int at, int length, int initial) {
        long sum = initial;
        int i = at;
        int end = at + length;
        for (; i + 1 < end; i += 2) {
            sum += b.getShort(i) & 0xFFFF;
        }
        if (i < end) {
            sum += (b.get(i) & 0xFF) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) sum;
    }

    static int ipv4Header(ByteBuffer b, int ip, int headerLength) {
        return ~sum(b, ip, headerLength, 0) & 0xFFFF;
    }

    /** The TCP or UDP checksum over the pseudo-header and the segment starting at {@code l4}. */
    static int l4(ByteBuffer b, int srcIp, int dstIp, int protocol, int l4, int l4Length) {
        int pseudo = (srcIp >>> 16) + (srcIp & 0xFFFF) + (dstIp >>> 16) + (dstIp & 0xFFFF) + protocol + l4Length;
        return ~sum(b, l4, l4Length, pseudo) & 0xFFFF;
    }

    /** The checksum after a 32-bit field changed from {@code before} to {@code after} (RFC 1624 eqn. 3). */
    static int adjust32(int checksum, int before, int after) {
        long sum = (~checksum & 0xFFFF)
                + (~(before >>> 16) & 0xFFFF) + (~before & 0xFFFF)
                + (after >>> 16) + (after & 0xFFFF);
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return ~(int) sum & 0xFFFF;
    }
}
