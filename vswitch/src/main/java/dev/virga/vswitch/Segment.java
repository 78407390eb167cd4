package dev.virga.vswitch;

import java.util.Arrays;

/**
 * The L2 segment of one network (VNI): its local ports, what it has learned (MAC to local port or
 * remote host), the control plane's remote table and flood list, and its load balancers. A frame
 * never leaves its segment except over the overlay with the same VNI.
 */
final class Segment {
    /** Learned locations: a local port index (>= 0) or an encoded remote host (< 0). */
    static final int REMOTE_BASE = -2;

    final int vni;
    Port[] ports = new Port[0];
    final LongKeyTable learned = new LongKeyTable(256);
    /** MAC to remote host index, as the control plane set it. */
    final LongKeyTable remotes = new LongKeyTable(64);
    int[] floodRemotes = new int[0];
    LoadBalancer[] loadBalancers = new LoadBalancer[0];

    Segment(int vni) {
        this.vni = vni;
    }

    static long macKey(long mac) {
        return mac | (1L << 62);
    }

    static int encodeRemote(int remote) {
        return REMOTE_BASE - remote;
    }

    static int decodeRemote(int location) {
        return REMOTE_BASE - location;
    }

    static boolean isRemote(int location) {
        return location <= REMOTE_BASE && location != LongKeyTable.MISSING;
    }

    void add(Port port) {
        ports = Arrays.copyOf(ports, ports.length + 1);
        ports[ports.length - 1] = port;
    }

    void remove(Port port) {
        ports = Arrays.stream(ports).filter(p -> p != port).toArray(Port[]::new);
        learned.removeIf((key, location, stamp) -> location == port.index);
    }

    void add(LoadBalancer lb) {
        loadBalancers = Arrays.copyOf(loadBalancers, loadBalancers.length + 1);
        loadBalancers[loadBalancers.length - 1] = lb;
    }

    void remove(LoadBalancer lb) {
        loadBalancers = Arrays.stream(loadBalancers).filter(l -> l != lb).toArray(LoadBalancer[]::new);
    }
}
