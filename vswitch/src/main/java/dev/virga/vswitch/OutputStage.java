package dev.virga.vswitch;

/**
 * The last stage: puts the frame on the output queue of the port forwarding chose, sends it to the
 * remote host, or floods it to every other port of the segment and, for local frames, to every
 * remote host of the network (head-end replication).
 */
final class OutputStage implements Stage {
    private final Output output;

    OutputStage(Output output) {
        this.output = output;
    }

    @Override
    public Verdict process(Packet p) {
        if (p.egressPort != null) {
            output.toPort(p.egressPort, p.buf, p.offset, p.length);
            return Verdict.CONSUMED;
        }
        Segment segment = p.segment;
        if (p.egressRemote >= 0) {
            output.toRemote(segment.vni, p.egressRemote, p.buf, p.offset, p.length);
            return Verdict.CONSUMED;
        }
        if (!p.flood) {
            return Verdict.DROP;
        }
        for (Port port : segment.ports) {
            if (port != p.ingress) {
                output.toPort(port, p.buf, p.offset, p.length);
            }
        }
        if (p.ingress != null) {
            for (int remote : segment.floodRemotes) {
                output.toRemote(segment.vni, remote, p.buf, p.offset, p.length);
            }
        }
        return Verdict.CONSUMED;
    }
}
