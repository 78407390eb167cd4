package dev.virga.vswitch;

/**
 * Where an added {@link Stage} runs relative to the built-in ones. The built-in order is
 * anti-spoofing, ARP/DHCP responders, load balancer, learning/forwarding, output queue.
 */
public enum StagePoint {
    /** First, before anti-spoofing: sees every frame as it arrived. */
    INGRESS,
    /** After anti-spoofing: only frames the port was allowed to send. */
    AFTER_ANTI_SPOOFING,
    /** After the responders: frames the switch did not answer itself. */
    AFTER_RESPONDERS,
    /** After the load balancer: addresses already rewritten for VIP traffic. */
    AFTER_LOAD_BALANCER,
    /** After forwarding decided the egress, before the frame is queued (hold, copy, divert go here). */
    BEFORE_OUTPUT
}
