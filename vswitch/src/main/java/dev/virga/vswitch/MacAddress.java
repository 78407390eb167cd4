package dev.virga.vswitch;

import java.util.HexFormat;

/** An Ethernet MAC address, held in the low 48 bits of a long. */
public record MacAddress(long value) {
    public static final MacAddress BROADCAST = new MacAddress(0xFFFF_FFFF_FFFFL);

    public MacAddress {
        if ((value & ~0xFFFF_FFFF_FFFFL) != 0) {
            throw new IllegalArgumentException("not a 48-bit MAC address: " + Long.toHexString(value));
        }
    }

    /** Parses {@code 52:54:00:12:34:56} (or with {@code -}). */
    public static MacAddress parse(String text) {
        String[] parts = text.split("[:-]");
        if (parts.length != 6) {
            throw new IllegalArgumentException("not a MAC address: " + text);
        }
        long v = 0;
        for (String part : parts) {
            if (part.length() != 2) {
                throw new IllegalArgumentException("not a MAC address: " + text);
            }
            v = (v << 8) | HexFormat.fromHexDigits(part);
        }
        return new MacAddress(v);
    }

    public boolean isMulticast() {
        return ((value >>> 40) & 1) != 0;
    }

    @Override
    public String toString() {
        var sb = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8) {
            sb.append(HexFormat.of().toHexDigits((byte) (value >>> shift)));
            if (shift > 0) {
                sb.append(':');
            }
        }
        return sb.toString();
    }
}
