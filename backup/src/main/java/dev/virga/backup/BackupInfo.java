package dev.virga.backup;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A committed backup as listed: the summary of its index, without the chunk lists.
 *
 * @param parentId the backup this one was taken incrementally against, or {@code ""} for a full backup
 */
public record BackupInfo(String id, String vm, Instant created, String parentId, boolean quiesced, int chunkSize,
                         List<DiskInfo> disks, BackupStats stats) {

    public BackupInfo {
        disks = List.copyOf(disks);
    }

    public Optional<String> parent() {
        return parentId.isEmpty() ? Optional.empty() : Optional.of(parentId);
    }

    public Optional<DiskInfo> disk(String name) {
        return disks.stream().filter(d -> d.name().equals(name)).findFirst();
    }

    public long size() {
        return disks.stream().mapToLong(DiskInfo::size).sum();
    }
}
