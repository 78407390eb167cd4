package dev.virga.api;

/**
 * Body of {@code POST /1.0/instances/{name}/backups/prune}: retention with the semantics of {@code restic forget}
 * (each rule keeps the newest backup of each of its last N periods that have one); a rule of 0 is off.
 *
 * @param dryRun only say what would be removed
 */
public record BackupPruneRequest(String repo, int keepLast, int keepHourly, int keepDaily, int keepWeekly,
                                 int keepMonthly, int keepYearly, boolean dryRun) {
    public BackupPruneRequest {
        repo = repo == null ? "" : repo;
    }
}
