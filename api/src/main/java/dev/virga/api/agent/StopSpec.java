package dev.virga.api.agent;

/** How to stop: ask the guest (ACPI) and wait {@code timeoutSeconds}, then power off; or power off at once. */
public record StopSpec(boolean force, int timeoutSeconds) {
}
