package dev.virga.vswitch;

/** One load balancer member: whether it takes new flows, its output queue, its flows and bytes sent to it. */
public record MemberStats(String portId, boolean up, boolean attached, int queueDepth, int activeFlows,
                          long totalFlows, long bytes) {
}
