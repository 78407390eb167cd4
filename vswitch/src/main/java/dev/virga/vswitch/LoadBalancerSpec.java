package dev.virga.vswitch;

import java.util.List;

/**
 * A virtual IP and port on one network whose new flows are spread over member ports (by port id).
 * The switch answers ARP for the VIP with a virtual MAC and rewrites both directions, so members and
 * clients see ordinary traffic.
 */
public record LoadBalancerSpec(String id, int vni, Ipv4Address vip, L4Protocol protocol, int port,
                               List<String> members, LbPolicy policy) {
    public LoadBalancerSpec {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("load balancer id must not be blank");
        }
        Vni.check(vni);
        if (vip == null || vip.isAny()) {
            throw new IllegalArgumentException("load balancer " + id + ": a VIP is required");
        }
        if (protocol == null || policy == null) {
            throw new IllegalArgumentException("load balancer " + id + ": protocol and policy are required");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("load balancer " + id + ": port " + port + " is not in 1..65535");
        }
        members = List.copyOf(members);
        if (members.stream().distinct().count() != members.size()) {
            throw new IllegalArgumentException("load balancer " + id + ": a member is listed twice: " + members);
        }
    }
}
