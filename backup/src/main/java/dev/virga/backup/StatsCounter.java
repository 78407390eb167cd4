package dev.virga.backup;

import java.util.LinkedHashMap;
import java.util.Map;

/** Counts what a backup costs, per disk and in total, and tells the progress callback after every chunk. */
final class StatsCounter {

    private final BackupProgress progress;
    private final Map<String, BackupStats> perDisk = new LinkedHashMap<>();
    private BackupStats total = BackupStats.NONE;

    StatsCounter(BackupProgress progress) {
        this.progress = progress;
    }

    void stored(String disk, long read, long written) {
        add(disk, new BackupStats(read, written, 1, 0, 0, 0));
    }

    void reused(String disk, long read) {
        add(disk, new BackupStats(read, 0, 0, 1, 0, 0));
    }

    void zero(String disk, long read) {
        add(disk, new BackupStats(read, 0, 0, 0, 0, 1));
    }

    void unchanged(String disk) {
        synchronized (this) {
            perDisk.merge(disk, new BackupStats(0, 0, 0, 0, 1, 0), BackupStats::plus);
            total = total.plus(new BackupStats(0, 0, 0, 0, 1, 0));
        }
    }

    // under the lock so that the callback sees totals that only grow, whichever worker reports
    private synchronized void add(String disk, BackupStats delta) {
        perDisk.merge(disk, delta, BackupStats::plus);
        total = total.plus(delta);
        progress.update(disk, total);
    }

    synchronized BackupStats of(String disk) {
        return perDisk.getOrDefault(disk, BackupStats.NONE);
    }

    synchronized BackupStats total() {
        return total;
    }
}
