package dev.virga.api;

import java.time.Instant;
import java.util.List;

/**
 * A tenant network: one L2 segment (a VXLAN network identifier on the hosts' switches) with an IPv4 subnet whose
 * addresses the server hands out to NICs.
 *
 * @param subnet  CIDR, e.g. {@code 10.20.0.0/24}
 * @param gateway the router address DHCP announces; empty for none
 * @param vni     the segment's VXLAN network identifier
 * @param nics    the NICs on it
 */
public record Network(String name, String project, String subnet, String gateway, int vni, List<Nic> nics,
                      Instant createdAt) {
    public Network {
        nics = nics == null ? List.of() : List.copyOf(nics);
    }
}
