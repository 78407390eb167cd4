package dev.virga.vswitch;

import static dev.virga.vswitch.Frames.*;

import java.nio.ByteBuffer;

/**
 * Spreads flows to a VIP over the load balancer's members. A client's packet to VIP:port gets the
 * member's MAC and IP as destination (a new flow first gets a member from the policy, then keeps it
 * until it has been idle for the flow timeout); the member's replies get the VIP's MAC and IP back as
 * source. IPv4 and TCP/UDP checksums are updated incrementally. Anything else sent to a VIP is
 * dropped: nothing else lives there.
 */
final class LoadBalancing implements Stage {
    private final Now now;

    LoadBalancing(Now now) {
        this.now = now;
    }

    @Override
    public Verdict process(Packet p) {
        LoadBalancer[] lbs = p.segment.loadBalancers;
        Port port = p.ingress;
        if (lbs.length == 0 || port == null) {
            return Verdict.CONTINUE;
        }
        ByteBuffer b = p.buf;
        int l4 = l4Start(b, p.offset, p.length);
        if (l4 < 0) {
            return toVipMac(lbs, dstMac(b, p.offset)) ? Verdict.DROP : Verdict.CONTINUE;
        }
        int ip = p.offset + ETH_HEADER;
        int protocol = ipProtocol(b, ip);
        if (protocol == PROTO_TCP && l4 + 20 > p.offset + p.length) {
            return Verdict.CONTINUE;
        }
        int src = ipSrc(b, ip);
        int dst = ipDst(b, ip);
        for (LoadBalancer lb : lbs) {
            if (dst == lb.vip) {
                if (protocol == lb.protocol && dstPort(b, l4) == lb.spec.port()) {
                    return toMember(p, lb, ip, l4, protocol, src);
                }
                return Verdict.DROP;
            }
            if (protocol == lb.protocol && src == port.ip && srcPort(b, l4) == lb.spec.port()
                    && fromMemberOfFlow(lb, port, dst, dstPort(b, l4), protocol)) {
                rewrite(b, p.offset + 6, ip, ip + 12, l4, protocol, lb.vipMac, lb.vip);
                return Verdict.CONTINUE;
            }
        }
        return Verdict.CONTINUE;
    }

    private Verdict toMember(Packet p, LoadBalancer lb, int ip, int l4, int protocol, int clientIp) {
        ByteBuffer b = p.buf;
        long key = LoadBalancer.flowKey(clientIp, srcPort(b, l4), protocol);
        int index = lb.flows.get(key);
        if (index == LongKeyTable.MISSING) {
            index = lb.pick();
            if (index < 0) {
                lb.noMemberDrops++;
                return Verdict.DROP;
            }
            lb.flows.put(key, index, now.millis);
            lb.members[index].activeFlows++;
            lb.members[index].totalFlows++;
        } else {
            lb.flows.touch(key, now.millis);
        }
        LoadBalancer.Member member = lb.members[index];
        Port target = member.port;
        if (target == null) {
            lb.noMemberDrops++;
            return Verdict.DROP;
        }
        member.bytes += p.length;
        rewrite(b, p.offset, ip, ip + 16, l4, protocol, target.mac, target.ip);
        p.egressPort = target;
        return Verdict.CONTINUE;
    }

    private boolean fromMemberOfFlow(LoadBalancer lb, Port port, int clientIp, int clientPort, int protocol) {
        long key = LoadBalancer.flowKey(clientIp, clientPort, protocol);
        int index = lb.flows.get(key);
        if (index == LongKeyTable.MISSING || lb.members[index].port != port) {
            return false;
        }
        lb.flows.touch(key, now.millis);
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
