package dev.virga.api;

/**
 * Body of {@code POST /1.0/instances/{name}/publish}: make an image of the instance's disk.
 *
 * @param snapshot which snapshot; empty for the current disk (a snapshot is taken first if the instance runs)
 * @param alias    the image's name, as {@code launch} takes it
 * @param warm     also make the new image's warm state, for launches of the instance's vCPUs and memory
 */
public record PublishRequest(String snapshot, String alias, boolean warm) {

    public PublishRequest(String snapshot, String alias) {
        this(snapshot, alias, false);
    }
}
