package dev.virga.api.agent;

import java.util.List;

/**
 * What the server tells one host's switch about the other hosts (the cross-host overlay): for each segment that has
 * NICs on this host, which MACs live behind which other host's VXLAN endpoint, and which hosts get a copy of
 * broadcast and unknown frames. The whole table every time (level-triggered): the host replaces what it had.
 *
 * @param version names this content; the host reports the version it applied, and the server sends the table again
 *                whenever that differs from what it wants (after a change, or a restart of either side)
 */
public record OverlayTable(String version, List<Remote> remotes, List<Flood> floods, List<Balancer> balancers) {
    public OverlayTable {
        remotes = remotes == null ? List.of() : List.copyOf(remotes);
        floods = floods == null ? List.of() : List.copyOf(floods);
        balancers = balancers == null ? List.of() : List.copyOf(balancers);
    }

    public OverlayTable(String version, List<Remote> remotes, List<Flood> floods) {
        this(version, remotes, floods, List.of());
    }

    /**
     * A load balancer on a segment with NICs on this host (clients or members): every member, so this host's switch
     * balances its clients over members here and on other hosts.
     *
     * @param protocol {@code tcp} or {@code udp}
     * @param policy   {@code shortest-queue} or {@code round-robin}
     */
    public record Balancer(String name, int vni, String vip, String protocol, int port, List<Member> members,
                           String policy) {
        public Balancer {
            members = members == null ? List.of() : List.copyOf(members);
        }
    }

    /** A member NIC: its switch port id ({@code <instance>/n<index>}), MAC and address. */
    public record Member(String port, String mac, String ip) {
    }

    /** A load balancer's figures on one host's switch, per member port. */
    public record BalancerStats(String name, long noMemberDrops, List<MemberStats> members) {
        public BalancerStats {
            members = members == null ? List.of() : List.copyOf(members);
        }
    }

    /**
     * @param local     the member's NIC is on this host (its figures here are the member's own)
     * @param available it can get new flows here
     * @param health    {@code up} or why not, e.g. {@code down: its guest did not answer 3 probes in a row}
     */
    public record MemberStats(String port, boolean local, boolean available, String health, int queueDepth,
                              int activeFlows, long totalFlows, long bytes) {
    }

    /** A NIC on another host: frames to {@code mac} in segment {@code vni} go to {@code endpoint} (host:port). */
    public record Remote(int vni, String mac, String endpoint) {
    }

    /** The other hosts with NICs in segment {@code vni}. */
    public record Flood(int vni, List<String> endpoints) {
        public Flood {
            endpoints = endpoints == null ? List.of() : List.copyOf(endpoints);
        }
    }
}
