package dev.virga.backup;

/** Told after every chunk of a backup what it has cost so far (totals over all disks). */
@FunctionalInterface
public interface BackupProgress {
    BackupProgress NONE = (disk, soFar) -> {
    };

    void update(String disk, BackupStats soFar);
}
