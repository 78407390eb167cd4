package dev.virga.api.agent;

import java.util.List;
import java.util.Map;

/**
 * What a host is and what it runs, as its agent reports it (the control plane's heartbeat).
 *
 * @param cpus                 CPUs offered to VMs (the machine's, unless the agent was told otherwise)
 * @param memoryBytes          memory offered to VMs (the machine's, unless the agent was told otherwise)
 * @param memoryAvailableBytes what the kernel says is available now (MemAvailable): actual use, not allocation
 * @param diskBytes            size of the file system holding the host's data directory
 * @param diskFreeBytes        free space on it
 * @param labels               the operator's labels ({@code --labels rack=a,ssd=true})
 * @param standby              the host is in standby: it takes no VMs until the control plane wakes it
 * @param overlayEndpoint      where its switch receives VXLAN from other hosts ({@code host:port}); empty: none
 * @param overlayVersion       the {@link OverlayTable#version()} its switch applied last; empty: none yet
 */
public record HostReport(
        String name,
        int cpus,
        long memoryBytes,
        String arch,
        String accelerator,
        String acceleratorReason,
        String qemuVersion,
        List<VmStatus> instances,
        long memoryAvailableBytes,
        long diskBytes,
        long diskFreeBytes,
        Map<String, String> labels,
        boolean standby,
        String overlayEndpoint,
        String overlayVersion) {

    public HostReport {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        instances = instances == null ? List.of() : instances;
        overlayEndpoint = overlayEndpoint == null ? "" : overlayEndpoint;
        overlayVersion = overlayVersion == null ? "" : overlayVersion;
    }

    public HostReport(String name, int cpus, long memoryBytes, String arch, String accelerator,
                      String acceleratorReason, String qemuVersion, List<VmStatus> instances,
                      long memoryAvailableBytes, long diskBytes, long diskFreeBytes, Map<String, String> labels,
                      boolean standby) {
        this(name, cpus, memoryBytes, arch, accelerator, acceleratorReason, qemuVersion, instances,
                memoryAvailableBytes, diskBytes, diskFreeBytes, labels, standby, "", "");
    }

    /** A report with capacity only (no actual use, disk or labels known). */
    public HostReport(String name, int cpus, long memoryBytes, String arch, String accelerator,
                      String acceleratorReason, String qemuVersion, List<VmStatus> instances) {
        this(name, cpus, memoryBytes, arch, accelerator, acceleratorReason, qemuVersion, instances, memoryBytes,
                0, 0, Map.of(), false);
    }
}
