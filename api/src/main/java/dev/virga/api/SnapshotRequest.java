package dev.virga.api;

/**
 * Body of {@code POST /1.0/instances/{name}/snapshots}.
 *
 * @param name     the snapshot's name; empty for one made from the time ({@code snap-YYYYMMDD-HHMMSS})
 * @param stateful also save memory and device state (the instance must be running)
 */
public record SnapshotRequest(String name, boolean stateful) {
}
