package dev.virga.vswitch;

import java.util.List;
import java.util.Optional;

/** One load balancer: its members, and new flows dropped because no member was available. */
public record LoadBalancerStats(String id, int vni, Ipv4Address vip, long noMemberDrops, List<MemberStats> members) {
    public Optional<MemberStats> member(String portId) {
        return members.stream().filter(m -> m.portId().equals(portId)).findFirst();
    }
}
