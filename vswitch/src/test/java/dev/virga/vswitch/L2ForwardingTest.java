package dev.virga.vswitch;

import static dev.virga.vswitch.TestFrames.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class L2ForwardingTest {
    static final long A = mac("52:54:00:00:00:0a");
    static final long B = mac("52:54:00:00:00:0b");
    static final long C = mac("52:54:00:00:00:0c");

    @TempDir
    Path dir;

    @Test
    void unknownUnicastFloodsThenALearnedMacGoesOnlyToItsPort() {
        try (Lab lab = new Lab(dir)) {
            lab.vswitch.createNetwork(100);
            FakeQemu a = lab.nic("a", 100, "52:54:00:00:00:0a", "10.0.0.10");
            FakeQemu b = lab.nic("b", 100, "52:54:00:00:00:0b", "10.0.0.11");
            FakeQemu c = lab.nic("c", 100, "52:54:00:00:00:0c", "10.0.0.12");

            byte[] first = raw(B, A, "a to b, b unknown");
            a.send(first);
            b.assertNext(first);
            c.assertNext(first); // flooded: b was not known yet

            byte[] answer = raw(A, B, "b to a");
            b.send(answer);
            a.assertNext(answer); // a was learned from its first frame

            byte[] second = raw(B, A, "a to b, b learned");
            a.send(second);
            b.assertNext(second);
            byte[] marker = raw(MacAddress.BROADCAST.value(), A, "marker");
            a.send(marker);
            b.assertNext(marker);
            c.assertNext(marker); // c got nothing between the flood and this marker

            assertThat(lab.port("a").rxFrames()).isEqualTo(3);
            assertThat(lab.port("b").txFrames()).isEqualTo(3);
        }
    }

    @Test
    void broadcastStaysInsideItsNetwork() {
        try (Lab lab = new Lab(dir)) {
            lab.vswitch.createNetwork(1);
            lab.vswitch.createNetwork(2);
            FakeQemu a = lab.nic("a", 1, "52:54:00:00:00:0a", "10.0.0.10");
            FakeQemu b = lab.nic("b", 1, "52:54:00:00:00:0b", "10.0.0.11");
            FakeQemu c = lab.nic("c", 2, "52:54:00:00:00:0c", "10.0.0.12");
            FakeQemu d = lab.nic("d", 2, "52:54:00:00:00:0d", "10.0.0.13");

            byte[] broadcast = raw(MacAddress.BROADCAST.value(), A, "network 1 broadcast");
            a.send(broadcast);
            b.assertNext(broadcast);
            lab.awaitPort("a", p -> p.rxFrames() == 1);

            byte[] marker = raw(MacAddress.BROADCAST.value(), mac("52:54:00:00:00:0d"), "network 2 marker");
            d.send(marker);
            c.assertNext(marker);
            assertThat(a.nothingReceived()).isTrue();
        }
    }

    @Test
    void networksWithOverlappingSubnetsNeverExchangeAFrame() {
        try (Lab lab = new Lab(dir)) {
            lab.vswitch.createNetwork(7);
            lab.vswitch.createNetwork(8);
            // same addresses in both networks; the MACs differ (QEMU needs one per NIC)
            FakeQemu a7 = lab.nic("a7", 7, "52:54:00:07:00:01", "192.168.1.1");
            FakeQemu b7 = lab.nic("b7", 7, "52:54:00:07:00:02", "192.168.1.2");
            FakeQemu a8 = lab.nic("a8", 8, "52:54:00:08:00:01", "192.168.1.1");
            FakeQemu b8 = lab.nic("b8", 8, "52:54:00:08:00:02", "192.168.1.2");
            long a7mac = mac("52:54:00:07:00:01");
            long a8mac = mac("52:54:00:08:00:01");
            long b7mac = mac("52:54:00:07:00:02");
            long b8mac = mac("52:54:00:08:00:02");

            // ARP for 192.168.1.2 from both networks: each answer reaches only its own network
            byte[] who7 = arpRequest(a7mac, ip("192.168.1.1"), ip("192.168.1.2"));
            byte[] who8 = arpRequest(a8mac, ip("192.168.1.1"), ip("192.168.1.2"));
            a7.send(who7);
            b7.assertNext(who7);
            a8.send(who8);
            b8.assertNext(who8);
            byte[] reply7 = arp(2, b7mac, b7mac, ip("192.168.1.2"), a7mac, ip("192.168.1.1"));
            byte[] reply8 = arp(2, b8mac, b8mac, ip("192.168.1.2"), a8mac, ip("192.168.1.1"));
            b7.send(reply7);
            a7.assertNext(reply7);
            b8.send(reply8);
            a8.assertNext(reply8);

            // unicast to the other network's MAC is unknown here: flooded inside, never across
            byte[] across = udp(b8mac, a7mac, ip("192.168.1.1"), ip("192.168.1.2"), 1000, 2000, "x".getBytes());
            a7.send(across);
            b7.assertNext(across);
            lab.awaitPort("a7", p -> p.rxFrames() == 2);
            byte[] marker8 = udp(b8mac, a8mac, ip("192.168.1.1"), ip("192.168.1.2"), 1000, 2000, "8".getBytes());
            a8.send(marker8);
            b8.assertNext(marker8);
            assertThat(lab.port("a8").txFrames() + lab.port("b8").txFrames()).isEqualTo(3);
            assertThat(lab.port("a7").txFrames() + lab.port("b7").txFrames()).isEqualTo(3);
        }
    }
}
