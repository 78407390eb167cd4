package dev.virga.api.agent;

/**
 * Asks a host to make (or remove) the warm state of one of its images for VMs of this many vCPUs and memory.
 *
 * @param onlyIfMissing keep a state of this shape that this host could resume as it is (same QEMU, accelerator and
 *                      virtual hardware) instead of making it again
 */
public record WarmRequest(int cpus, long memoryBytes, boolean onlyIfMissing) {

    public WarmRequest(int cpus, long memoryBytes) {
        this(cpus, memoryBytes, false);
    }
}
