package dev.virga.vswitch;

import static dev.virga.vswitch.TestFrames.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Members are probed once a second with a TCP SYN from the VIP: one whose guest stops answering (or answers with a
 * reset) is taken out after three misses and gets no new flows; it is back after two answers.
 */
class HealthProbeTest {
    static final int VNI = 60;
    static final long CLIENT = mac("52:54:00:00:06:99");
    static final int CLIENT_IP = ip("10.6.0.99");
    static final Ipv4Address VIP = Ipv4Address.parse("10.6.0.200");
    static final long VIP_MAC = LoadBalancer.virtualMac(VIP);

    @TempDir
    Path dir;

    /** How a fake guest treats probes: answer (SYN-ACK), refuse (RST) or ignore. */
    enum Mode { ANSWER, REFUSE, IGNORE }

    /** A guest's TCP stack as far as probes go: it answers SYNs to port 80 as told; counts the RSTs it gets back. */
    static final class Guest implements AutoCloseable {
        final AtomicReference<Mode> mode = new AtomicReference<>(Mode.ANSWER);
        final AtomicInteger resetsReceived = new AtomicInteger();
        final AtomicInteger dataFrames = new AtomicInteger();
        private volatile boolean running = true;
        private final Thread thread;

        Guest(FakeQemu nic, long mac, int ip) {
            thread = Thread.ofVirtual().start(() -> {
                while (running) {
                    byte[] frame = nic.poll(100);
                    if (frame == null || Frames.ethertype(java.nio.ByteBuffer.wrap(frame), 0) != Frames.ETHERTYPE_IPV4) {
                        continue;
                    }
                    Ip got = parseIp(frame);
                    int flags = got.frame().get(got.l4() + 13) & 0x3F;
                    if (got.srcPort() != HealthProbes.PROBE_PORT) {
                        dataFrames.incrementAndGet();
                        continue;
                    }
                    assertThat(got.srcIp()).isEqualTo(VIP.value());
                    assertThat(got.dstIp()).isEqualTo(ip);
                    assertThat(got.ipChecksumOk() && got.l4ChecksumOk()).isTrue();
                    if (flags == 0x04) {
                        resetsReceived.incrementAndGet();
                        continue;
                    }
                    int seq = got.frame().getInt(got.l4() + 4);
                    switch (mode.get()) {
                        case ANSWER -> nic.send(tcp(VIP_MAC, mac, ip, VIP.value(), 80, HealthProbes.PROBE_PORT, 777,
                                seq + 1, 0x12, new byte[0]));
                        case REFUSE -> nic.send(tcp(VIP_MAC, mac, ip, VIP.value(), 80, HealthProbes.PROBE_PORT, 0,
                                seq + 1, 0x14, new byte[0]));
                        case IGNORE -> { }
                    }
                }
            });
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join();
        }
    }

    @Test
    void aMemberWhoseGuestStopsAnsweringIsTakenOutAndComesBack() throws Exception {
        var options = SwitchOptions.defaults().withOverlayAddress(new InetSocketAddress("127.0.0.1", 0));
        try (Lab lab = new Lab(dir, options)) {
            lab.vswitch.createNetwork(VNI);
            FakeQemu client = lab.nic("client", VNI, "52:54:00:00:06:99", "10.6.0.99");
            FakeQemu n1 = lab.nic("m1", VNI, "52:54:00:00:06:01", "10.6.0.1");
            FakeQemu n2 = lab.nic("m2", VNI, "52:54:00:00:06:02", "10.6.0.2");
            try (Guest m1 = new Guest(n1, mac("52:54:00:00:06:01"), ip("10.6.0.1"));
                 Guest m2 = new Guest(n2, mac("52:54:00:00:06:02"), ip("10.6.0.2"))) {
                lab.vswitch.putLoadBalancer(new LoadBalancerSpec("web", VNI, VIP, L4Protocol.TCP, 80,
                        LoadBalancerSpec.ports("m1", "m2"), LbPolicy.ROUND_ROBIN));
                // answered probes get a reset back: the guest keeps no half-open connection
                await().atMost(Duration.ofSeconds(10)).until(() -> m1.resetsReceived.get() >= 2);
                assertThat(member(lab, "m1").health()).isEqualTo("up");

                m2.mode.set(Mode.IGNORE);
                await().atMost(Duration.ofSeconds(10)).until(() -> !member(lab, "m2").healthy());
                assertThat(member(lab, "m2").health()).contains("did not answer 3 probes");
                assertThat(member(lab, "m2").available()).isFalse();
                assertThat(member(lab, "m1").available()).isTrue();
                for (int flow = 0; flow < 6; flow++) {
                    client.send(tcp(VIP_MAC, CLIENT, CLIENT_IP, VIP.value(), 3000 + flow, 80, "x".getBytes()));
                }
                await().atMost(Duration.ofSeconds(5)).until(() -> m1.dataFrames.get() == 6);
                assertThat(member(lab, "m1").totalFlows()).isEqualTo(6);
                assertThat(member(lab, "m2").totalFlows()).as("a member that does not answer gets no flow").isZero();

                m2.mode.set(Mode.ANSWER);
                await().atMost(Duration.ofSeconds(10)).until(() -> member(lab, "m2").available());
                assertThat(member(lab, "m2").health()).isEqualTo("up");

                m2.mode.set(Mode.REFUSE); // the guest runs, its service does not
                await().atMost(Duration.ofSeconds(10)).until(() -> !member(lab, "m2").available());
                assertThat(member(lab, "m2").health()).contains("refused");
                assertThat(member(lab, "m1").available()).isTrue();
            }
        }
    }

    static MemberStats member(Lab lab, String id) {
        return lab.vswitch.stats().loadBalancer("web").orElseThrow().member(id).orElseThrow();
    }
}
