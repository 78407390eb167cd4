package dev.virga.backup;

/** What garbage collection found and removed. */
public record GcReport(int indexesRead, long chunksKept, long chunksRemoved, long bytesRemoved, long tempFilesRemoved) {
}
