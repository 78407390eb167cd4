package dev.virga.api;

/**
 * Body of {@code POST /1.0/instances/{name}/publish}: make an image of the instance's disk.
 *
 * @param snapshot which snapshot; empty for the current disk (a snapshot is taken first if the instance runs)
 * @param alias    the image's name, as {@code launch} takes it
 */
public record PublishRequest(String snapshot, String alias) {
}
