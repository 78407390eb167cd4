package dev.virga.api;

import java.time.Instant;

/**
 * A scheduled backup of an instance.
 *
 * @param repo       the repository's name ({@code ""}: the only one, or {@code default}, when it runs)
 * @param every      the interval as given ({@code 30m}, {@code 1h}, {@code 1d})
 * @param keepLast   after each backup, keep only the newest N of this instance's backups in that repository (0: all)
 * @param lastResult what the last run did (the backup's id, or why it did not run)
 */
public record BackupSchedule(String instance, String repo, String every, int keepLast, Instant nextAt,
                             String lastResult) {
}
