package dev.virga.vswitch;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * How one host's switch runs.
 *
 * @param overlayAddress where VXLAN is received (and sent from); port 0 picks a free one
 * @param switchMac      the source MAC of the switch's own answers (DHCP, ARP for its address)
 * @param switchAddress  the DHCP server identifier on networks without a gateway
 * @param queueFrames    output queue bound per port, in frames
 * @param queueBytes     output queue bound per port, in bytes (framing included)
 * @param macAging       a learned MAC not seen for this long is unknown again
 * @param flowIdle       a load-balanced flow idle for this long is forgotten
 * @param redialMin      first wait before dialing a QEMU socket again
 * @param redialMax      longest wait between dials (the wait doubles up to it)
 * @param dhcpLease      the lease time the DHCP server gives
 * @param healthProbes   probe local load balancer members once a second and take out those that stop answering
 */
public record SwitchOptions(InetSocketAddress overlayAddress, MacAddress switchMac, Ipv4Address switchAddress,
                            int queueFrames, int queueBytes, Duration macAging, Duration flowIdle,
                            Duration redialMin, Duration redialMax, Duration dhcpLease,
                            boolean healthProbes) {
    /** The IANA VXLAN port. */
    public static final int VXLAN_PORT = 4789;

    public SwitchOptions {
        if (queueFrames < 1 || queueBytes < 2048) {
            throw new IllegalArgumentException("queue bounds too small: " + queueFrames + " frames, " + queueBytes + " bytes");
        }
        if (redialMin.isNegative() || redialMax.compareTo(redialMin) < 0) {
            throw new IllegalArgumentException("redial wait must be 0 <= min <= max: " + redialMin + ", " + redialMax);
        }
    }

    public static SwitchOptions defaults() {
        return new SwitchOptions(new InetSocketAddress(VXLAN_PORT), MacAddress.parse("02:76:73:00:00:01"),
                Ipv4Address.parse("169.254.0.1"), 512, 512 * 1024, Duration.ofMinutes(5), Duration.ofMinutes(2),
                Duration.ofMillis(20), Duration.ofSeconds(1), Duration.ofDays(1), true);
    }

    public SwitchOptions withOverlayAddress(InetSocketAddress address) {
        return new SwitchOptions(address, switchMac, switchAddress, queueFrames, queueBytes, macAging, flowIdle,
                redialMin, redialMax, dhcpLease, healthProbes);
    }

    public SwitchOptions withQueue(int frames, int bytes) {
        return new SwitchOptions(overlayAddress, switchMac, switchAddress, frames, bytes, macAging, flowIdle,
                redialMin, redialMax, dhcpLease, healthProbes);
    }

    /** Without health probes: members count as healthy while their vNIC is connected (tests with synthetic NICs). */
    public SwitchOptions withoutHealthProbes() {
        return new SwitchOptions(overlayAddress, switchMac, switchAddress, queueFrames, queueBytes, macAging, flowIdle,
                redialMin, redialMax, dhcpLease, false);
    }
}
