package dev.virga.vswitch;

import java.nio.file.Path;

/**
 * One VM NIC: the QEMU {@code -netdev stream,server=on,addr.type=unix,addr.path=socket} the switch
 * dials, the network it belongs to, and the addresses it may use. {@code ip} {@link Ipv4Address#ANY}
 * means no assigned address (the port may then send IPv4 only as a DHCP client); {@code gateway}
 * {@code ANY} means the network has no router.
 */
public record PortSpec(String id, Path socket, int vni, MacAddress mac, Ipv4Address ip, int prefixLength,
                       Ipv4Address gateway) {
    public PortSpec {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("port id must not be blank");
        }
        if (socket == null || mac == null || ip == null || gateway == null) {
            throw new IllegalArgumentException("port " + id + ": socket, mac, ip and gateway are required");
        }
        Vni.check(vni);
        if (mac.isMulticast() || mac.value() == 0) {
            throw new IllegalArgumentException("port " + id + ": " + mac + " is not a unicast MAC address");
        }
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("port " + id + ": prefix length " + prefixLength + " is not in 0..32");
        }
    }

    /** A port on a network without a router. */
    public static PortSpec of(String id, Path socket, int vni, MacAddress mac, Ipv4Address ip, int prefixLength) {
        return new PortSpec(id, socket, vni, mac, ip, prefixLength, Ipv4Address.ANY);
    }
}
