package dev.virga.server.network;

import dev.virga.server.http.ApiError;

/** An IPv4 subnet: network address and prefix length; addresses are unsigned ints held in a long. */
record Cidr(long network, int prefix) {
    static final int MIN_PREFIX = 8;
    static final int MAX_PREFIX = 30;

    /** Parses {@code a.b.c.d/p}; a 400 on {@code field} when it is not a network address with prefix 8..30. */
    static Cidr parse(String field, String text) {
        if (text == null || text.isBlank()) {
            throw new ApiError.BadInput(field, "must be an IPv4 CIDR such as 10.20.0.0/24");
        }
        var parts = text.strip().split("/", -1);
        if (parts.length != 2 || !parts[1].matches("[0-9]{1,2}")) {
            throw new ApiError.BadInput(field, "'" + text + "' is not an IPv4 CIDR such as 10.20.0.0/24");
        }
        long address = address(field, parts[0]);
        int prefix = Integer.parseInt(parts[1]);
        if (prefix < MIN_PREFIX || prefix > MAX_PREFIX) {
            throw new ApiError.BadInput(field, "prefix /" + prefix + " is not between /" + MIN_PREFIX + " and /"
                    + MAX_PREFIX);
        }
        long net = address & mask(prefix);
        if (net != address) {
            throw new ApiError.BadInput(field, "'" + text + "' has host bits set; the network is "
                    + format(net) + "/" + prefix);
        }
        return new Cidr(net, prefix);
    }

    /** Parses a dotted IPv4 address; a 400 on {@code field} otherwise. */
    static long address(String field, String text) {
        var octets = text.strip().split("\\.", -1);
        if (octets.length != 4) {
            throw new ApiError.BadInput(field, "'" + text + "' is not an IPv4 address");
        }
        long value = 0;
        for (var o : octets) {
            if (!o.matches("[0-9]{1,3}") || Integer.parseInt(o) > 255) {
                throw new ApiError.BadInput(field, "'" + text + "' is not an IPv4 address");
            }
            value = value << 8 | Integer.parseInt(o);
        }
        return value;
    }

    static String format(long address) {
        return (address >> 24 & 255) + "." + (address >> 16 & 255) + "." + (address >> 8 & 255) + "." + (address & 255);
    }

    static long mask(int prefix) {
        return 0xFFFF_FFFFL << (32 - prefix) & 0xFFFF_FFFFL;
    }

    long broadcast() {
        return network | ~mask(prefix) & 0xFFFF_FFFFL;
    }

    /** A usable host address: inside, and neither the network nor the broadcast address. */
    boolean hostAddress(long address) {
        return address > network && address < broadcast();
    }

    boolean overlaps(Cidr other) {
        int p = Math.min(prefix, other.prefix);
        return (network & mask(p)) == (other.network & mask(p));
    }

    @Override
    public String toString() {
        return format(network) + "/" + prefix;
    }
}
