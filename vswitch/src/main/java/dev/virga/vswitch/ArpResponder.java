package dev.virga.vswitch;

import static dev.virga.vswitch.Frames.*;

import java.nio.ByteBuffer;

/**
 * Answers ARP requests for addresses that only the switch has: a load balancer's VIP (with its
 * virtual MAC) and the DHCP server address when the network has no gateway. The answer goes back to
 * the asking port only; other requests go on to be flooded as usual.
 */
final class ArpResponder implements Stage {
    private final ByteBuffer scratch = ByteBuffer.allocateDirect(64);
    private final Output output;
    private final long switchMac;
    private final int switchIp;

    ArpResponder(Output output, MacAddress switchMac, Ipv4Address switchIp) {
        this.output = output;
        this.switchMac = switchMac.value();
        this.switchIp = switchIp.value();
    }

    @Override
    public Verdict process(Packet p) {
        Port port = p.ingress;
        ByteBuffer b = p.buf;
        int arp = p.offset + ETH_HEADER;
        if (port == null || p.ethertype() != ETHERTYPE_ARP || p.length < ETH_HEADER + ARP_LENGTH
                || !isEthernetIpv4Arp(b, arp) || arpOp(b, arp) != 1) {
            return Verdict.CONTINUE;
        }
        int target = arpTargetIp(b, arp);
        long answer = 0;
        for (LoadBalancer lb : p.segment.loadBalancers) {
            if (lb.vip == target) {
                answer = lb.vipMac;
            }
        }
        if (answer == 0 && target == switchIp && port.spec.gateway().isAny()) {
            answer = switchMac;
        }
        if (answer == 0) {
            return Verdict.CONTINUE;
        }
        int length = reply(b, arp, answer, target);
        output.toPort(port, scratch, 0, length);
        return Verdict.CONSUMED;
    }

    private int reply(ByteBuffer request, int arp, long answerMac, int answerIp) {
        long askerMac = arpSenderMac(request, arp);
        int askerIp = arpSenderIp(request, arp);
        ByteBuffer r = scratch;
        putMac(r, 0, askerMac);
        putMac(r, 6, answerMac);
        r.putShort(12, (short) ETHERTYPE_ARP);
        r.putShort(14, (short) 1);
        r.putShort(16, (short) ETHERTYPE_IPV4);
        r.put(18, (byte) 6);
        r.put(19, (byte) 4);
        r.putShort(20, (short) 2);
        putMac(r, 22, answerMac);
        r.putInt(28, answerIp);
        putMac(r, 32, askerMac);
        r.putInt(38, askerIp);
        for (int i = 42; i < 60; i++) {
            r.put(i, (byte) 0);
        }
        return 60;
    }
}
