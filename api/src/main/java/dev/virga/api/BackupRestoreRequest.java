package dev.virga.api;

/**
 * Body of {@code POST /1.0/backups/{id}/restore}.
 *
 * @param as    the name of a new instance to restore into; empty to restore onto the backed-up instance
 * @param force restoring onto a running instance stops it first (and starts it again)
 */
public record BackupRestoreRequest(String repo, String as, boolean force) {
    public BackupRestoreRequest {
        repo = repo == null ? "" : repo;
        as = as == null ? "" : as;
    }
}
