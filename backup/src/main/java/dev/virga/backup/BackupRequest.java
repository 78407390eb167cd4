package dev.virga.backup;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;

/**
 * What to back up: a VM's disks, and for an incremental backup the backup it continues from (the one the disks'
 * dirty bitmaps were started or cleared at). Use {@link #full} or {@link #incremental}.
 *
 * @param parentId the parent backup's id, or {@code ""} for a full backup
 * @param quiesced whether the guest's file systems were frozen when the point-in-time view was taken (recorded only)
 */
public record BackupRequest(String vm, String parentId, boolean quiesced, List<DiskSource> disks) {

    public BackupRequest {
        Names.check("VM name", vm);
        if (!parentId.isEmpty() && !Names.isBackupId(parentId)) {
            throw new IllegalArgumentException("parent backup id '" + parentId + "' is not valid");
        }
        disks = List.copyOf(disks);
        if (disks.isEmpty()) {
            throw new IllegalArgumentException("a backup of " + vm + " needs at least one disk");
        }
        var seen = new HashSet<String>();
        for (var disk : disks) {
            if (!seen.add(disk.name())) {
                throw new IllegalArgumentException("disk " + disk.name() + " appears twice in the backup of " + vm);
            }
        }
    }

    public static BackupRequest full(String vm, boolean quiesced, List<DiskSource> disks) {
        return new BackupRequest(vm, "", quiesced, disks);
    }

    public static BackupRequest incremental(String vm, String parentId, boolean quiesced, List<DiskSource> disks) {
        if (parentId.isEmpty()) {
            throw new IllegalArgumentException("an incremental backup of " + vm + " needs a parent backup id");
        }
        return new BackupRequest(vm, parentId, quiesced, disks);
    }

    public Optional<String> parent() {
        return parentId.isEmpty() ? Optional.empty() : Optional.of(parentId);
    }
}
