package dev.virga.vswitch;

import static dev.virga.vswitch.Frames.*;

import java.nio.ByteBuffer;

/**
 * Spreads flows to a VIP over the load balancer's members. A client's packet to VIP:port gets a member as
 * destination (a new flow first gets a member from the policy, then keeps it until it is closed or has been idle
 * for the flow timeout): a local member's MAC and IP, or a remote member's MAC only, so the frame crosses the
 * overlay still addressed to the VIP and the member's own switch finishes the rewrite and remembers the flow. The
 * member's replies get the VIP's MAC and IP back as source, on the member's host. IPv4 and TCP/UDP checksums are
 * updated incrementally. Health probe answers and other switches' load reports are consumed here. Anything else
 * sent to a VIP is dropped: nothing else lives there.
 */
final class LoadBalancing implements Stage {
    private static final int TCP_FIN = 0x01;
    private static final int TCP_SYN = 0x02;
    private static final int TCP_RST = 0x04;
    private static final int TCP_ACK = 0x10;

    private final Now now;
    private final HealthProbes probes;

    LoadBalancing(Now now, HealthProbes probes) {
        this.now = now;
        this.probes = probes;
    }

    @Override
    public Verdict process(Packet p) {
        Port port = p.ingress;
        ByteBuffer b = p.buf;
        if (port == null && LoadReports.isReport(b, p.offset, p.length)) {
            LoadReports.apply(p.segment, b, p.offset, p.length, now.millis);
            return Verdict.CONSUMED;
        }
        LoadBalancer[] lbs = p.segment.loadBalancers;
        if (lbs.length == 0) {
            return Verdict.CONTINUE;
        }
        int l4 = l4Start(b, p.offset, p.length);
        if (l4 < 0) {
            if (port != null) {
                for (LoadBalancer lb : lbs) {
                    if (probes.answer(lb, port, b, p.offset, -1)) {
                        return Verdict.CONSUMED;
                    }
                }
            }
            return toVipMac(lbs, dstMac(b, p.offset)) ? Verdict.DROP : Verdict.CONTINUE;
        }
        int ip = p.offset + ETH_HEADER;
        int protocol = ipProtocol(b, ip);
        if (protocol == PROTO_TCP && l4 + 20 > p.offset + p.length) {
            return Verdict.CONTINUE;
        }
        int src = ipSrc(b, ip);
        int dst = ipDst(b, ip);
        int flags = protocol == PROTO_TCP ? b.get(l4 + 13) & 0x3F : 0;
        for (LoadBalancer lb : lbs) {
            if (dst == lb.vip) {
                if (port != null && probes.answer(lb, port, b, p.offset, l4)) {
                    return Verdict.CONSUMED;
                }
                if (protocol == lb.protocol && dstPort(b, l4) == lb.spec.port()) {
                    return port != null ? fromClient(p, lb, ip, l4, protocol, src, flags)
                            : fromOtherHost(p, lb, ip, l4, protocol, src, flags);
                }
                return Verdict.DROP;
            }
            if (port != null && protocol == lb.protocol && src == port.ip && srcPort(b, l4) == lb.spec.port()
                    && fromMemberOfFlow(lb, port, dst, dstPort(b, l4), protocol, flags)) {
                rewrite(b, p.offset + 6, ip, ip + 12, l4, protocol, lb.vipMac, lb.vip);
                return Verdict.CONTINUE;
            }
            if (port == null && src == lb.vip && protocol == PROTO_TCP && protocol == lb.protocol
                    && srcPort(b, l4) == lb.spec.port() && (flags & (TCP_FIN | TCP_RST)) != 0) {
                replyFromOtherHost(lb, dst, dstPort(b, l4), protocol, flags);
                return Verdict.CONTINUE;
            }
        }
        return Verdict.CONTINUE;
    }

    /** A client on this host: pick (or keep) the member; a remote one gets the frame by its MAC. */
    private Verdict fromClient(Packet p, LoadBalancer lb, int ip, int l4, int protocol, int clientIp, int flags) {
        ByteBuffer b = p.buf;
        long key = LoadBalancer.flowKey(clientIp, srcPort(b, l4), protocol);
        int value = lb.flows.get(key);
        int index;
        if (value == LongKeyTable.MISSING || ((value & LoadBalancer.CLOSED) != 0 && isSyn(flags))) {
            index = lb.pick(now.millis);
            if (index < 0) {
                lb.noMemberDrops++;
                return Verdict.DROP;
            }
            startFlow(lb, key, index);
        } else {
            index = value & LoadBalancer.MEMBER_MASK;
            lb.flows.touch(key, now.millis);
        }
        LoadBalancer.Member member = lb.members[index];
        closeIfEnding(lb, key, index, flags, true);
        Port target = member.port;
        if (target == null && member.mac == 0) {
            lb.noMemberDrops++;
            return Verdict.DROP;
        }
        member.bytes += p.length;
        if (target != null) {
            rewrite(b, p.offset, ip, ip + 16, l4, protocol, target.mac, target.ip);
            p.egressPort = target;
            return Verdict.CONTINUE;
        }
        putMac(b, p.offset, member.mac); // the member's switch rewrites the address
        return Verdict.CONTINUE;
    }

