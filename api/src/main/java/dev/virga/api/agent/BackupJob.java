package dev.virga.api.agent;

/**
 * What the control plane asks a host to do with a backup repository it can reach at {@code path}.
 *
 * @param full     (backup) copy the whole disk
 * @param backupId (restore) the backup to restore
 */
public record BackupJob(String path, boolean full, String backupId) {
    public BackupJob {
        backupId = backupId == null ? "" : backupId;
    }
}
