package dev.virga.api.agent;

/**
 * What the server asks a host to make: a VM named {@code name} with a linked-clone disk over an image, or, for a
 * copy, over a snapshot of another VM on the same host.
 *
 * @param baseInstance for a copy: the VM whose snapshot the disk reads through; empty for a launch from an image
 * @param baseSnapshot for a copy: that snapshot
 * @param resume       for a copy of a stateful snapshot: start from its saved memory instead of booting
 * @param nics         its tenant-network NICs, in guest order after the provider NIC
 * @param publish      host ports forwarded to guest ports through the provider NIC
 * @param cold         boot it even when its image has a warm state it could resume
 */
public record VmSpec(String name, String imageFingerprint, int cpus, long memoryBytes, long diskBytes,
                     String baseInstance, String baseSnapshot, boolean resume, java.util.List<NicSpec> nics,
                     java.util.List<dev.virga.api.PublishedPort> publish, boolean cold) {

    public VmSpec {
        nics = nics == null ? java.util.List.of() : java.util.List.copyOf(nics);
        publish = publish == null ? java.util.List.of() : java.util.List.copyOf(publish);
    }

    public VmSpec(String name, String imageFingerprint, int cpus, long memoryBytes, long diskBytes,
                  String baseInstance, String baseSnapshot, boolean resume, java.util.List<NicSpec> nics,
                  java.util.List<dev.virga.api.PublishedPort> publish) {
        this(name, imageFingerprint, cpus, memoryBytes, diskBytes, baseInstance, baseSnapshot, resume, nics, publish,
                false);
    }

    public VmSpec(String name, String imageFingerprint, int cpus, long memoryBytes, long diskBytes,
                  String baseInstance, String baseSnapshot, boolean resume, java.util.List<NicSpec> nics) {
        this(name, imageFingerprint, cpus, memoryBytes, diskBytes, baseInstance, baseSnapshot, resume, nics,
                java.util.List.of());
    }

    public VmSpec withPublish(java.util.List<dev.virga.api.PublishedPort> publish) {
        return new VmSpec(name, imageFingerprint, cpus, memoryBytes, diskBytes, baseInstance, baseSnapshot, resume,
                nics, publish, cold);
    }

    public VmSpec withCold(boolean cold) {
        return new VmSpec(name, imageFingerprint, cpus, memoryBytes, diskBytes, baseInstance, baseSnapshot, resume,
                nics, publish, cold);
    }

    public VmSpec(String name, String imageFingerprint, int cpus, long memoryBytes, long diskBytes,
                  String baseInstance, String baseSnapshot, boolean resume) {
        this(name, imageFingerprint, cpus, memoryBytes, diskBytes, baseInstance, baseSnapshot, resume,
                java.util.List.of());
    }

    public VmSpec withNics(java.util.List<NicSpec> nics) {
        return new VmSpec(name, imageFingerprint, cpus, memoryBytes, diskBytes, baseInstance, baseSnapshot, resume,
                nics, publish, cold);
    }

    public static VmSpec fromImage(String name, String imageFingerprint, int cpus, long memoryBytes, long diskBytes) {
        return new VmSpec(name, imageFingerprint, cpus, memoryBytes, diskBytes, "", "", false);
    }

    public boolean isCopy() {
        return baseInstance != null && !baseInstance.isEmpty();
    }
}
