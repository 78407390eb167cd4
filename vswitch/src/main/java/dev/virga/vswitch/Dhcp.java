package dev.virga.vswitch;

/** DHCP (RFC 2131/2132) wire constants. */
final class Dhcp {
    static final int SERVER_PORT = 67;
    static final int CLIENT_PORT = 68;
    static final int MAGIC_COOKIE = 0x6382_5363;
    /** Offsets inside the BOOTP message. */
    static final int OP = 0;
    static final int XID = 4;
    static final int FLAGS = 10;
    static final int CIADDR = 12;
    static final int YIADDR = 16;
    static final int SIADDR = 20;
    static final int GIADDR = 24;
    static final int CHADDR = 28;
    static final int COOKIE = 236;
    static final int OPTIONS = 240;
    /** Shortest BOOTP message some clients accept. */
    static final int MIN_MESSAGE = 300;
    static final int FLAG_BROADCAST = 0x8000;

    static final int OPT_PAD = 0;
    static final int OPT_SUBNET_MASK = 1;
    static final int OPT_ROUTER = 3;
    static final int OPT_REQUESTED_IP = 50;
    static final int OPT_LEASE_TIME = 51;
    static final int OPT_MESSAGE_TYPE = 53;
    static final int OPT_SERVER_ID = 54;
    static final int OPT_END = 255;

    static final int DISCOVER = 1;
    static final int OFFER = 2;
    static final int REQUEST = 3;
    static final int DECLINE = 4;
    static final int ACK = 5;
    static final int NAK = 6;
    static final int RELEASE = 7;
    static final int INFORM = 8;

    private Dhcp() {
    }
}
