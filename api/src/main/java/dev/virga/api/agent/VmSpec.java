package dev.virga.api.agent;

/** What the server asks a host to make: a VM named {@code name} with a linked-clone disk over an image. */
public record VmSpec(String name, String imageFingerprint, int cpus, long memoryBytes, long diskBytes) {
}
