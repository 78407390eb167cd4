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
     * @param host       the host its NIC is on ("" when it is not placed)
     * @param available  its NIC is attached and connected and its guest answers the health probes: it can get new
     *                   flows
     * @param health     {@code up}, or why it is out (e.g. {@code down: its guest did not answer 3 probes in a row})
     * @param queueDepth frames waiting in the switch toward its NIC
     * @param activeFlows flows to it still open (no FIN/RST seen, not idle past the flow timeout)
     * @param totalFlows flows it has had, from clients on any host
     */
    public record Member(String instance, String host, boolean available, String health, int queueDepth,
                         int activeFlows, long totalFlows, long bytes) {
    }
}
