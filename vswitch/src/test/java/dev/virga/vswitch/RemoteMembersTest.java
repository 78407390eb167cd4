package dev.virga.vswitch;

import static dev.virga.vswitch.TestFrames.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client on one host, the members on another: the client's switch picks the member by the queue depths the
 * members' switch reports over the overlay, the members' switch finishes the address rewrite, and replies come
 * back from the VIP. A member whose host stops reporting it gets no new flows.
 */
class RemoteMembersTest {
    static final int VNI = 70;
    static final long CLIENT = mac("52:54:00:00:07:99");
    static final int CLIENT_IP = ip("10.7.0.99");
    static final long M1 = mac("52:54:00:00:07:01");
    static final long M2 = mac("52:54:00:00:07:02");
    static final int M1_IP = ip("10.7.0.1");
    static final int M2_IP = ip("10.7.0.2");
    static final Ipv4Address VIP = Ipv4Address.parse("10.7.0.200");
    static final long VIP_MAC = LoadBalancer.virtualMac(VIP);

    @TempDir
    Path dir;

    @Test
    void aClientOnAnotherHostIsBalancedByTheMembersReportedQueues() throws Exception {
        try (Lab one = new Lab(Files.createDirectory(dir.resolve("one")));
             Lab two = new Lab(Files.createDirectory(dir.resolve("two")))) {
            one.vswitch.createNetwork(VNI);
            two.vswitch.createNetwork(VNI);
            FakeQemu client = one.nic("c", VNI, "52:54:00:00:07:99", "10.7.0.99");
            two.nic("m1", VNI, "52:54:00:00:07:01", "10.7.0.1", Ipv4Address.ANY, false); // its guest does not read
            FakeQemu m2 = two.nic("m2", VNI, "52:54:00:00:07:02", "10.7.0.2");
            InetSocketAddress oneAt = one.vswitch.overlayAddress();
            InetSocketAddress twoAt = two.vswitch.overlayAddress();
            one.vswitch.setFloodRemotes(VNI, Set.of(twoAt));
            two.vswitch.setFloodRemotes(VNI, Set.of(oneAt));
            one.vswitch.setRemote(VNI, new MacAddress(M1), twoAt);
            one.vswitch.setRemote(VNI, new MacAddress(M2), twoAt);
            two.vswitch.setRemote(VNI, new MacAddress(CLIENT), oneAt);
            var members = List.of(new LoadBalancerSpec.Member("m1", new MacAddress(M1), new Ipv4Address(M1_IP)),
                    new LoadBalancerSpec.Member("m2", new MacAddress(M2), new Ipv4Address(M2_IP)));
            for (Lab lab : new Lab[] {one, two}) {
                lab.vswitch.putLoadBalancer(new LoadBalancerSpec("web", VNI, VIP, L4Protocol.TCP, 80, members,
                        LbPolicy.SHORTEST_QUEUE));
            }
            // host two reports its members every 100 ms: host one sees them as available remote members
            await().atMost(Duration.ofSeconds(5)).until(() -> member(one, "m1").available()
                    && member(one, "m2").available());
            assertThat(member(one, "m1").attached()).isFalse();

            // the first flow: equal queues, the first member; many frames fill m1's queue on host two
            int frames = 600;
            for (int i = 0; i < frames; i++) {
                client.send(tcp(VIP_MAC, CLIENT, CLIENT_IP, VIP.value(), 5000, 80, "bulk data ".repeat(140).getBytes()));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> member(two, "m1").queueDepth() > 0
                    && member(one, "m1").queueDepth() > 0);
            assertThat(member(one, "m1").totalFlows()).isEqualTo(1);
            assertThat(member(two, "m1").totalFlows()).as("the members' host remembers the flow too").isEqualTo(1);

            // new flows avoid the member with the long queue (as reported by its host)
            for (int flow = 1; flow <= 8; flow++) {
                client.send(tcp(VIP_MAC, CLIENT, CLIENT_IP, VIP.value(), 6000 + flow, 80, ("flow " + flow).getBytes()));
                Ip got = parseIp(m2.receive());
                assertThat(got.srcPort()).isEqualTo(6000 + flow);
                assertThat(got.dstIp()).as("host two rewrote the VIP to m2's address").isEqualTo(M2_IP);
                assertThat(got.dstMac()).isEqualTo(M2);
                assertThat(got.srcIp()).isEqualTo(CLIENT_IP);
                assertThat(got.ipChecksumOk() && got.l4ChecksumOk()).isTrue();
            }
            assertThat(member(one, "m2").totalFlows()).isEqualTo(8);
            assertThat(member(two, "m2").totalFlows()).isEqualTo(8);

            m2.send(tcp(CLIENT, M2, M2_IP, CLIENT_IP, 80, 6001, "reply from m2".getBytes()));
            Ip reply = parseIp(client.receive());
            assertThat(reply.srcIp()).isEqualTo(VIP.value());
            assertThat(reply.srcMac()).isEqualTo(VIP_MAC);
            assertThat(reply.dstPort()).isEqualTo(6001);
            assertThat(reply.ipChecksumOk() && reply.l4ChecksumOk()).isTrue();

            // the client's FIN alone leaves the flow open (the member may still be answering) ...
            client.send(tcp(VIP_MAC, CLIENT, CLIENT_IP, VIP.value(), 6001, 80, 2000, 1, 0x11, new byte[0]));
            parseIp(m2.receive());
            assertThat(member(two, "m2").activeFlows()).isEqualTo(8);
            assertThat(member(one, "m2").activeFlows()).isEqualTo(8);
            // ... the member's FIN closes it: it stops counting as active on both hosts
            m2.send(tcp(CLIENT, M2, M2_IP, CLIENT_IP, 80, 6001, 5000, 2001, 0x11, new byte[0]));
            assertThat(parseIp(client.receive()).srcIp()).isEqualTo(VIP.value());
            await().atMost(Duration.ofSeconds(5)).until(() -> member(one, "m2").activeFlows() == 7
                    && member(two, "m2").activeFlows() == 7);

            // m2's VM stops on host two: host two reports it down at once (then stops reporting it), host one
            // sends it nothing new
            two.vswitch.detachPort("m2");
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10))
                    .until(() -> !member(one, "m2").available());
            assertThat(member(one, "m2").health()).isIn("down: its host reports it down",
                    "down: no report from its host");
            await().atMost(Duration.ofSeconds(10)).until(() -> member(one, "m2").health()
                    .equals("down: no report from its host"));
        }
    }

    static MemberStats member(Lab lab, String id) {
        return lab.vswitch.stats().loadBalancer("web").orElseThrow().member(id).orElseThrow();
    }
}
