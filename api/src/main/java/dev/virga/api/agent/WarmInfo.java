package dev.virga.api.agent;

import java.time.Instant;

/**
 * A warm state of an image on one host: a guest booted once, idle and ready, saved with its memory and devices.
 * A launch with exactly these vCPUs and memory resumes it instead of booting.
 *
 * @param stateBytes the saved memory and device state
 * @param bootMillis how long the guest took to boot when the state was made
 * @param saveMillis how long saving it took
 */
public record WarmInfo(int cpus, long memoryBytes, String accelerator, String qemuVersion, long stateBytes,
                       Instant createdAt, long bootMillis, long saveMillis) {
}
