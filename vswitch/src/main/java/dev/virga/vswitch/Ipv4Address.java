package dev.virga.vswitch;

/** An IPv4 address as its 32 bits; {@link #ANY} (0.0.0.0) stands for "none". */
public record Ipv4Address(int value) {
    public static final Ipv4Address ANY = new Ipv4Address(0);

    public static Ipv4Address parse(String text) {
        String[] parts = text.split("\\.");
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: " + text);
        }
        int v = 0;
        for (String part : parts) {
            int octet;
            try {
                octet = Integer.parseInt(part);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not an IPv4 address: " + text);
            }
            if (octet < 0 || octet > 255) {
                throw new IllegalArgumentException("not an IPv4 address: " + text);
            }
            v = (v << 8) | octet;
        }
        return new Ipv4Address(v);
    }

    public boolean isAny() {
        return value == 0;
    }

    /** The network mask of a prefix length, as an int (24 gives 255.255.255.0). */
    public static int mask(int prefixLength) {
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    @Override
    public String toString() {
        return (value >>> 24) + "." + ((value >>> 16) & 0xFF) + "." + ((value >>> 8) & 0xFF) + "." + (value & 0xFF);
    }
}
