package dev.virga.vswitch;

import static dev.virga.vswitch.Dhcp.*;
import static dev.virga.vswitch.Frames.*;

import java.nio.ByteBuffer;

/**
 * The switch's DHCP server. A port with an assigned address gets exactly that address: DISCOVER is
 * answered with OFFER, REQUEST for it with ACK, REQUEST for anything else with NAK. The binding
 * comes from the port's configuration, never from the switch's memory, so a restarted switch keeps
 * giving the same answers. Requests from ports without an address go on (a DHCP server in a guest
 * may answer them).
 */
final class DhcpResponder implements Stage {
    private final ByteBuffer reply = ByteBuffer.allocateDirect(1024);
    private final Output output;
    private final long switchMac;
    private final int switchIp;
    private final int leaseSeconds;

    // the options of the request being answered
    private int messageType;
    private int requestedIp;
    private int serverId;

    DhcpResponder(Output output, MacAddress switchMac, Ipv4Address switchIp, int leaseSeconds) {
        this.output = output;
        this.switchMac = switchMac.value();
        this.switchIp = switchIp.value();
        this.leaseSeconds = leaseSeconds;
    }

    @Override
    public Verdict process(Packet p) {
        Port port = p.ingress;
        ByteBuffer b = p.buf;
        if (port == null || !port.hasAddress()) {
            return Verdict.CONTINUE;
        }
        int l4 = l4Start(b, p.offset, p.length);
        if (l4 < 0 || ipProtocol(b, p.offset + ETH_HEADER) != PROTO_UDP || dstPort(b, l4) != SERVER_PORT) {
            return Verdict.CONTINUE;
        }
        int bootp = l4 + 8;
        int end = p.offset + p.length;
        if (bootp + OPTIONS > end || b.get(bootp + OP) != 1 || b.get(bootp + 1) != 1 || b.get(bootp + 2) != 6
                || mac(b, bootp + CHADDR) != port.mac || b.getInt(bootp + COOKIE) != MAGIC_COOKIE
                || !readOptions(b, bootp + OPTIONS, end)) {
            return Verdict.DROP;
        }
        int server = port.spec.gateway().isAny() ? switchIp : port.spec.gateway().value();
        int answer;
        switch (messageType) {
            case DISCOVER -> answer = OFFER;
            case REQUEST -> {
                if (serverId != 0 && serverId != server) {
                    return Verdict.CONSUMED; // the client took another server's offer
                }
                int wanted = requestedIp != 0 ? requestedIp : b.getInt(bootp + CIADDR);
                answer = wanted == port.ip ? ACK : NAK;
            }
            default -> {
                return Verdict.CONSUMED; // RELEASE, DECLINE, INFORM: nothing to give back
            }
        }
        int length = build(b, bootp, port, server, answer);
        output.toPort(port, reply, 0, length);
        return Verdict.CONSUMED;
    }

    private boolean readOptions(ByteBuffer b, int at, int end) {
        messageType = 0;
        requestedIp = 0;
        serverId = 0;
        while (at < end) {
            int code = b.get(at) & 0xFF;
            if (code == OPT_END) {
                break;
            }
            if (code == OPT_PAD) {
                at++;
                continue;
            }
            if (at + 2 > end) {
                return false;
            }
            int len = b.get(at + 1) & 0xFF;
            int data = at + 2;
            if (data + len > end) {
                return false;
            }
            if (code == OPT_MESSAGE_TYPE && len == 1) {
                messageType = b.get(data) & 0xFF;
            } else if (code == OPT_REQUESTED_IP && len == 4) {
                requestedIp = b.getInt(data);
            } else if (code == OPT_SERVER_ID && len == 4) {
                serverId = b.getInt(data);
            }
            at = data + len;
        }
        return messageType != 0;
    }

    private int build(ByteBuffer request, int bootp, Port port, int server, int type) {
        ByteBuffer r = reply;
        int ciaddr = request.getInt(bootp + CIADDR);
        // a client without an address cannot take unicast yet: broadcast (always allowed by RFC 2131)
        boolean broadcast = ciaddr == 0 || type == NAK;
        int ip = ETH_HEADER;
        int udp = ip + 20;
        int msg = udp + 8;
        for (int i = 0; i < r.capacity(); i++) {
            r.put(i, (byte) 0);
        }
        putMac(r, 0, broadcast ? MacAddress.BROADCAST.value() : port.mac);
        putMac(r, 6, switchMac);
        r.putShort(12, (short) ETHERTYPE_IPV4);

        r.put(msg + OP, (byte) 2);
        r.put(msg + 1, (byte) 1);
        r.put(msg + 2, (byte) 6);
        r.putInt(msg + XID, request.getInt(bootp + XID));
        r.putShort(msg + FLAGS, request.getShort(bootp + FLAGS));
        r.putInt(msg + CIADDR, ciaddr);
        r.putInt(msg + YIADDR, type == NAK ? 0 : port.ip);
        r.putInt(msg + GIADDR, request.getInt(bootp + GIADDR));
        for (int i = 0; i < 16; i++) {
            r.put(msg + CHADDR + i, request.get(bootp + CHADDR + i));
        }
        r.putInt(msg + COOKIE, MAGIC_COOKIE);
        int o = msg + OPTIONS;
        o = option1(r, o, OPT_MESSAGE_TYPE, type);
        o = option4(r, o, OPT_SERVER_ID, server);
        if (type != NAK) {
            o = option4(r, o, OPT_LEASE_TIME, leaseSeconds);
            o = option4(r, o, OPT_SUBNET_MASK, Ipv4Address.mask(port.spec.prefixLength()));
            if (!port.spec.gateway().isAny()) {
                o = option4(r, o, OPT_ROUTER, port.spec.gateway().value());
            }
        }
        r.put(o++, (byte) OPT_END);
        int msgLength = Math.max(o - msg, MIN_MESSAGE);
        int udpLength = 8 + msgLength;

        r.put(ip, (byte) 0x45);
        r.putShort(ip + 2, (short) (20 + udpLength));
        r.put(ip + 8, (byte) 64);
        r.put(ip + 9, (byte) PROTO_UDP);
        r.putInt(ip + 12, server);
        r.putInt(ip + 16, broadcast ? -1 : ciaddr);
        r.putShort(ip + 10, (short) Checksums.ipv4Header(r, ip, 20));

        r.putShort(udp, (short) SERVER_PORT);
        r.putShort(udp + 2, (short) CLIENT_PORT);
        r.putShort(udp + 4, (short) udpLength);
        int sum = Checksums.l4(r, server, broadcast ? -1 : ciaddr, PROTO_UDP, udp, udpLength);
        r.putShort(udp + 6, (short) (sum == 0 ? 0xFFFF : sum));
        return udp + udpLength;
    }

    private static int option1(ByteBuffer r, int at, int code, int value) {
        r.put(at, (byte) code);
        r.put(at + 1, (byte) 1);
        r.put(at + 2, (byte) value);
        return at + 3;
    }

    private static int option4(ByteBuffer r, int at, int code, int value) {
        r.put(at, (byte) code);
        r.put(at + 1, (byte) 4);
        r.putInt(at + 2, value);
        return at + 6;
    }
}
