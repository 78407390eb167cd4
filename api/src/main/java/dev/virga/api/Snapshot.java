package dev.virga.api;

import java.time.Instant;

/**
 * A point in time of an instance's disk, and with {@code stateful} also of its memory and devices.
 *
 * @param quiesced   the guest's filesystems were frozen through its guest agent while the disk was cut
 * @param wasRunning the instance was running when the snapshot was taken (live snapshot)
 * @param sizeBytes  bytes on the host this snapshot holds (its disk layer, plus its memory state)
 */
public record Snapshot(String name, String instance, Instant createdAt, boolean stateful, boolean quiesced,
                       boolean wasRunning, long sizeBytes) {
}
