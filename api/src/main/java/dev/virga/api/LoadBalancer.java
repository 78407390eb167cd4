package dev.virga.api;

import java.util.List;

/**
 * A load balancer on a tenant network: the hosts' switches answer ARP for {@code vip} and send each new flow to
 * port {@code port} to one member's NIC (by {@code policy}); a flow stays on its member.
 *
 * @param members per member its figures from the switch of its host (zero when that host did not answer)
 */
public record LoadBalancer(String name, String network, String vip, int port, String protocol, String policy,
                           List<Member> members) {
    public LoadBalancer {
        members = members == null ? List.of() : List.copyOf(members);
    }

    /**
     * @param available  its NIC is attached and connected and it is not marked down: it can get new flows
     * @param queueDepth frames waiting in the switch toward its NIC
     */
    public record Member(String instance, boolean available, int queueDepth, int activeFlows, long totalFlows,
                         long bytes) {
    }
}
