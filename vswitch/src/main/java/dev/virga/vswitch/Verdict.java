package dev.virga.vswitch;

/** What a {@link Stage} decided about a packet. */
public enum Verdict {
    /** Hand the packet to the next stage. */
    CONTINUE,
    /** Discard the packet; the switch counts it on the ingress port. */
    DROP,
    /** The stage has dealt with the packet (answered it, queued it itself); stop here, count nothing. */
    CONSUMED
}
