package dev.virga.api;

/**
 * Body of {@code POST /1.0/instances/{name}/backups}.
 *
 * @param repo the repository's name; empty for the only one (or the one named {@code default})
 * @param full copy the whole disk even when an incremental backup is possible
 */
public record BackupRequest(String repo, boolean full) {
    public BackupRequest {
        repo = repo == null ? "" : repo;
    }
}
