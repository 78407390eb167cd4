package dev.virga.vswitch;

import static dev.virga.vswitch.TestFrames.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AllocationTest {
    static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @TempDir
    Path dir;

    @Test
    void forwardingAndLoadBalancingAllocateNothingPerFrameOnTheLoopThread() {
        try (Lab lab = new Lab(dir)) {
            lab.vswitch.createNetwork(1);
            FakeQemu a = lab.nic("a", 1, "52:54:00:00:00:0a", "10.0.0.10");
            FakeQemu b = lab.nic("b", 1, "52:54:00:00:00:0b", "10.0.0.11");
            lab.nic("c", 1, "52:54:00:00:00:0c", "10.0.0.12");
            Ipv4Address vip = Ipv4Address.parse("10.0.0.200");
            lab.vswitch.putLoadBalancer(new LoadBalancerSpec("lb", 1, vip, L4Protocol.UDP, 80, LoadBalancerSpec.ports("b"),
                    LbPolicy.SHORTEST_QUEUE));
            long A = mac("52:54:00:00:00:0a");
            long B = mac("52:54:00:00:00:0b");
            b.send(raw(A, B, "learn b"));
            a.receive();
            byte[] unicast = udp(B, A, ip("10.0.0.10"), ip("10.0.0.11"), 1000, 2000, new byte[100]);
            Thread loop = lab.vswitch.loopThread();
            int frames = 20_000;
            long before = THREADS.getThreadAllocatedBytes(loop.threadId());
            // in chunks that fit b's output queue, so that no frame is dropped
            for (int chunk = 0; chunk < frames; chunk += 200) {
                for (int i = chunk; i < chunk + 200; i++) {
                    a.send(i % 2 == 0 ? unicast : udp(LoadBalancer.virtualMac(vip), A, ip("10.0.0.10"), vip.value(),
                            1000 + i % 64, 80, new byte[100]));
                }
                for (int i = 0; i < 200; i++) {
                    b.receive();
                }
            }
            long allocated = THREADS.getThreadAllocatedBytes(loop.threadId()) - before;
            // housekeeping (flow and MAC sweeps) allocates a little each second; frames allocate nothing
            assertThat((double) allocated / frames).as("bytes allocated per frame on the loop thread").isLessThan(1.0);
        }
    }

    @Test
    void vxlanSendAndReceiveAllocateNothingPerFrame() throws java.io.IOException {
        try (Lab one = new Lab(java.nio.file.Files.createDirectory(dir.resolve("one")));
             Lab two = new Lab(java.nio.file.Files.createDirectory(dir.resolve("two")))) {
            one.vswitch.createNetwork(1);
            two.vswitch.createNetwork(1);
            FakeQemu a = one.nic("a", 1, "52:54:00:00:00:0a", "10.0.0.10");
            FakeQemu b = two.nic("b", 1, "52:54:00:00:00:0b", "10.0.0.11");
            long A = mac("52:54:00:00:00:0a");
            long B = mac("52:54:00:00:00:0b");
            one.vswitch.setRemote(1, new MacAddress(B), two.vswitch.overlayAddress());
            two.vswitch.setRemote(1, new MacAddress(A), one.vswitch.overlayAddress());
            byte[] frame = udp(B, A, ip("10.0.0.10"), ip("10.0.0.11"), 1000, 2000, new byte[100]);
            a.send(frame); // opens host one's socket to host two
            b.receive();
            Thread[] loops = {one.vswitch.loopThread(), two.vswitch.loopThread()};
            long[] before = new long[2];
            for (int i = 0; i < 2; i++) {
                before[i] = THREADS.getThreadAllocatedBytes(loops[i].threadId());
            }
            int frames = 20_000;
            for (int chunk = 0; chunk < frames; chunk += 100) {
                for (int i = 0; i < 100; i++) {
                    a.send(frame);
                }
                for (int i = 0; i < 100; i++) {
                    b.receive();
                }
            }
            for (int i = 0; i < 2; i++) {
                long allocated = THREADS.getThreadAllocatedBytes(loops[i].threadId()) - before[i];
                assertThat((double) allocated / frames).as("bytes per frame on host " + (i + 1) + "'s loop thread")
                        .isLessThan(1.0);
            }
        }
    }
}
