package dev.virga.vswitch;

/**
 * One load balancer member as this switch sees it.
 *
 * @param up         not marked down by the control plane
 * @param attached   its port is attached to this switch (a local member); false for a member on another host
 * @param healthy    the last health probes answered (local), or its host's last report says so (remote)
 * @param health     why it is (not) healthy, e.g. {@code up}, {@code down: no answer to 3 probes},
 *                   {@code no report from its host}
 * @param queueDepth frames waiting toward its vNIC (for a remote member: as its host last reported)
 * @param activeFlows flows to it that are open (not closed by FIN/RST, not idle past the flow timeout)
 */
public record MemberStats(String portId, boolean up, boolean attached, boolean healthy, String health,
                          int queueDepth, int activeFlows, long totalFlows, long bytes) {
    /** Whether it can get new flows now. */
    public boolean available() {
        return up && healthy;
    }
}
