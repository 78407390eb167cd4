package dev.virga.vswitch;

/**
 * One port's counters. rx: frames the guest sent; tx: frames written to the guest's socket;
 * queueDrops: frames lost because the output queue was full or the guest was not connected;
 * spoofDrops: frames the anti-spoofing stage refused; filtered: frames another stage dropped.
 */
public record PortStats(String id, int vni, boolean connected, long connects, long rxFrames, long rxBytes,
                        long txFrames, long txBytes, long queueDrops, long spoofDrops, long filtered, int queueDepth) {
}
