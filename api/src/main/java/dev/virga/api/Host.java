package dev.virga.api;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A machine that runs instances.
 *
 * @param state           {@code online} (its agent answers) or {@code offline}
 * @param mode            {@code active} (takes VMs), {@code standby} (empty, woken when capacity is short) or
 *                        {@code maintenance} (takes nothing; set by evacuate)
 * @param allocatedCpus   vCPUs of the instances placed on it that hold resources
 * @param memoryAvailableBytes actual: what its kernel says is available
 * @param instances       names of the instances on it
 */
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
        Instant lastSeen,
        String mode,
        Map<String, String> labels,
        long diskBytes,
        long diskFreeBytes,
        long memoryAvailableBytes,
        int allocatedCpus,
        long allocatedMemoryBytes,
        long allocatedDiskBytes,
        double cpuRatio,
        double memoryRatio,
        List<String> instances) {
}
