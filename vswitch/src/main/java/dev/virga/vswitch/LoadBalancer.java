package dev.virga.vswitch;

import java.util.List;

/**
 * One load balancer's state: its members, its flow table (client IP + port + protocol to member)
 * and how it picks the member of a new flow. Loop thread only.
 */
final class LoadBalancer {
    /** Drain rate assumed for a member that has not drained anything yet (frames per second). */
    static final double UNKNOWN_DRAIN_RATE = 10_000;
    /** Flow table value bit: the flow was closed (FIN both ways, or a RST); it no longer counts as active. */
    static final int CLOSED = 1 << 20;
    static final int MEMBER_MASK = CLOSED - 1;
    /** Flow table value bits: the client, or the member, has sent its FIN. */
    static final int CLIENT_FIN = 1 << 21;
    static final int MEMBER_FIN = 1 << 22;

    /** Why a member is (not) healthy. */
    enum Health {
        UP("up"),
        NO_ANSWER("down: its guest did not answer " + Member.FALL + " probes in a row"),
        REFUSED("down: its guest refused the connection (RST) " + Member.FALL + " times in a row"),
        NOT_CONNECTED("down: its vNIC is not connected"),
        NO_REPORT("down: no report from its host"),
        REPORTED_DOWN("down: its host reports it down");

        final String text;

        Health(String text) {
            this.text = text;
        }
    }

    static final class Member {
        /** Failed probes in a row that take a member out; successful ones that bring it back. */
        static final int FALL = 3;
        static final int RISE = 2;
        /** A remote member's report older than this makes it unavailable (reports come every 100 ms). */
        static final long REPORT_STALE_MILLIS = 1500;
        /** How long a host reports a member that left it as down (then a host it moved to has reported it). */
        static final long LEFT_REPORT_MILLIS = 3000;

        boolean reportedAsLeft(long now) {
            return port == null && leftAt != 0 && mac != 0 && now - leftAt < LEFT_REPORT_MILLIS;
        }

        final String portId;
        /** How to reach it on another host (0: only as a local port). */
        final long mac;
        final int ip;
        Port port;
        /**
         * When its port, attached here, went (its VM stopped or moved away), else 0: for a while this host reports it
         * down, so the other hosts stop sending it flows at once instead of waiting for its report to age.
         */
        long leftAt;
        boolean up = true;
        int activeFlows;
        long totalFlows;
        long bytes;

        // local member: health probes
        boolean healthy = true;
        Health health = Health.UP;
        int failuresInRow;
        int successesInRow;
        boolean probeOutstanding;
        int probeSeq;

        // remote member: what its host reported last
        long reportedAt = Long.MIN_VALUE;
        boolean reportedHealthy;
        int reportedDepth;
        double reportedDrainRate;

        Member(String portId, long mac, int ip) {
            this.portId = portId;
            this.mac = mac;
            this.ip = ip;
        }

        /** Its vNIC is attached here (a new one, e.g. its VM restarted): healthy until its probes say otherwise. */
        void attach(Port attached) {
            port = attached;
            leftAt = 0;
            healthy = true;
            health = Health.UP;
            failuresInRow = 0;
            probeOutstanding = false;
        }

        /** Its vNIC left this host (its VM stopped or moved away). */
        void detach(long now) {
            port = null;
            leftAt = now;
            activeFlows = 0;
        }

        boolean available(long now) {
            if (!up) {
                return false;
            }
            if (port != null) {
                return port.connected && healthy;
            }
            return mac != 0 && reportedHealthy && now - reportedAt <= REPORT_STALE_MILLIS;
        }

        Health health(long now) {
            if (port != null) {
                return port.connected ? health : Health.NOT_CONNECTED;
            }
            if (mac == 0 || now - reportedAt > REPORT_STALE_MILLIS) {
                return Health.NO_REPORT;
            }
            return reportedHealthy ? Health.UP : Health.REPORTED_DOWN;
        }

        int queueDepth() {
            return port != null ? port.out.depth() : reportedDepth;
        }

        /** Seconds the member's vNIC would need to take what is already queued for it. */
        double estimatedWait() {
            int depth = queueDepth();
            if (depth == 0) {
                return 0;
            }
            double drain = port != null ? port.drainRate : reportedDrainRate;
            return depth / (drain > 0 ? drain : UNKNOWN_DRAIN_RATE);
        }

        /** A probe answered ({@code refused}: with a reset) or went unanswered. */
        void probed(boolean answered, boolean refused, String lb, org.slf4j.Logger log) {
            probeOutstanding = false;
            if (answered && !refused) {
                failuresInRow = 0;
                successesInRow++;
                if (!healthy && successesInRow >= RISE) {
                    healthy = true;
                    health = Health.UP;
                    log.info("load balancer {}: member {} answers again; it takes new flows", lb, portId);
                }
                return;
            }
            successesInRow = 0;
            failuresInRow++;
            if (healthy && failuresInRow >= FALL) {
                healthy = false;
                health = refused ? Health.REFUSED : Health.NO_ANSWER;
                log.info("load balancer {}: member {} taken out ({})", lb, portId, health.text);
            }
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

    /** Whether this host reports on any member: one attached here, or one that just left. */
    boolean reportsOn(long now) {
        for (Member m : members) {
            if (m.port != null || m.reportedAsLeft(now)) {
                return true;
            }
        }
        return false;
    }

    /** The local member with this port, or -1. */
    int localMember(Port port) {
        for (int i = 0; i < members.length; i++) {
            if (members[i].port == port) {
                return i;
            }
        }
        return -1;
    }

    /** The local member whose vNIC has this MAC, or -1. */
    int localMemberByMac(long mac) {
        for (int i = 0; i < members.length; i++) {
            if (members[i].port != null && members[i].port.mac == mac) {
                return i;
            }
        }
        return -1;
    }

    /** The member index for a new flow, or -1 when no member is available. */
    int pick(long now) {
        return spec.policy() == LbPolicy.ROUND_ROBIN ? pickRoundRobin(now) : pickShortestQueue(now);
    }

    private int pickRoundRobin(long now) {
        for (int tried = 0; tried < members.length; tried++) {
            int i = roundRobin;
            roundRobin = (roundRobin + 1) % members.length;
            if (members[i].available(now)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The member whose queue would be taken soonest; among equal ones the one with the fewest open flows (a slow
     * member keeps its flows open longer), then the one after the last pick (so ties rotate).
     */
    private int pickShortestQueue(long now) {
        int best = -1;
        double bestWait = 0;
        for (int k = 0; k < members.length; k++) {
            int i = (roundRobin + k) % members.length;
            Member m = members[i];
            if (!m.available(now)) {
                continue;
            }
            double wait = m.estimatedWait();
            if (best < 0 || wait < bestWait || (wait == bestWait && m.activeFlows < members[best].activeFlows)) {
                best = i;
                bestWait = wait;
            }
        }
        if (best >= 0) {
            roundRobin = (best + 1) % members.length;
        }
        return best;
    }

    private final LongKeyTable.Removal flowEnded = this::flowEnded;

    private void flowEnded(long key, int value) {
        if ((value & CLOSED) == 0) {
            members[value & MEMBER_MASK].activeFlows--;
        }
    }

    void expireFlows(long notBefore) {
        flows.removeStale(notBefore, flowEnded);
    }
}
