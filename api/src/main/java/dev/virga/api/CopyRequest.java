package dev.virga.api;

/**
 * Body of {@code POST /1.0/instances/{source}/copy}: a new instance whose disk is a delta over a snapshot of the
 * source (the snapshot becomes a read-only base shared by every copy).
 *
 * @param name      the new instance
 * @param snapshot  the source's snapshot; empty to take one now (stateful if the source runs, unless stateless)
 * @param stateless boot the copy from the disk even when the snapshot holds memory state
 */
public record CopyRequest(String name, String snapshot, boolean stateless) {
}
