package dev.virga.api;

import java.time.Instant;

/**
 * An instance (VM) as the public API shows it.
 *
 * @param launchMillis API request to guest agent ready for the launch that created it; 0 when unknown
 * @param reason       why it is in its state (empty when nothing to say)
 */
public record Instance(
        String name,
        String image,
        String host,
        InstanceState state,
        String reason,
        int cpus,
        long memoryBytes,
        long diskBytes,
        String accelerator,
        long launchMillis,
        Instant createdAt,
        Instant updatedAt,
        GuestDetails guest) {
}
