package dev.virga.api;

import java.util.regex.Pattern;

/**
 * A port of the VM's host forwarded to a port of the guest through the guest's provider NIC (QEMU's user-mode NAT,
 * the guest's {@code eth0} at 10.0.2.15): connections to {@code hostAddress:hostPort} on the host reach
 * {@code guestPort} in the guest, like {@code docker run -p}.
 *
 * @param protocol    {@code tcp} or {@code udp}
 * @param hostAddress the host address to listen on; {@code 0.0.0.0} (every address) when not given
 */
public record PublishedPort(String protocol, String hostAddress, int hostPort, int guestPort) {
    public static final String ANY = "0.0.0.0";
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");

    public PublishedPort {
        protocol = protocol == null || protocol.isEmpty() ? "tcp" : protocol;
        hostAddress = hostAddress == null || hostAddress.isEmpty() ? ANY : hostAddress;
        if (!protocol.equals("tcp") && !protocol.equals("udp")) {
            throw new IllegalArgumentException("protocol '" + protocol + "' is not tcp or udp");
        }
        if (!IPV4.matcher(hostAddress).matches()) {
            throw new IllegalArgumentException("host address '" + hostAddress + "' is not an IPv4 address");
        }
        if (hostPort < 1 || hostPort > 65535) {
            throw new IllegalArgumentException("host port " + hostPort + " is not in 1..65535");
        }
        if (guestPort < 1 || guestPort > 65535) {
            throw new IllegalArgumentException("guest port " + guestPort + " is not in 1..65535");
        }
    }

    /**
     * Reads {@code [ADDRESS:]HOSTPORT:GUESTPORT[/tcp|/udp]}, e.g. {@code 8080:80} or {@code 127.0.0.1:2222:22}.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static PublishedPort parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("'' is not [ADDRESS:]HOSTPORT:GUESTPORT[/tcp|/udp]");
        }
        var protocol = "tcp";
        var rest = text.strip();
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            protocol = rest.substring(slash + 1);
            rest = rest.substring(0, slash);
        }
        var parts = rest.split(":", -1);
        if (parts.length < 2 || parts.length > 3) {
            throw new IllegalArgumentException("'" + text + "' is not [ADDRESS:]HOSTPORT:GUESTPORT[/tcp|/udp]");
        }
        var address = parts.length == 3 ? parts[0] : ANY;
        try {
            return new PublishedPort(protocol, address, port(parts[parts.length - 2], "host port"),
                    port(parts[parts.length - 1], "guest port"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "': " + e.getMessage(), e);
        }
    }

    private static int port(String text, String what) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " '" + text + "' is not a number");
        }
    }

    /** Whether both cannot listen on one host at once: same protocol and port, and the same or any address. */
    public boolean clashesWith(PublishedPort other) {
        return protocol.equals(other.protocol) && hostPort == other.hostPort
                && (hostAddress.equals(other.hostAddress) || hostAddress.equals(ANY) || other.hostAddress.equals(ANY));
    }

    /** As QEMU's user-mode {@code hostfwd} option spells it: {@code tcp:ADDR:HOSTPORT-:GUESTPORT}. */
    public String hostfwd() {
        return protocol + ":" + hostAddress + ":" + hostPort + "-:" + guestPort;
    }

    @Override
    public String toString() {
        return hostAddress + ":" + hostPort + "->" + guestPort + "/" + protocol;
    }
}
