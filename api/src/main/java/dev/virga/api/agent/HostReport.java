package dev.virga.api.agent;

import java.util.List;

/** What a host is and what it runs, as its agent reports it. */
public record HostReport(
        String name,
        int cpus,
        long memoryBytes,
        String arch,
        String accelerator,
        String acceleratorReason,
        String qemuVersion,
        List<VmStatus> instances) {
}
