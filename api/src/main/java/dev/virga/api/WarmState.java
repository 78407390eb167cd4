package dev.virga.api;

import java.time.Instant;

/**
 * A warm state of an image on one host: its guest booted once, idle and ready, saved with memory and devices.
 * Launches of exactly these vCPUs and memory on that host resume it instead of booting.
 *
 * @param stateBytes the saved memory and device state
 * @param bootMillis how long the guest took to boot when the state was made
 */
public record WarmState(String host, int cpus, long memoryBytes, String accelerator, String qemuVersion,
                        long stateBytes, Instant createdAt, long bootMillis) {
}
