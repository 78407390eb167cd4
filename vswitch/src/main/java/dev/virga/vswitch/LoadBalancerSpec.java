package dev.virga.vswitch;

import java.util.Arrays;
import java.util.List;

/**
 * A virtual IP and port on one network whose new flows are spread over member NICs. The switch answers ARP for the
 * VIP with a virtual MAC and rewrites both directions, so members and clients see ordinary traffic. A member is a
 * local port when a port with its id is attached to this switch; otherwise it lives on another host and is reached
 * over the overlay by its MAC (the switch there finishes the rewrite and reports the member's queue and health).
 */
public record LoadBalancerSpec(String id, int vni, Ipv4Address vip, L4Protocol protocol, int port,
                               List<Member> members, LbPolicy policy) {
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
        if (members.stream().map(Member::portId).distinct().count() != members.size()) {
            throw new IllegalArgumentException("load balancer " + id + ": a member is listed twice: " + members);
        }
    }

    /**
     * One member NIC.
     *
     * @param portId its port id (the port when it is attached here)
     * @param mac    its MAC, to reach it on another host; null when it can only be a local port
     * @param ip     its address; null when it can only be a local port
     */
    public record Member(String portId, MacAddress mac, Ipv4Address ip) {
        public Member {
            if (portId == null || portId.isBlank()) {
                throw new IllegalArgumentException("a load balancer member needs a port id");
            }
            if ((mac == null) != (ip == null)) {
                throw new IllegalArgumentException("member " + portId + ": MAC and IP go together");
            }
        }

        /** A member that is only ever a port of this switch. */
        public static Member local(String portId) {
            return new Member(portId, null, null);
        }
    }

    /** Members that are only ever ports of this switch. */
    public static List<Member> ports(String... portIds) {
        return Arrays.stream(portIds).map(Member::local).toList();
    }
}
