package dev.virga.vswitch;

import static dev.virga.vswitch.TestFrames.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VxlanTest {
    static final long A = mac("52:54:00:00:01:0a");
    static final long B = mac("52:54:00:00:02:0b");
    static final long C = mac("52:54:00:00:01:0c");
    static final long D = mac("52:54:00:00:02:0d");

    @TempDir
    Path dir;

    @Test
    void framesCrossBetweenTwoSwitchesInsideTheirOwnVni() throws IOException {
        try (Lab one = new Lab(Files.createDirectory(dir.resolve("one")));
             Lab two = new Lab(Files.createDirectory(dir.resolve("two")))) {
            for (Lab lab : new Lab[] {one, two}) {
                lab.vswitch.createNetwork(10);
                lab.vswitch.createNetwork(20);
            }
            FakeQemu a = one.nic("a", 10, "52:54:00:00:01:0a", "10.0.0.1");
            FakeQemu c = one.nic("c", 20, "52:54:00:00:01:0c", "10.0.0.1");
            FakeQemu b = two.nic("b", 10, "52:54:00:00:02:0b", "10.0.0.2");
            FakeQemu d = two.nic("d", 20, "52:54:00:00:02:0d", "10.0.0.2");
            InetSocketAddress oneAddress = one.vswitch.overlayAddress();
            InetSocketAddress twoAddress = two.vswitch.overlayAddress();
            for (int vni : new int[] {10, 20}) {
                one.vswitch.setFloodRemotes(vni, Set.of(twoAddress));
                two.vswitch.setFloodRemotes(vni, Set.of(oneAddress));
            }

            byte[] hello = raw(MacAddress.BROADCAST.value(), A, "broadcast in 10 from host one");
            a.send(hello);
            b.assertNext(hello);

            byte[] reply = raw(A, B, "unicast back, A learned over the overlay");
            b.send(reply);
            a.assertNext(reply);
            assertThat(two.vswitch.stats().overlay().txFrames()).isEqualTo(1); // unicast: one datagram

            byte[] in20 = raw(MacAddress.BROADCAST.value(), mac("52:54:00:00:01:0c"), "broadcast in 20");
            c.send(in20);
            d.assertNext(in20);
            assertThat(b.nothingReceived()).isTrue();
            assertThat(a.nothingReceived()).isTrue();

            // the control plane's table: host two learns nothing new, host one sends straight to two
            one.vswitch.setRemote(10, new MacAddress(B), twoAddress);
            byte[] direct = raw(B, A, "to B by the remote table");
            a.send(direct);
            b.assertNext(direct);
        }
    }

    @Test
    void theWireIsRfc7348AndAnUnknownOrOtherVniIsIsolated() throws IOException {
        try (Lab lab = new Lab(dir); DatagramChannel peer = DatagramChannel.open()) {
            peer.bind(new InetSocketAddress("127.0.0.1", 0));
            InetSocketAddress peerAddress = (InetSocketAddress) peer.getLocalAddress();
            lab.vswitch.createNetwork(10);
            lab.vswitch.createNetwork(0xABCDEF);
            FakeQemu a = lab.nic("a", 10, "52:54:00:00:01:0a", "10.0.0.1");
            FakeQemu c = lab.nic("c", 0xABCDEF, "52:54:00:00:01:0c", "10.0.0.1");
            lab.vswitch.setFloodRemotes(0xABCDEF, Set.of(peerAddress));

            byte[] frame = raw(MacAddress.BROADCAST.value(), C, "to the wire");
            c.send(frame);
            ByteBuffer datagram = ByteBuffer.allocate(2000);
            InetSocketAddress from = (InetSocketAddress) peer.receive(datagram);
            datagram.flip();
            // from the switch's IP, but from a socket of its own for this peer, not the one it listens on
            assertThat(from.getAddress()).isEqualTo(lab.vswitch.overlayAddress().getAddress());
            assertThat(from.getPort()).isNotEqualTo(lab.vswitch.overlayAddress().getPort());
            byte[] bytes = new byte[datagram.remaining()];
            datagram.get(bytes);
            assertThat(Arrays.copyOf(bytes, 8)).as("flags I, reserved, VNI, reserved")
                    .containsExactly(0x08, 0, 0, 0, 0xAB, 0xCD, 0xEF, 0);
            assertThat(Arrays.copyOfRange(bytes, 8, bytes.length)).isEqualTo(frame);

            // frames from the peer land in the segment of their VNI only
            byte[] to10 = raw(MacAddress.BROADCAST.value(), mac("52:54:00:00:09:01"), "remote in 10");
            byte[] toAbcdef = raw(MacAddress.BROADCAST.value(), mac("52:54:00:00:09:02"), "remote in abcdef");
            byte[] toUnknown = raw(MacAddress.BROADCAST.value(), mac("52:54:00:00:09:03"), "remote in 77");
            byte[] noIFlag = raw(MacAddress.BROADCAST.value(), mac("52:54:00:00:09:04"), "no I flag");
            peer.send(vxlan(0x08, 77, toUnknown), lab.vswitch.overlayAddress());
            peer.send(vxlan(0x00, 10, noIFlag), lab.vswitch.overlayAddress());
            peer.send(vxlan(0x08, 0xABCDEF, toAbcdef), lab.vswitch.overlayAddress());
            peer.send(vxlan(0x08, 10, to10), lab.vswitch.overlayAddress());
            c.assertNext(toAbcdef);
            a.assertNext(to10);
            await().atMost(Duration.ofSeconds(10)).until(() -> lab.vswitch.stats().overlay().rxDropped() == 2);
            assertThat(lab.vswitch.stats().overlay().rxFrames()).isEqualTo(2);

            // a remote frame is never flooded back to the overlay (split horizon)
            assertThat(lab.vswitch.stats().overlay().txFrames()).isEqualTo(1);
        }
    }

    @Test
    void aSenderIsKnownByItsIpSoRepliesGoToItsListeningPortNotTheSourcePort() throws IOException {
        try (Lab lab = new Lab(dir);
             DatagramChannel listening = DatagramChannel.open();
             DatagramChannel sending = DatagramChannel.open();
             DatagramChannel listening2 = DatagramChannel.open()) {
            for (DatagramChannel c : new DatagramChannel[] {listening, sending, listening2}) {
                c.bind(new InetSocketAddress("127.0.0.1", 0));
                c.socket().setSoTimeout(10_000);
            }
            InetSocketAddress peer = (InetSocketAddress) listening.getLocalAddress();
            lab.vswitch.createNetwork(10);
            FakeQemu a = lab.nic("a", 10, "52:54:00:00:01:0a", "10.0.0.1");
            lab.vswitch.setFloodRemotes(10, Set.of(peer));

            // the peer's frames come from another port than the one it listens on (RFC 7348 source port entropy)
            long x = mac("52:54:00:00:09:01");
            byte[] fromX = raw(A, x, "from behind the peer, sent from another port");
            sending.send(vxlan(0x08, 10, fromX), lab.vswitch.overlayAddress());
            a.assertNext(fromX);
            byte[] toX = raw(x, A, "unicast to X");
            a.send(toX);
            assertThat(payload(listening)).as("to the peer's listening port").isEqualTo(toX);
            assertThat(lab.vswitch.stats().overlay().txFrames()).isEqualTo(1);

            // two switches on one IP (several agents on a machine): a frame from a third port is not learned,
            // so the reply is flooded to both rather than sent to the wrong one
            InetSocketAddress peer2 = (InetSocketAddress) listening2.getLocalAddress();
            lab.vswitch.setFloodRemotes(10, Set.of(peer, peer2));
            long y = mac("52:54:00:00:09:02");
            byte[] fromY = raw(A, y, "from one of two switches on 127.0.0.1");
            sending.send(vxlan(0x08, 10, fromY), lab.vswitch.overlayAddress());
            a.assertNext(fromY);
            byte[] toY = raw(y, A, "to Y, not learned");
            a.send(toY);
            assertThat(payload(listening)).isEqualTo(toY);
            assertThat(payload(listening2)).isEqualTo(toY);
            // one sent from its listening port is told apart by the port
            byte[] fromZ = raw(A, mac("52:54:00:00:09:03"), "from the second, from its listening port");
            listening2.send(vxlan(0x08, 10, fromZ), lab.vswitch.overlayAddress());
            a.assertNext(fromZ);
            byte[] toZ = raw(mac("52:54:00:00:09:03"), A, "to Z, learned behind the second");
            a.send(toZ);
            assertThat(payload(listening2)).isEqualTo(toZ);
            assertThat(lab.vswitch.stats().overlay().txFrames()).isEqualTo(4);
            sending.configureBlocking(false);
            assertThat(sending.receive(ByteBuffer.allocate(2000))).as("nothing to the source port").isNull();
        }
    }

    /** The frame inside the next VXLAN datagram that arrives on {@code c} (blocking, 10 s at most). */
    static byte[] payload(DatagramChannel c) throws IOException {
        java.net.DatagramPacket packet = new java.net.DatagramPacket(new byte[2000], 2000);
        c.socket().receive(packet);
        return Arrays.copyOfRange(packet.getData(), 8, packet.getLength());
    }

    static ByteBuffer vxlan(int flags, int vni, byte[] frame) {
        return ByteBuffer.allocate(8 + frame.length).put((byte) flags).put(new byte[3]).putInt(vni << 8).put(frame).flip();
    }
}
