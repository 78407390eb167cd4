package dev.virga.vswitch;

import static dev.virga.vswitch.TestFrames.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoadBalancerTest {
    static final int VNI = 50;
    static final long CLIENT = mac("52:54:00:00:00:99");
    static final int CLIENT_IP = ip("10.0.0.99");
    static final long M1 = mac("52:54:00:00:00:01");
    static final long M2 = mac("52:54:00:00:00:02");
    static final int M1_IP = ip("10.0.0.1");
    static final int M2_IP = ip("10.0.0.2");
    static final Ipv4Address VIP = Ipv4Address.parse("10.0.0.200");
    static final long VIP_MAC = LoadBalancer.virtualMac(VIP);

    @TempDir
    Path dir;

    private record Setup(Lab lab, FakeQemu client, FakeQemu m1, FakeQemu m2) {
    }

    private Setup setup(Lab lab, LbPolicy policy, boolean m1Reads) {
        lab.vswitch.createNetwork(VNI);
        FakeQemu client = lab.nic("client", VNI, "52:54:00:00:00:99", "10.0.0.99");
        FakeQemu m1 = lab.nic("m1", VNI, "52:54:00:00:00:01", "10.0.0.1", Ipv4Address.ANY, m1Reads);
        FakeQemu m2 = lab.nic("m2", VNI, "52:54:00:00:00:02", "10.0.0.2");
        lab.vswitch.putLoadBalancer(new LoadBalancerSpec("web", VNI, VIP, L4Protocol.TCP, 80, LoadBalancerSpec.ports("m1", "m2"), policy));
        return new Setup(lab, client, m1, m2);
    }

    static byte[] toVip(int clientPort, String data) {
        return tcp(VIP_MAC, CLIENT, CLIENT_IP, VIP.value(), clientPort, 80, data.getBytes());
    }

    @Test
    void theVipIsAnsweredForWithItsVirtualMac() {
        try (Lab lab = new Lab(dir)) {
            Setup s = setup(lab, LbPolicy.SHORTEST_QUEUE, true);
            s.client().send(arpRequest(CLIENT, CLIENT_IP, VIP.value()));
            ByteBuffer reply = ByteBuffer.wrap(s.client().receive());
            assertThat(Frames.ethertype(reply, 0)).isEqualTo(Frames.ETHERTYPE_ARP);
            assertThat(Frames.arpOp(reply, 14)).isEqualTo(2);
            assertThat(Frames.arpSenderMac(reply, 14)).isEqualTo(VIP_MAC);
            assertThat(Frames.arpSenderIp(reply, 14)).isEqualTo(VIP.value());
            assertThat(Frames.dstMac(reply, 0)).isEqualTo(CLIENT);
            assertThat(s.m1().nothingReceived()).isTrue(); // answered, not flooded
        }
    }

    @Test
    void newFlowsGoToTheMemberWithTheShorterQueue() {
        try (Lab lab = new Lab(dir)) {
            Setup s = setup(lab, LbPolicy.SHORTEST_QUEUE, false); // m1's guest does not read
            // the first flow: both queues empty, no flows: the first member
            int frames = 1000;
            for (int i = 0; i < frames; i++) {
                s.client().send(toVip(1000, "bulk data ".repeat(140)));
            }
            lab.awaitPort("client", p -> p.rxFrames() == frames);
            LoadBalancerStats busy = lab.vswitch.stats().loadBalancer("web").orElseThrow();
            assertThat(busy.member("m1").orElseThrow().queueDepth()).isPositive();
            assertThat(busy.member("m1").orElseThrow().totalFlows()).isEqualTo(1);

            for (int flow = 1; flow <= 8; flow++) {
                byte[] syn = toVip(2000 + flow, "new flow " + flow);
                s.client().send(syn);
                TestFrames.Ip got = parseIp(s.m2().receive());
                assertThat(got.srcPort()).isEqualTo(2000 + flow);
                assertThat(got.dstIp()).isEqualTo(M2_IP);
            }
            LoadBalancerStats after = lab.vswitch.stats().loadBalancer("web").orElseThrow();
            assertThat(after.member("m1").orElseThrow().totalFlows()).isEqualTo(1);
            assertThat(after.member("m2").orElseThrow().totalFlows()).isEqualTo(8);
            assertThat(after.member("m2").orElseThrow().activeFlows()).isEqualTo(8);
            assertThat(lab.port("m1").queueDrops()).as("the slow guest loses its own frames").isPositive();
        }
    }

    @Test
    void aFlowSticksToItsMemberAndRepliesComeFromTheVipWithValidChecksums() {
        try (Lab lab = new Lab(dir)) {
            Setup s = setup(lab, LbPolicy.ROUND_ROBIN, true);
            s.client().send(toVip(1001, "flow one"));
            TestFrames.Ip atM1 = parseIp(s.m1().receive());
            assertThat(atM1.dstMac()).isEqualTo(M1);
            assertThat(atM1.dstIp()).isEqualTo(M1_IP);
            assertThat(atM1.srcIp()).isEqualTo(CLIENT_IP);
            assertThat(atM1.ipChecksumOk()).isTrue();
            assertThat(atM1.l4ChecksumOk()).isTrue();

            s.client().send(toVip(1002, "flow two"));
            assertThat(parseIp(s.m2().receive()).srcPort()).isEqualTo(1002);
            s.client().send(toVip(1001, "flow one again"));
            assertThat(parseIp(s.m1().receive()).srcPort()).isEqualTo(1001);

            s.m1().send(tcp(CLIENT, M1, M1_IP, CLIENT_IP, 80, 1001, "reply".getBytes()));
            TestFrames.Ip reply = parseIp(s.client().receive());
            assertThat(reply.srcIp()).isEqualTo(VIP.value());
            assertThat(reply.srcMac()).isEqualTo(VIP_MAC);
            assertThat(reply.dstIp()).isEqualTo(CLIENT_IP);
            assertThat(reply.ipChecksumOk()).isTrue();
            assertThat(reply.l4ChecksumOk()).isTrue();

            // the same for UDP
            Ipv4Address dnsVip = Ipv4Address.parse("10.0.0.201");
            lab.vswitch.putLoadBalancer(new LoadBalancerSpec("dns", VNI, dnsVip, L4Protocol.UDP, 53, LoadBalancerSpec.ports("m2"),
                    LbPolicy.ROUND_ROBIN));
            s.client().send(udp(LoadBalancer.virtualMac(dnsVip), CLIENT, CLIENT_IP, dnsVip.value(), 5353, 53, "q".getBytes()));
            TestFrames.Ip query = parseIp(s.m2().receive());
            assertThat(query.dstIp()).isEqualTo(M2_IP);
            assertThat(query.l4ChecksumOk()).isTrue();
            s.m2().send(udp(CLIENT, M2, M2_IP, CLIENT_IP, 53, 5353, "answer".getBytes()));
            TestFrames.Ip answer = parseIp(s.client().receive());
            assertThat(answer.srcIp()).isEqualTo(dnsVip.value());
            assertThat(answer.ipChecksumOk()).isTrue();
            assertThat(answer.l4ChecksumOk()).isTrue();
        }
    }

    @Test
    void aMemberMarkedDownGetsNoNewFlows() {
        try (Lab lab = new Lab(dir)) {
            Setup s = setup(lab, LbPolicy.ROUND_ROBIN, true);
            lab.vswitch.setMemberUp("web", "m1", false);
            for (int flow = 1; flow <= 4; flow++) {
                s.client().send(toVip(3000 + flow, "flow " + flow));
                assertThat(parseIp(s.m2().receive()).srcPort()).isEqualTo(3000 + flow);
            }
            LoadBalancerStats stats = lab.vswitch.stats().loadBalancer("web").orElseThrow();
            assertThat(stats.member("m1").orElseThrow().up()).isFalse();
            assertThat(stats.member("m1").orElseThrow().totalFlows()).isZero();
            assertThat(stats.member("m2").orElseThrow().totalFlows()).isEqualTo(4);
            assertThat(s.m1().nothingReceived()).isTrue();

            lab.vswitch.setMemberUp("web", "m2", false);
            s.client().send(toVip(4000, "nobody is up"));
            lab.awaitPort("client", p -> p.rxFrames() == 5);
            assertThat(lab.vswitch.stats().loadBalancer("web").orElseThrow().noMemberDrops()).isEqualTo(1);
        }
    }
}
