package dev.virga.vswitch;

import static dev.virga.vswitch.Frames.*;

import java.nio.ByteBuffer;

/**
 * A port may send only as itself: its MAC as Ethernet source; IPv4 from its assigned address (or
 * 0.0.0.0 to the DHCP server port before it has one); ARP whose sender is its MAC and address (or
 * 0.0.0.0 for an address probe); IPv6 with its MAC. Anything else (other ethertypes, VLAN tags) is
 * dropped and counted as spoofing. Frames from the overlay were checked by the sending host.
 */
final class AntiSpoofing implements Stage {
    @Override
    public Verdict process(Packet p) {
        Port port = p.ingress;
        if (port == null) {
            return Verdict.CONTINUE;
        }
        if (allowed(p.buf, p.offset, p.length, port)) {
            return Verdict.CONTINUE;
        }
        port.spoofDrops++;
        return Verdict.CONSUMED;
    }

    private static boolean allowed(ByteBuffer b, int frame, int length, Port port) {
        if (length < ETH_HEADER || srcMac(b, frame) != port.mac) {
            return false;
        }
        return switch (ethertype(b, frame)) {
            case ETHERTYPE_IPV4 -> ipv4Allowed(b, frame, length, port);
            case ETHERTYPE_ARP -> arpAllowed(b, frame, length, port);
            case ETHERTYPE_IPV6 -> true;
            default -> false;
        };
    }

    private static boolean ipv4Allowed(ByteBuffer b, int frame, int length, Port port) {
        int ip = frame + ETH_HEADER;
        if (length < ETH_HEADER + 20 || !isIpv4Version(b, ip)) {
            return false;
        }
        int src = ipSrc(b, ip);
        if (src == port.ip && port.hasAddress()) {
            return true;
        }
        if (src != 0) {
            return false;
        }
        int l4 = l4Start(b, frame, length);
        return l4 >= 0 && ipProtocol(b, ip) == PROTO_UDP && srcPort(b, l4) == Dhcp.CLIENT_PORT
                && dstPort(b, l4) == Dhcp.SERVER_PORT;
    }

    private static boolean arpAllowed(ByteBuffer b, int frame, int length, Port port) {
        int arp = frame + ETH_HEADER;
        if (length < ETH_HEADER + ARP_LENGTH || !isEthernetIpv4Arp(b, arp) || arpSenderMac(b, arp) != port.mac) {
            return false;
        }
        int sender = arpSenderIp(b, arp);
        return sender == 0 || (sender == port.ip && port.hasAddress());
    }
}
