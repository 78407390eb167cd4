package dev.virga.backup;

/**
 * What a backup cost, for one disk or the whole backup.
 *
 * @param bytesRead       bytes the source handed over (only the chunks it yielded)
 * @param bytesWritten    compressed bytes of the chunk files this backup added to the repository
 * @param chunksNew       yielded chunks whose content was not in the repository yet (written)
 * @param chunksReused    yielded chunks whose content was already in the repository (deduplicated, not written)
 * @param chunksUnchanged chunks the source did not yield: taken from the parent backup without reading anything
 * @param chunksZero      all-zero chunks: recorded as zero, never stored
 */
public record BackupStats(long bytesRead, long bytesWritten, long chunksNew, long chunksReused,
                          long chunksUnchanged, long chunksZero) {

    public static final BackupStats NONE = new BackupStats(0, 0, 0, 0, 0, 0);

    public BackupStats plus(BackupStats o) {
        return new BackupStats(bytesRead + o.bytesRead, bytesWritten + o.bytesWritten, chunksNew + o.chunksNew,
                chunksReused + o.chunksReused, chunksUnchanged + o.chunksUnchanged, chunksZero + o.chunksZero);
    }

    public long chunks() {
        return chunksNew + chunksReused + chunksUnchanged + chunksZero;
    }
}
