package dev.virga.api.agent;

/**
 * What the server asks a host to make: a VM named {@code name} with a linked-clone disk over an image, or, for a
 * copy, over a snapshot of another VM on the same host.
 *
 * @param baseInstance for a copy: the VM whose snapshot the disk reads through; empty for a launch from an image
 * @param baseSnapshot for a copy: that snapshot
 * @param resume       for a copy of a stateful snapshot: start from its saved memory instead of booting
 */
public record VmSpec(String name, String imageFingerprint, int cpus, long memoryBytes, long diskBytes,
                     String baseInstance, String baseSnapshot, boolean resume) {

    public static VmSpec fromImage(String name, String imageFingerprint, int cpus, long memoryBytes, long diskBytes) {
        return new VmSpec(name, imageFingerprint, cpus, memoryBytes, diskBytes, "", "", false);
    }

    public boolean isCopy() {
        return baseInstance != null && !baseInstance.isEmpty();
    }
}
