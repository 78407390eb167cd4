package dev.virga.api.agent;

/**
 * Body of {@code POST /agent/1.0/instances/{name}/migrate}: move the running VM to {@code to}, its disk first (a
 * mirror into the destination's NBD export while the guest runs), then its memory (QEMU's pre-copy).
 *
 * @param downtimeLimitMillis     longest pause QEMU may plan for the final copy (QEMU's default is 300)
 * @param bandwidthBytesPerSecond cap for the disk mirror and the memory copy (QEMU's default for memory is 128 MiB/s)
 * @param autoConverge            slow the guest's vCPUs down when it dirties memory faster than the link carries it
 */
public record MigrateSpec(IncomingEndpoint to, long downtimeLimitMillis, long bandwidthBytesPerSecond,
                          boolean autoConverge) {
}
