package dev.virga.api;

/**
 * Body of {@code POST /1.0/instances/{name}/move}.
 *
 * @param target                  the host to move to; empty lets the scheduler choose (never the current host)
 * @param force                   with a target: skip its capacity and group checks
 * @param live                    keep the VM running: its disk is mirrored and its memory copied while the guest
 *                                runs, then it switches over (a stopped VM, or without it: a cold move)
 * @param downtimeLimitMillis     live: the longest pause to plan for at the switch-over (0: {@link #DEFAULT_DOWNTIME_MILLIS})
 * @param bandwidthBytesPerSecond live: cap for the disk mirror and the memory copy (0: {@link #DEFAULT_BANDWIDTH})
 * @param autoConverge            live: slow the guest's vCPUs when it dirties memory faster than the link carries it
 */
public record MoveRequest(String target, boolean force, boolean live, long downtimeLimitMillis,
                          long bandwidthBytesPerSecond, boolean autoConverge) {
    /** QEMU's own default is 300 ms; an idle small guest switches over in a few ms. */
    public static final long DEFAULT_DOWNTIME_MILLIS = 100;
    /** QEMU's own default is 128 MiB/s, a tenth of a 10 Gbit/s link. */
    public static final long DEFAULT_BANDWIDTH = 1L << 30;

    public MoveRequest {
        target = target == null ? "" : target;
    }

    public MoveRequest(String target, boolean force, boolean live) {
        this(target, force, live, 0, 0, false);
    }
}
