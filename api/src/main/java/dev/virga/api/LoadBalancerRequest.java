package dev.virga.api;

import java.util.List;

/**
 * Body of {@code POST /1.0/loadbalancers}.
 *
 * @param vip      the virtual address on {@code network} (inside its subnet, not a NIC's or the gateway's)
 * @param protocol {@code tcp} (default) or {@code udp}
 * @param members  instances with a NIC on {@code network}
 * @param policy   {@code shortest-queue} (default) or {@code round-robin}
 */
public record LoadBalancerRequest(String name, String network, String vip, int port, String protocol,
                                  List<String> members, String policy) {
    public LoadBalancerRequest {
        protocol = protocol == null || protocol.isBlank() ? "tcp" : protocol;
        members = members == null ? List.of() : List.copyOf(members);
        policy = policy == null || policy.isBlank() ? "shortest-queue" : policy;
    }
}
