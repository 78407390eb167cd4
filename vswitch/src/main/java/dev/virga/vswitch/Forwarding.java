package dev.virga.vswitch;

import static dev.virga.vswitch.Frames.*;

import java.nio.ByteBuffer;

/**
 * Learning and the forwarding decision inside the frame's segment. The source MAC is learned at
 * its port or remote host (a remote frame never takes over the MAC of a live local port). The
 * destination is, in order: a learned local port, the control plane's remote entry, a learned
 * remote host, else flood. Entries older than the aging time are unknown. Frames from the overlay
 * never go back to the overlay.
 */
final class Forwarding implements Stage {
    private final Now now;
    private final PortIndex ports;
    private final long agingMillis;

    Forwarding(Now now, PortIndex ports, long agingMillis) {
        this.now = now;
        this.ports = ports;
        this.agingMillis = agingMillis;
    }

    @Override
    public Verdict process(Packet p) {
        Segment segment = p.segment;
        ByteBuffer b = p.buf;
        long notBefore = now.millis - agingMillis;
        learn(p, segment, srcMac(b, p.offset), notBefore);
        if (p.egressPort != null || p.egressRemote >= 0) {
            return Verdict.CONTINUE;
        }
        long dst = dstMac(b, p.offset);
        if (isMulticast(dst)) {
            p.flood = true;
            return Verdict.CONTINUE;
        }
        long key = Segment.macKey(dst);
        int location = segment.learned.getFresh(key, notBefore);
        if (location >= 0) {
            Port port = ports.byIndex[location];
            if (port == p.ingress) {
                return Verdict.DROP;
            }
            p.egressPort = port;
            return Verdict.CONTINUE;
        }
        int remote = segment.remotes.get(key);
        if (remote == LongKeyTable.MISSING && Segment.isRemote(location)) {
            remote = Segment.decodeRemote(location);
        }
        if (remote == LongKeyTable.MISSING) {
            p.flood = true;
            return Verdict.CONTINUE;
        }
        if (p.ingress == null) {
            return Verdict.DROP;
        }
        p.egressRemote = remote;
        return Verdict.CONTINUE;
    }

    private void learn(Packet p, Segment segment, long src, long notBefore) {
        if (isMulticast(src)) {
            return;
        }
        long key = Segment.macKey(src);
        int location;
        if (p.ingress != null) {
            location = p.ingress.index;
        } else {
            if (p.remoteSource == RemoteHosts.UNKNOWN) {
                return; // which of several switches on its IP sent it is not known: floods reach the MAC
            }
            int known = segment.learned.getFresh(key, notBefore);
            if (known >= 0 && ports.byIndex[known] != null && ports.byIndex[known].mac == src) {
                return;
            }
            location = Segment.encodeRemote(p.remoteSource);
        }
        segment.learned.put(key, location, now.millis);
    }
}
