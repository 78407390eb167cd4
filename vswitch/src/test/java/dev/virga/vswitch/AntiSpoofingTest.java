package dev.virga.vswitch;

import static dev.virga.vswitch.TestFrames.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AntiSpoofingTest {
    static final long A = mac("52:54:00:00:00:0a");
    static final long B = mac("52:54:00:00:00:0b");
    static final long FORGED = mac("52:54:00:66:66:66");
    static final int A_IP = ip("10.0.0.10");
    static final int B_IP = ip("10.0.0.11");

    @TempDir
    Path dir;

    @Test
    void forgedSourcesAreDroppedAndCountedWhileHonestFramesPass() {
        try (Lab lab = new Lab(dir)) {
            lab.vswitch.createNetwork(5);
            FakeQemu a = lab.nic("a", 5, "52:54:00:00:00:0a", "10.0.0.10");
            FakeQemu b = lab.nic("b", 5, "52:54:00:00:00:0b", "10.0.0.11");

            a.send(raw(B, FORGED, "forged source MAC"));
            a.send(udp(B, A, ip("10.0.0.99"), B_IP, 1, 2, "forged source IP".getBytes()));
            a.send(arp(1, A, FORGED, A_IP, 0, B_IP)); // ARP sender MAC not the port's
            a.send(arp(1, A, A, ip("10.0.0.11"), 0, B_IP)); // ARP claims b's address
            a.send(ethernet(B, A, 0x8100, new byte[46])); // a VLAN tag would bypass the IP checks
            byte[] honest = udp(B, A, A_IP, B_IP, 1, 2, "honest".getBytes());
            a.send(honest);

            b.assertNext(honest); // nothing forged came before it
            PortStats stats = lab.port("a");
            assertThat(stats.spoofDrops()).isEqualTo(5);
            assertThat(stats.rxFrames()).isEqualTo(6);
        }
    }

    @Test
    void dhcpFromNoAddressAndArpProbesAreAllowed() {
        try (Lab lab = new Lab(dir)) {
            lab.vswitch.createNetwork(5);
            FakeQemu a = lab.nic("a", 5, "52:54:00:00:00:0a", "0.0.0.0");
            FakeQemu b = lab.nic("b", 5, "52:54:00:00:00:0b", "10.0.0.11");

            byte[] discover = dhcp(A, 1, Dhcp.DISCOVER, 0, 0, 0); // no assigned address: not answered, flooded
            a.send(discover);
            b.assertNext(discover);
            byte[] probe = arp(1, A, A, 0, 0, A_IP);
            a.send(probe);
            b.assertNext(probe);
            a.send(udp(B, A, A_IP, B_IP, 1, 2, "no address yet".getBytes()));
            byte[] marker = raw(B, A, "marker");
            a.send(marker);
            b.assertNext(marker);
            assertThat(lab.port("a").spoofDrops()).isEqualTo(1);
        }
    }
}
