package dev.virga.vswitch;

import java.util.List;

/**
 * One load balancer's state: its members, its flow table (client IP + port + protocol to member)
 * and how it picks the member of a new flow. Loop thread only.
 */
final class LoadBalancer {
    /** Drain rate assumed for a member that has not drained anything yet (frames per second). */
    static final double UNKNOWN_DRAIN_RATE = 10_000;

    static final class Member {
        final String portId;
        Port port;
        boolean up = true;
        int activeFlows;
        long totalFlows;
        long bytes;

        Member(String portId) {
            this.portId = portId;
        }

        boolean available() {
            return up && port != null && port.connected;
        }

        /** Seconds the member's vNIC would need to take what is already queued for it. */
        double estimatedWait() {
            int depth = port.out.depth();
            if (depth == 0) {
                return 0;
            }
            double rate = port.drainRate > 0 ? port.drainRate : UNKNOWN_DRAIN_RATE;
            return depth / rate;
        }
    }

    final LoadBalancerSpec spec;
    final int vip;
    final long vipMac;
    final int protocol;
    final Member[] members;
    final LongKeyTable flows = new LongKeyTable(1024);
    private int roundRobin;
    long noMemberDrops;

    LoadBalancer(LoadBalancerSpec spec, List<Member> members) {
        this.spec = spec;
        this.vip = spec.vip().value();
        this.vipMac = virtualMac(spec.vip());
        this.protocol = spec.protocol().number;
        this.members = members.toArray(Member[]::new);
    }

    /** A locally administered unicast MAC made from the VIP: 02:5e:a.b.c.d. */
    static long virtualMac(Ipv4Address vip) {
        return (0x025EL << 32) | (vip.value() & 0xFFFF_FFFFL);
    }

    static long flowKey(int clientIp, int clientPort, int protocol) {
        return ((clientIp & 0xFFFF_FFFFL) << 24) | ((long) clientPort << 8) | protocol;
    }

    boolean isMemberObject(Member member) {
        for (Member m : members) {
            if (m == member) {
                return true;
            }
        }
        return false;
    }

    /** The member index for a new flow, or -1 when no member is available. */
    int pick() {
        return spec.policy() == LbPolicy.ROUND_ROBIN ? pickRoundRobin() : pickShortestQueue();
    }

    private int pickRoundRobin() {
        for (int tried = 0; tried < members.length; tried++) {
            int i = roundRobin;
            roundRobin = (roundRobin + 1) % members.length;
            if (members[i].available()) {
                return i;
            }
        }
        return -1;
    }

    private int pickShortestQueue() {
        int best = -1;
        double bestWait = 0;
        for (int i = 0; i < members.length; i++) {
            Member m = members[i];
            if (!m.available()) {
                continue;
            }
            double wait = m.estimatedWait();
            if (best < 0 || wait < bestWait || (wait == bestWait && m.activeFlows < members[best].activeFlows)) {
                best = i;
                bestWait = wait;
            }
        }
        return best;
    }

    private final LongKeyTable.Removal flowEnded = this::flowEnded;

    private void flowEnded(long key, int member) {
        members[member].activeFlows--;
    }

    void expireFlows(long notBefore) {
        flows.removeStale(notBefore, flowEnded);
    }
}
