package dev.virga.backup;

import java.nio.file.Path;

/** A restored raw disk image: where, how large, and how many chunks were read or left as holes. */
public record RestoreResult(String backupId, String disk, Path image, long size, long chunksRead, long chunksZero) {
}
