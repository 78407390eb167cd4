package dev.virga.api.agent;

/** An image present on a host, named by the fingerprint of its content (or of its build inputs). */
public record HostImage(
        String fingerprint,
        String name,
        String format,
        long virtualSize,
        long fileSize,
        String os,
        boolean bootsKernel) {
}
