package dev.virga.vswitch;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Remote switches' overlay endpoints, interned to small ints so tables hold no objects, and which of
 * them a received datagram came from.
 *
 * <p>A datagram's source port need not be its sender's listening port: RFC 7348 wants it to vary (a
 * kernel VXLAN device hashes flows onto ports 32768-60999) and this switch sends from one socket per
 * remote host. So the sender is the endpoint the control plane configured at the source IP, and
 * replies to MACs learned behind it go to that listening endpoint, not to the port it sent from.
 * Only when the IP is not configured at all is the source address itself taken as the endpoint (as
 * before: a peer not in the tables that sends from its listening port still gets answers).
 */
final class RemoteHosts {
    /** {@link #sender}: several configured switches share the source IP and the VNI does not tell which. */
    static final int UNKNOWN = -1;
    /** Several configured endpoints on one IP (several switches on one machine, as in tests). */
    private static final int SHARED = -2;
    /** Source addresses remembered at most (a kernel VXLAN peer uses one source port per flow). */
    private static final int MAX_SENDERS = 4096;

    private final List<InetSocketAddress> endpoints = new ArrayList<>();
    private final List<Boolean> configured = new ArrayList<>();
    private final Map<InetSocketAddress, Integer> indexes = new HashMap<>();
    /** Configured endpoints by IP: the index, or SHARED. */
    private final Map<InetAddress, Integer> byHost = new HashMap<>();
    /** Source address of received datagrams to what {@link #resolve} said (an index or SHARED). */
    private final Map<InetSocketAddress, Integer> senders = new HashMap<>();
    /** The last sender, compared by identity: the channel hands back the same object while the sender stays. */
    private InetSocketAddress lastSender;
    private int lastResolved;

    /** An endpoint the control plane named (a remote MAC's host, a flood target): frames go there. */
    int configure(InetSocketAddress endpoint) {
        int index = intern(endpoint);
        if (!configured.get(index)) {
            configured.set(index, true);
            byHost.merge(endpoint.getAddress(), index, (old, added) -> old.equals(added) ? old : SHARED);
            forgetSenders();
        }
        return index;
    }

    boolean configured(int index) {
        return configured.get(index);
    }

    /**
     * The remote host a datagram from {@code from} in {@code segment} came from, or {@link #UNKNOWN}
     * (then nothing is learned from it: its frames still arrive, and replies are flooded).
     */
    int sender(InetSocketAddress from, Segment segment) {
        int resolved;
        if (from == lastSender) {
            resolved = lastResolved;
        } else {
            Integer known = senders.get(from);
            if (known == null) {
                if (senders.size() >= MAX_SENDERS) {
                    senders.clear();
                }
                known = resolve(from);
                senders.put(from, known);
            }
            resolved = known;
            lastSender = from;
            lastResolved = resolved;
        }
        return resolved != SHARED ? resolved : amongFloodRemotes(from.getAddress(), segment);
    }

    private int resolve(InetSocketAddress from) {
        Integer exact = indexes.get(from);
        if (exact != null) {
            return exact; // sent from its listening port
        }
        Integer host = byHost.get(from.getAddress());
        return host != null ? host : intern(from);
    }

    /** The one switch of the segment's flood list at that IP, if there is exactly one. */
    private int amongFloodRemotes(InetAddress ip, Segment segment) {
        int found = UNKNOWN;
        for (int remote : segment.floodRemotes) {
            if (endpoints.get(remote).getAddress().equals(ip)) {
                if (found != UNKNOWN) {
                    return UNKNOWN;
                }
                found = remote;
            }
        }
        return found;
    }

    private int intern(InetSocketAddress endpoint) {
        Integer index = indexes.get(endpoint);
        if (index != null) {
            return index;
        }
        if (endpoint.isUnresolved()) {
            throw new SwitchException("remote host " + endpoint + " is not resolved");
        }
        endpoints.add(endpoint);
        configured.add(false);
        indexes.put(endpoint, endpoints.size() - 1);
        return endpoints.size() - 1;
    }

    private void forgetSenders() {
        senders.clear();
        lastSender = null;
    }

    InetSocketAddress endpoint(int index) {
        return endpoints.get(index);
    }

    int size() {
        return endpoints.size();
    }
}
