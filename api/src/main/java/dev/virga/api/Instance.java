package dev.virga.api;

import java.time.Instant;

/**
 * An instance (VM) as the public API shows it.
 *
 * @param launchMillis API request to guest agent ready for the launch that created it; 0 when unknown
 * @param reason       why it is in its state (empty when nothing to say)
 * @param nics         its tenant-network NICs (the provider NIC, QEMU's user-mode NAT, is not listed)
 * @param published    host ports forwarded to it through the provider NIC
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
        GuestDetails guest,
        java.util.List<Nic> nics,
        java.util.List<PublishedPort> published) {

    public Instance {
        nics = nics == null ? java.util.List.of() : java.util.List.copyOf(nics);
        published = published == null ? java.util.List.of() : java.util.List.copyOf(published);
    }

    public Instance(String name, String image, String host, InstanceState state, String reason, int cpus,
                    long memoryBytes, long diskBytes, String accelerator, long launchMillis, Instant createdAt,
                    Instant updatedAt, GuestDetails guest) {
        this(name, image, host, state, reason, cpus, memoryBytes, diskBytes, accelerator, launchMillis, createdAt,
                updatedAt, guest, java.util.List.of(), java.util.List.of());
    }

    public Instance withNics(java.util.List<Nic> nics) {
        return new Instance(name, image, host, state, reason, cpus, memoryBytes, diskBytes, accelerator, launchMillis,
                createdAt, updatedAt, guest, nics, published);
    }

    public Instance withPublished(java.util.List<PublishedPort> published) {
        return new Instance(name, image, host, state, reason, cpus, memoryBytes, diskBytes, accelerator, launchMillis,
                createdAt, updatedAt, guest, nics, published);
    }
}
