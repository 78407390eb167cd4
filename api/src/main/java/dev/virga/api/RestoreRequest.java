package dev.virga.api;

/**
 * Body of {@code POST /1.0/instances/{name}/snapshots/{snapshot}/restore}.
 *
 * @param force a running instance is stopped, restored and started again; without it a running one is refused
 */
public record RestoreRequest(boolean force) {
}
