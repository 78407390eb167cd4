package dev.virga.vswitch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Figures for the switch, not a test: frames/s and Gbit/s between two ports (unix sockets, one loop
 * thread), the same over VXLAN between two switches on loopback, the pipeline alone (in-memory
 * ports, no system calls), one-way latency, and bytes allocated per frame on the loop thread.
 *
 * <pre>java -cp vswitch/target/classes:vswitch/target/test-classes:SLF4J_API_JAR dev.virga.vswitch.SwitchBench [seconds]</pre>
 */
public final class SwitchBench {
    static final long A = MacAddress.parse("52:54:00:00:00:0a").value();
    static final long B = MacAddress.parse("52:54:00:00:00:0b").value();
    static final int A_IP = Ipv4Address.parse("10.0.0.10").value();
    static final int B_IP = Ipv4Address.parse("10.0.0.11").value();
    static final int STAMP = 42; // payload offset of the send timestamp (after Ethernet + IPv4 + UDP)
    static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    static double seconds = 3;

    public static void main(String[] args) throws Exception {
        if (args.length > 0) {
            seconds = Double.parseDouble(args[0]);
        }
        System.out.println("# vswitch bench, " + Runtime.getRuntime().availableProcessors() + " cpus, java "
                + Runtime.version() + ", load before: " + load());
        for (int size : new int[] {64, 1500}) {
            pipelineAlone(size, false);
        }
        pipelineAlone(64, true);
        if (args.length > 1 && args[1].equals("pipeline")) {
            return;
        }
        for (int size : new int[] {64, 1500}) {
            throughput(size, false);
            throughput(size, true);
        }
        latency(false);
        latency(true);
        System.out.println("# load after: " + load());
    }

    static String load() {
        try {
            return new String(new ProcessBuilder("uptime").start().getInputStream().readAllBytes()).trim();
        } catch (IOException e) {
            return "?";
        }
    }

    /** An IPv4/UDP frame from a to b of the given length, as the guest would send it. */
    static byte[] frame(int length, long dstMac, int dstIp, int dstPort) {
        ByteBuffer b = ByteBuffer.allocate(length);
        Frames.putMac(b, 0, dstMac);
        Frames.putMac(b, 6, A);
        b.putShort(12, (short) Frames.ETHERTYPE_IPV4);
        b.put(14, (byte) 0x45).putShort(16, (short) (length - 14)).put(22, (byte) 64).put(23, (byte) 17);
        b.putInt(26, A_IP).putInt(30, dstIp);
        b.putShort(24, (short) Checksums.ipv4Header(b, 14, 20));
        b.putShort(34, (short) 5000).putShort(36, (short) dstPort).putShort(38, (short) (length - 34));
        return b.array();
    }

    // ---------------------------------------------------------------- pipeline alone

    /** Drains an output queue without a system call (the copy still happens). */
    static final class Sink implements GatheringByteChannel {
        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) {
            long n = 0;
            for (int i = offset; i < offset + length; i++) {
                n += srcs[i].remaining();
                srcs[i].position(srcs[i].limit());
            }
            return n;
        }

        @Override
        public long write(ByteBuffer[] srcs) {
            return write(srcs, 0, srcs.length);
        }

