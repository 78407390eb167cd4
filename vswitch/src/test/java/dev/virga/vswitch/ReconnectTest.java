package dev.virga.vswitch;

import static dev.virga.vswitch.TestFrames.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReconnectTest {
    static final long A = mac("52:54:00:00:00:0a");
    static final long B = mac("52:54:00:00:00:0b");

    @TempDir
    Path dir;

    private static void configure(VirtualSwitch vswitch, FakeQemu a, FakeQemu b) {
        vswitch.createNetwork(9);
        vswitch.attachPort(PortSpec.of("a", a.socket, 9, new MacAddress(A), Ipv4Address.parse("10.0.0.10"), 24));
        vswitch.attachPort(PortSpec.of("b", b.socket, 9, new MacAddress(B), Ipv4Address.parse("10.0.0.11"), 24));
    }

    @Test
    void aNewSwitchDialsTheSameSocketsAndForwardsAgain() {
        try (FakeQemu a = new FakeQemu(dir.resolve("a.sock")); FakeQemu b = new FakeQemu(dir.resolve("b.sock"))) {
            VirtualSwitch first = VirtualSwitch.start(Lab.options());
            configure(first, a, b);
            a.awaitConnection();
            b.awaitConnection();
            byte[] before = raw(B, A, "before restart");
            a.send(before);
            b.assertNext(before);
            first.close();

            try (VirtualSwitch second = VirtualSwitch.start(Lab.options())) {
                configure(second, a, b);
                a.awaitConnection();
                b.awaitConnection();
                byte[] after = raw(B, A, "after restart");
                a.send(after);
                b.assertNext(after);
                byte[] back = raw(A, B, "and back");
                b.send(back);
                a.assertNext(back);
                assertThat(second.stats().port("a").orElseThrow().connects()).isEqualTo(1);
            }
        }
    }

    @Test
    void aRestartedQemuIsDialedAgain() {
        try (Lab lab = new Lab(dir)) {
            lab.vswitch.createNetwork(9);
            FakeQemu a = lab.nic("a", 9, "52:54:00:00:00:0a", "10.0.0.10");
            FakeQemu b = lab.nic("b", 9, "52:54:00:00:00:0b", "10.0.0.11");

            b.stop(); // QEMU exits: the connection ends and the socket file goes away
            lab.awaitPort("b", p -> !p.connected());
            b.listen(); // a new QEMU listens at the same path
            b.awaitConnection();
            lab.awaitPort("b", PortStats::connected);

            byte[] frame = raw(B, A, "to the new QEMU");
            a.send(frame);
            b.assertNext(frame);
            assertThat(lab.port("b").connects()).isEqualTo(2);
        }
    }

    @Test
    void aPortWhoseQemuIsNotThereYetConnectsWhenItAppears() {
        try (Lab lab = new Lab(dir)) {
            lab.vswitch.createNetwork(9);
            FakeQemu a = lab.nic("a", 9, "52:54:00:00:00:0a", "10.0.0.10");
            Path late = dir.resolve("late.sock");
            lab.vswitch.attachPort(PortSpec.of("late", late, 9, new MacAddress(B), Ipv4Address.parse("10.0.0.11"), 24));
            assertThat(lab.port("late").connected()).isFalse();
            try (FakeQemu b = new FakeQemu(late)) {
                b.awaitConnection();
                byte[] frame = raw(MacAddress.BROADCAST.value(), A, "hello late");
                a.send(frame);
                b.assertNext(frame);
            }
        }
    }
}
