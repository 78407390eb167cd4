package dev.virga.vswitch;

import static dev.virga.vswitch.TestFrames.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DhcpTest {
    static final long GUEST = mac("52:54:00:12:34:01");
    static final int XID = 0x1234_5678;

    @TempDir
    Path dir;

    /** A DHCP reply as the guest sees it. */
    record Reply(TestFrames.Ip ip, int op, int xid, int yiaddr, long chaddr, Map<Integer, byte[]> options) {
        int type() {
            return options.get(53)[0];
        }

        int address(int option) {
            return ByteBuffer.wrap(options.get(option)).getInt();
        }
    }

    static Reply parse(byte[] frame) {
        TestFrames.Ip ip = parseIp(frame);
        ByteBuffer b = ip.frame();
        int m = ip.l4() + 8;
        assertThat(b.getInt(m + 236)).as("magic cookie").isEqualTo(Dhcp.MAGIC_COOKIE);
        Map<Integer, byte[]> options = new HashMap<>();
        int o = m + 240;
        while ((b.get(o) & 0xFF) != 255) {
            int code = b.get(o) & 0xFF;
            byte[] value = new byte[b.get(o + 1) & 0xFF];
            b.get(o + 2, value);
            options.put(code, value);
            o += 2 + value.length;
        }
        assertThat(ip.l4Length()).as("BOOTP message of at least 300 bytes").isGreaterThanOrEqualTo(8 + 300);
        return new Reply(ip, b.get(m), b.getInt(m + 4), b.getInt(m + 16), Frames.mac(b, m + 28), options);
    }

    @Test
    void discoverGetsAnOfferAndRequestGetsAnAckWithTheAssignedAddress() {
        try (Lab lab = new Lab(dir)) {
            lab.vswitch.createNetwork(3);
            FakeQemu guest = lab.nic("g", 3, "52:54:00:12:34:01", "10.1.2.3", Ipv4Address.parse("10.1.2.1"), true);

            guest.send(dhcp(GUEST, XID, Dhcp.DISCOVER, 0, 0, 0));
            Reply offer = parse(guest.receive());
            assertThat(offer.type()).isEqualTo(Dhcp.OFFER);
            assertThat(offer.op()).isEqualTo(2);
            assertThat(offer.xid()).isEqualTo(XID);
            assertThat(offer.chaddr()).isEqualTo(GUEST);
            assertThat(new Ipv4Address(offer.yiaddr())).isEqualTo(Ipv4Address.parse("10.1.2.3"));
            assertThat(new Ipv4Address(offer.address(1))).isEqualTo(Ipv4Address.parse("255.255.255.0"));
            assertThat(new Ipv4Address(offer.address(3))).isEqualTo(Ipv4Address.parse("10.1.2.1"));
            assertThat(new Ipv4Address(offer.address(54))).isEqualTo(Ipv4Address.parse("10.1.2.1"));
            assertThat(offer.address(51)).isEqualTo(86400);
            // the client has no address yet: broadcast MAC and IP, from the server, ports 67 -> 68
            assertThat(offer.ip().dstMac()).isEqualTo(MacAddress.BROADCAST.value());
            assertThat(offer.ip().dstIp()).isEqualTo(-1);
            assertThat(offer.ip().srcIp()).isEqualTo(ip("10.1.2.1"));
            assertThat(offer.ip().srcPort()).isEqualTo(67);
            assertThat(offer.ip().dstPort()).isEqualTo(68);
            assertThat(offer.ip().ipChecksumOk()).isTrue();
            assertThat(offer.ip().l4ChecksumOk()).isTrue();

            guest.send(dhcp(GUEST, XID + 1, Dhcp.REQUEST, 0, ip("10.1.2.3"), ip("10.1.2.1")));
            Reply ack = parse(guest.receive());
            assertThat(ack.type()).isEqualTo(Dhcp.ACK);
            assertThat(ack.xid()).isEqualTo(XID + 1);
            assertThat(new Ipv4Address(ack.yiaddr())).isEqualTo(Ipv4Address.parse("10.1.2.3"));
            assertThat(new Ipv4Address(ack.address(3))).isEqualTo(Ipv4Address.parse("10.1.2.1"));
            assertThat(ack.ip().l4ChecksumOk()).isTrue();

            // renewal from the bound address: unicast back
            guest.send(dhcp(GUEST, XID + 2, Dhcp.REQUEST, ip("10.1.2.3"), 0, 0));
            Reply renew = parse(guest.receive());
            assertThat(renew.type()).isEqualTo(Dhcp.ACK);
            assertThat(renew.ip().dstMac()).isEqualTo(GUEST);
            assertThat(renew.ip().dstIp()).isEqualTo(ip("10.1.2.3"));
        }
    }

    @Test
    void withoutGatewayTheSwitchIsTheServerAndGivesNoRouter() {
        try (Lab lab = new Lab(dir)) {
            lab.vswitch.createNetwork(3);
            FakeQemu guest = lab.nic("g", 3, "52:54:00:12:34:01", "10.1.2.3");
            guest.send(dhcp(GUEST, XID, Dhcp.DISCOVER, 0, 0, 0));
            Reply offer = parse(guest.receive());
            assertThat(new Ipv4Address(offer.address(54))).isEqualTo(SwitchOptions.defaults().switchAddress());
            assertThat(offer.options()).doesNotContainKey(3);
            assertThat(offer.ip().srcMac()).isEqualTo(SwitchOptions.defaults().switchMac().value());

            // the guest may ARP for the server identifier (renewal): the switch answers for itself
            guest.send(arpRequest(GUEST, ip("10.1.2.3"), SwitchOptions.defaults().switchAddress().value()));
            ByteBuffer arp = ByteBuffer.wrap(guest.receive());
            assertThat(Frames.arpOp(arp, 14)).isEqualTo(2);
            assertThat(Frames.arpSenderMac(arp, 14)).isEqualTo(SwitchOptions.defaults().switchMac().value());
        }
    }

    @Test
    void requestForAnotherAddressGetsANak() {
        try (Lab lab = new Lab(dir)) {
            lab.vswitch.createNetwork(3);
            FakeQemu guest = lab.nic("g", 3, "52:54:00:12:34:01", "10.1.2.3");
            guest.send(dhcp(GUEST, XID, Dhcp.REQUEST, 0, ip("10.1.2.99"), 0));
            Reply nak = parse(guest.receive());
            assertThat(nak.type()).isEqualTo(Dhcp.NAK);
            assertThat(nak.yiaddr()).isZero();
        }
    }
}
