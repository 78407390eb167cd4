package dev.virga.api;

import java.time.Instant;

/**
 * One committed backup of an instance's disk in a backup repository.
 *
 * @param parent          the backup this one continues (incremental), {@code ""} for a full backup
 * @param quiesced        the guest's filesystems were frozen through its guest agent when the copy started
 * @param sizeBytes       the disk's virtual size
 * @param bytesRead       bytes of whole chunks handed to the repository (an incremental: only chunks with a change)
 * @param dirtyBytes      bytes QEMU copied out of the disk for this backup (its dirty clusters); -1 when unknown
 * @param bytesWritten    compressed bytes of new chunk files
 * @param chunksNew       chunks stored for the first time
 * @param chunksReused    chunks read but already in the repository (deduplicated)
 * @param chunksUnchanged chunks taken from the parent without reading
 * @param chunksZero      all-zero chunks (never stored)
 * @param fullReason      for a full backup made by this request: why it is full; otherwise {@code ""}
 */
public record Backup(String id, String instance, String repo, Instant createdAt, String parent, boolean quiesced,
                     long sizeBytes, long bytesRead, long dirtyBytes, long bytesWritten, long chunksNew,
                     long chunksReused, long chunksUnchanged, long chunksZero, String fullReason) {
    public Backup {
        parent = parent == null ? "" : parent;
        fullReason = fullReason == null ? "" : fullReason;
        repo = repo == null ? "" : repo;
    }

    public boolean full() {
        return parent.isEmpty();
    }

    public Backup withRepo(String name) {
        return new Backup(id, instance, name, createdAt, parent, quiesced, sizeBytes, bytesRead, dirtyBytes,
                bytesWritten, chunksNew, chunksReused, chunksUnchanged, chunksZero, fullReason);
    }
}