    /** A client on another host chose a member here (by its MAC): deliver it and remember the flow. */
    private Verdict fromOtherHost(Packet p, LoadBalancer lb, int ip, int l4, int protocol, int clientIp, int flags) {
        ByteBuffer b = p.buf;
        int index = lb.localMemberByMac(dstMac(b, p.offset));
        if (index < 0) {
            lb.noMemberDrops++;
            return Verdict.DROP;
        }
        long key = LoadBalancer.flowKey(clientIp, srcPort(b, l4), protocol);
        int value = lb.flows.get(key);
        if (value == LongKeyTable.MISSING || (value & LoadBalancer.MEMBER_MASK) != index
                || ((value & LoadBalancer.CLOSED) != 0 && isSyn(flags))) {
            if (value != LongKeyTable.MISSING && (value & LoadBalancer.CLOSED) == 0) {
                lb.members[value & LoadBalancer.MEMBER_MASK].activeFlows--;
            }
            startFlow(lb, key, index);
        } else {
            lb.flows.touch(key, now.millis);
        }
        closeIfEnding(lb, key, index, flags, true);
        LoadBalancer.Member member = lb.members[index];
        member.bytes += p.length;
        rewrite(b, p.offset, ip, ip + 16, l4, protocol, member.port.mac, member.port.ip);
        p.egressPort = member.port;
        return Verdict.CONTINUE;
    }

    private void startFlow(LoadBalancer lb, long key, int index) {
        lb.flows.put(key, index, now.millis);
        lb.members[index].activeFlows++;
        lb.members[index].totalFlows++;
    }

    /**
     * A RST, or a FIN from each side, closes the flow: it stops counting as active (it stays, for the last segments).
     * A client's FIN alone does not: it may have only finished sending while the member still works on its answer.
     */
    private void closeIfEnding(LoadBalancer lb, long key, int index, int flags, boolean fromClient) {
        if ((flags & (TCP_FIN | TCP_RST)) == 0) {
            return;
        }
        int current = lb.flows.get(key);
        if (current == LongKeyTable.MISSING || (current & LoadBalancer.CLOSED) != 0
                || (current & LoadBalancer.MEMBER_MASK) != (index & LoadBalancer.MEMBER_MASK)) {
            return;
        }
        int updated = current | (fromClient ? LoadBalancer.CLIENT_FIN : LoadBalancer.MEMBER_FIN);
        boolean closed = (flags & TCP_RST) != 0
                || (updated & (LoadBalancer.CLIENT_FIN | LoadBalancer.MEMBER_FIN))
                == (LoadBalancer.CLIENT_FIN | LoadBalancer.MEMBER_FIN);
        if (closed) {
            updated |= LoadBalancer.CLOSED;
            lb.members[current & LoadBalancer.MEMBER_MASK].activeFlows--;
        }
        lb.flows.put(key, updated, now.millis);
    }

    /** A member's reply, already from the VIP, coming back over the overlay to a client here: it may close the flow. */
    private void replyFromOtherHost(LoadBalancer lb, int clientIp, int clientPort, int protocol, int flags) {
        long key = LoadBalancer.flowKey(clientIp, clientPort, protocol);
        int value = lb.flows.get(key);
        if (value != LongKeyTable.MISSING) {
            lb.flows.touch(key, now.millis);
            closeIfEnding(lb, key, value, flags, false);
        }
    }

    private static boolean isSyn(int flags) {
        return (flags & (TCP_SYN | TCP_ACK)) == TCP_SYN;
    }

    private boolean fromMemberOfFlow(LoadBalancer lb, Port port, int clientIp, int clientPort, int protocol,
                                     int flags) {
        long key = LoadBalancer.flowKey(clientIp, clientPort, protocol);
        int value = lb.flows.get(key);
        if (value == LongKeyTable.MISSING || lb.members[value & LoadBalancer.MEMBER_MASK].port != port) {
            return false;
        }
        lb.flows.touch(key, now.millis);
        closeIfEnding(lb, key, value, flags, false);
        return true;
    }

    private static boolean toVipMac(LoadBalancer[] lbs, long mac) {
        for (LoadBalancer lb : lbs) {
            if (lb.vipMac == mac) {
                return true;
            }
        }
        return false;
    }

    /** Sets one MAC (at {@code macAt}) and one IPv4 address (at {@code ipAt}) and fixes the checksums. */
    private static void rewrite(ByteBuffer b, int macAt, int ip, int ipAt, int l4, int protocol, long mac,
                                int address) {
        putMac(b, macAt, mac);
        int before = b.getInt(ipAt);
        b.putInt(ipAt, address);
        int ipSum = b.getShort(ip + 10) & 0xFFFF;
        b.putShort(ip + 10, (short) Checksums.adjust32(ipSum, before, address));
        int sumAt = l4 + l4ChecksumOffset(protocol);
        int l4Sum = b.getShort(sumAt) & 0xFFFF;
        if (protocol == PROTO_UDP && l4Sum == 0) {
            return; // no UDP checksum was sent: keep none
        }
        int updated = Checksums.adjust32(l4Sum, before, address);
        b.putShort(sumAt, (short) (protocol == PROTO_UDP && updated == 0 ? 0xFFFF : updated));
    }
}