        @Override
        public int write(ByteBuffer src) {
            int n = src.remaining();
            src.position(src.limit());
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    static void pipelineAlone(int size, boolean loadBalanced) throws IOException {
        Path dir = Files.createTempDirectory("vswitch-bench");
        SwitchLoop loop = new SwitchLoop(SwitchOptions.defaults().withOverlayAddress(new InetSocketAddress("127.0.0.1", 0)).withoutHealthProbes());
        try {
            loop.control.createNetwork(1);
            loop.control.attach(PortSpec.of("a", dir.resolve("a"), 1, new MacAddress(A), new Ipv4Address(A_IP), 24));
            loop.control.attach(PortSpec.of("b", dir.resolve("b"), 1, new MacAddress(B), new Ipv4Address(B_IP), 24));
            loop.control.attach(PortSpec.of("c", dir.resolve("c"), 1, MacAddress.parse("52:54:00:00:00:0c"),
                    Ipv4Address.parse("10.0.0.12"), 24));
            Port a = loop.ports.byIndex[0];
            Port[] all = {a, loop.ports.byIndex[1], loop.ports.byIndex[2]};
            for (Port p : all) {
                p.connected = true; // in-memory: nothing dialed, queues drained by a no-op sink
            }
            byte[] frame;
            if (loadBalanced) {
                Ipv4Address vip = Ipv4Address.parse("10.0.0.200");
                loop.control.putLoadBalancer(new LoadBalancerSpec("lb", 1, vip, L4Protocol.UDP, 80, LoadBalancerSpec.ports("b", "c"),
                        LbPolicy.SHORTEST_QUEUE));
                frame = frame(size, LoadBalancer.virtualMac(vip), vip.value(), 80);
            } else {
                frame = frame(size, B, B_IP, 80);
            }
            // b speaks once, so that B is learned and a's frames are unicast to b
            Port b = all[1];
            byte[] fromB = frameFrom(B, A, 64);
            b.readBuffer.put(0, fromB);
            loop.dataplane.fromPort(b, 0, fromB.length);
            drain(loop, new Port[64], new Sink());
            // fill a's read buffer with as many framed copies as fit, 16 different client ports (flows)
            ByteBuffer in = a.readBuffer;
            int count = 0;
            int at = 0;
            while (at + 4 + size <= in.capacity() && count < 1024) {
                in.putInt(at, size).put(at + 4, frame);
                in.putShort(at + 4 + 34, (short) (5000 + count % 16));
                at += 4 + size;
                count++;
            }
            int batch = count;
            int used = at;
            ByteBuffer pristine = ByteBuffer.allocateDirect(used).put(0, in, 0, used);
            Sink sink = new Sink();
            Port[] flush = new Port[64];
            Runnable round = () -> {
                in.put(0, pristine, 0, used); // as a read from the socket would (the LB rewrites in place)
                for (int i = 0, pos = 0; i < batch; i++, pos += 4 + size) {
                    loop.dataplane.fromPort(a, pos + 4, size);
                    if ((i & 31) == 31) {
                        drain(loop, flush, sink);
                    }
                }
                drain(loop, flush, sink);
            };
            long warmEnd = System.nanoTime() + 1_000_000_000L;
            while (System.nanoTime() < warmEnd) {
                round.run();
            }
            long tid = Thread.currentThread().threadId();
            long allocBefore = THREADS.getThreadAllocatedBytes(tid);
            long txBefore = all[1].out.drainedFrames + all[2].out.drainedFrames;
            long cpu0 = THREADS.getCurrentThreadCpuTime();
            long start = System.nanoTime();
            long end = start + (long) (seconds * 1e9);
            long rounds = 0;
            while (System.nanoTime() < end) {
                round.run();
                rounds++;
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            long allocated = THREADS.getThreadAllocatedBytes(tid) - allocBefore;
            long frames = rounds * batch;
            long delivered = all[1].out.drainedFrames + all[2].out.drainedFrames - txBefore;
            report("pipeline alone" + (loadBalanced ? " (load balancer)" : "") + ", in-memory ports", size,
                    frames / elapsed, delivered, frames, allocated, String.format("%n    thread CPU %.2f s of %.2f s:"
                            + " %.0f frames per CPU-second", (THREADS.getCurrentThreadCpuTime() - cpu0) / 1e9, elapsed,
                            frames / ((THREADS.getCurrentThreadCpuTime() - cpu0) / 1e9)));
        } finally {
            loop.stop();
            for (String name : new String[] {"a", "b", "c"}) {
                Files.deleteIfExists(dir.resolve(name));
            }
            Files.deleteIfExists(dir);
        }
    }

    static void drain(SwitchLoop loop, Port[] flush, Sink sink) {
        int n = loop.dataplane.takeFlushList(flush);
        for (int i = 0; i < n; i++) {
            try {
                flush[i].out.writeTo(sink);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            flush[i] = null;
        }
    }

    static void report(String what, int size, double fps, long delivered, long sent, long allocated, String extra) {
        System.out.printf("%-52s %5d B  %9.0f frames/s  %6.2f Gbit/s  delivered %5.1f%%  %6.2f B alloc/frame%s%n",
                what, size, fps, fps * size * 8 / 1e9, 100.0 * delivered / Math.max(1, sent),
                (double) allocated / Math.max(1, sent), extra);
    }

    // ---------------------------------------------------------------- real sockets

    /** Two switches (or one) with port a and port b, and the "QEMU" ends of their sockets. */
    record Rig(VirtualSwitch one, VirtualSwitch two, SocketChannel a, SocketChannel b, Path dir) implements AutoCloseable {
        static Rig open(boolean vxlan) throws IOException {
            Path dir = Files.createTempDirectory("vswitch-bench");
            SwitchOptions options = SwitchOptions.defaults().withOverlayAddress(new InetSocketAddress("127.0.0.1", 0))
                    .withQueue(4096, 4 << 20);
            VirtualSwitch one = VirtualSwitch.start(options);
            VirtualSwitch two = vxlan ? VirtualSwitch.start(options) : one;
            ServerSocketChannel qa = listen(dir.resolve("a.sock"));
            ServerSocketChannel qb = listen(dir.resolve("b.sock"));
            one.createNetwork(1);
            if (vxlan) {
                two.createNetwork(1);
                one.setRemote(1, new MacAddress(B), two.overlayAddress());
                two.setRemote(1, new MacAddress(A), one.overlayAddress());
            }
            one.attachPort(PortSpec.of("a", dir.resolve("a.sock"), 1, new MacAddress(A), new Ipv4Address(A_IP), 24));
            two.attachPort(PortSpec.of("b", dir.resolve("b.sock"), 1, new MacAddress(B), new Ipv4Address(B_IP), 24));
            SocketChannel a = qa.accept();
            SocketChannel b = qb.accept();
            qa.close();
            qb.close();
            // b speaks first so that the switches learn where B is
            writeFramed(b, frameFrom(B, A, 64));
            readFrame(a, ByteBuffer.allocate(2048));
            return new Rig(one, two, a, b, dir);
        }

        static ServerSocketChannel listen(Path path) throws IOException {
            ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            s.bind(UnixDomainSocketAddress.of(path));
            return s;
        }

        @Override
        public void close() throws IOException {
            a.close();
            b.close();
            one.close();
            if (two != one) {
                two.close();
            }
            Files.deleteIfExists(dir.resolve("a.sock"));
            Files.deleteIfExists(dir.resolve("b.sock"));
            Files.deleteIfExists(dir);
        }
    }

    static byte[] frameFrom(long src, long dst, int size) {
        byte[] f = frame(size, dst, src == A ? B_IP : A_IP, 80);
        ByteBuffer b = ByteBuffer.wrap(f);
        Frames.putMac(b, 6, src);
        b.putInt(26, src == A ? A_IP : B_IP);
        b.putShort(24, (short) 0);
        b.putShort(24, (short) Checksums.ipv4Header(b, 14, 20));
        return f;
    }

    static void writeFramed(SocketChannel c, byte[] frame) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 + frame.length).putInt(frame.length).put(frame).flip();
        while (b.hasRemaining()) {
            c.write(b);
        }
    }

    static int readFrame(SocketChannel c, ByteBuffer into) throws IOException {
        into.clear().limit(4);
        while (into.hasRemaining()) {
            if (c.read(into) < 0) {
                throw new IOException("closed");
            }
        }
        int length = into.getInt(0);
        into.clear().limit(length);
        while (into.hasRemaining()) {
            if (c.read(into) < 0) {
                throw new IOException("closed");
            }
        }
        return length;
    }

    static void throughput(int size, boolean vxlan) throws Exception {
        try (Rig rig = Rig.open(vxlan)) {
            int perWrite = Math.max(1, 64 * 1024 / (4 + size));
            ByteBuffer batch = ByteBuffer.allocateDirect(perWrite * (4 + size));
            byte[] frame = frameFrom(A, B, size);
            for (int i = 0; i < perWrite; i++) {
                batch.putInt(frame.length).put(frame);
            }
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong sent = new AtomicLong();
            AtomicLong received = new AtomicLong();
            long[] latencies = new long[1 << 20];
            AtomicLong samples = new AtomicLong();
            Thread source = Thread.ofPlatform().name("bench-source").start(() -> {
                try {
                    while (running.get()) {
                        long now = System.nanoTime();
                        for (int i = 0; i < perWrite; i++) {
                            batch.putLong(i * (4 + size) + 4 + STAMP, now);
                        }
                        batch.clear();
                        while (batch.hasRemaining()) {
                            rig.a().write(batch);
                        }
                        sent.addAndGet(perWrite);
                    }
                } catch (IOException e) {
                    // closed at the end
                }
            });
            Thread sink = Thread.ofPlatform().name("bench-sink").start(() -> {
                ByteBuffer in = ByteBuffer.allocateDirect(1 << 20);
                try {
                    while (true) {
                        if (rig.b().read(in) < 0) {
                            return;
                        }
                        long now = System.nanoTime();
                        int end = in.position();
                        int at = 0;
                        long n = 0;
                        while (end - at >= 4 && end - at - 4 >= in.getInt(at)) {
                            int length = in.getInt(at);
                            if ((received.get() + n) % 16 == 0) {
                                long s = samples.getAndIncrement();
                                latencies[(int) (s % latencies.length)] = now - in.getLong(at + 4 + STAMP);
                            }
                            at += 4 + length;
                            n++;
                        }
                        received.addAndGet(n);
                        in.put(0, in, at, end - at).position(end - at);
                    }
                } catch (IOException e) {
                    // closed at the end
                }
            });
            Thread.sleep(1000);
            Thread loop = rig.one().loopThread();
            long allocBefore = THREADS.getThreadAllocatedBytes(loop.threadId());
            long alloc2Before = vxlan ? THREADS.getThreadAllocatedBytes(rig.two().loopThread().threadId()) : 0;
            long cpu0 = THREADS.getThreadCpuTime(loop.threadId());
            long cpu20 = vxlan ? THREADS.getThreadCpuTime(rig.two().loopThread().threadId()) : 0;
            long taken0 = rig.one().stats().port("a").orElseThrow().rxFrames();
            long sent0 = sent.get();
            long received0 = received.get();
            samples.set(0);
            long start = System.nanoTime();
            Thread.sleep((long) (seconds * 1000));
            double elapsed = (System.nanoTime() - start) / 1e9;
            long rx = received.get() - received0;
            long taken = rig.one().stats().port("a").orElseThrow().rxFrames() - taken0;
            double cpu = (THREADS.getThreadCpuTime(loop.threadId()) - cpu0) / 1e9;
            double cpu2 = vxlan ? (THREADS.getThreadCpuTime(rig.two().loopThread().threadId()) - cpu20) / 1e9 : 0;
            OverlayStats o1 = rig.one().stats().overlay();
            OverlayStats o2 = rig.two().stats().overlay();
            long tx = sent.get() - sent0;
            long allocated = THREADS.getThreadAllocatedBytes(loop.threadId()) - allocBefore;
            long allocated2 = vxlan ? THREADS.getThreadAllocatedBytes(rig.two().loopThread().threadId()) - alloc2Before : 0;
            int n = (int) Math.min(samples.get(), latencies.length);
            long[] sorted = Arrays.copyOf(latencies, n);
            Arrays.sort(sorted);
            running.set(false);
            String lat = String.format("%n    offered %.0f frames/s, switch took %.0f frames/s from a%s",
                    tx / elapsed, taken / elapsed, (vxlan ? String.format(
                            "; loop CPU %.2f s + %.2f s of %.2f s: %.0f frames per loop CPU-second on switch 1,"
                            + " %.0f on switch 2; VXLAN sent %d (dropped %d), received %d (dropped %d)",
                            cpu, cpu2, elapsed, taken / cpu, rx / cpu2, o1.txFrames(), o1.txDropped(), o2.rxFrames(),
                            o2.rxDropped()) : String.format("; loop CPU %.2f s of %.2f s: %.0f frames per loop CPU-second",
                            cpu, elapsed, taken / cpu))
                            + (n == 0 ? "" : String.format(
                            ", latency under load p50 %.0f us p99 %.0f us", sorted[n / 2] / 1e3, sorted[(int) (n * 0.99)] / 1e3)));
            String what = vxlan ? "a -> switch 1 -> VXLAN -> switch 2 -> b (unix)" : "a -> switch -> b (unix sockets)";
            report(what, size, rx / elapsed, rx, tx, allocated + allocated2, lat);
            rig.a().close();
            rig.b().close();
            source.join();
            sink.join();
        }
    }

    /** One frame at a time: the time from writing it on a to reading it whole on b. */
    static void latency(boolean vxlan) throws Exception {
        int rounds = 20_000;
        long[] withSwitch = new long[rounds];
        try (Rig rig = Rig.open(vxlan)) {
            byte[] frame = frameFrom(A, B, 64);
            ByteBuffer in = ByteBuffer.allocate(2048);
            for (int i = 0; i < rounds; i++) {
                long t0 = System.nanoTime();
                writeFramed(rig.a(), frame);
                readFrame(rig.b(), in);
                withSwitch[i] = System.nanoTime() - t0;
            }
        }
        long[] direct = new long[rounds];
        Path dir = Files.createTempDirectory("vswitch-bench");
        try (ServerSocketChannel server = Rig.listen(dir.resolve("d.sock"));
             SocketChannel w = SocketChannel.open(UnixDomainSocketAddress.of(dir.resolve("d.sock")));
             SocketChannel r = server.accept()) {
            byte[] frame = frameFrom(A, B, 64);
            ByteBuffer in = ByteBuffer.allocate(2048);
            for (int i = 0; i < rounds; i++) {
                long t0 = System.nanoTime();
                writeFramed(w, frame);
                readFrame(r, in);
                direct[i] = System.nanoTime() - t0;
            }
        } finally {
            Files.deleteIfExists(dir.resolve("d.sock"));
            Files.deleteIfExists(dir);
        }
        Arrays.sort(withSwitch);
        Arrays.sort(direct);
        System.out.printf("%-52s  64 B  one-way p50 %.1f us p99 %.1f us; a direct unix socket p50 %.1f us p99 %.1f us"
                        + " -> added p50 %.1f us%n",
                vxlan ? "latency, one frame at a time, via VXLAN" : "latency, one frame at a time, one switch",
                withSwitch[rounds / 2] / 1e3, withSwitch[(int) (rounds * 0.99)] / 1e3,
                direct[rounds / 2] / 1e3, direct[(int) (rounds * 0.99)] / 1e3,
                (withSwitch[rounds / 2] - direct[rounds / 2]) / 1e3);
    }
}
