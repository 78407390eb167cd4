package dev.virga.api;

import java.time.Instant;

/** A machine that runs instances. */
public record Host(
        String name,
        String url,
        String state,
        int cpus,
        long memoryBytes,
        String arch,
        String accelerator,
        String acceleratorReason,
        String qemuVersion,
        Instant lastSeen) {
}
