package dev.virga.backup;

import java.util.List;

/**
 * The result of re-reading every chunk of a backup.
 *
 * @param chunksChecked distinct chunks read, decompressed and hashed
 * @param damaged       every place (disk + offset) whose chunk is missing or corrupt
 */
public record VerifyReport(String backupId, long chunksChecked, List<DamagedChunkReport> damaged) {
    public VerifyReport {
        damaged = List.copyOf(damaged);
    }

    public boolean ok() {
        return damaged.isEmpty();
    }
}
