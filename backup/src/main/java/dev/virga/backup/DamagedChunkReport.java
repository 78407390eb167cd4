package dev.virga.backup;

/**
 * One damaged place in a backup: which backup, which disk, where in the disk (byte offset), which chunk, and what is
 * wrong with it.
 */
public record DamagedChunkReport(String backupId, String disk, long offset, String chunkHash, Problem problem,
                                 String detail) {

    /** What is wrong with a chunk. */
    public enum Problem {
        /** The chunk file is not in the repository. */
        MISSING,
        /** The chunk file does not decompress, or its content has another SHA-256 than its name. */
        CORRUPT
    }

    public String describe() {
        return "chunk " + chunkHash + " at offset " + offset + " of disk " + disk + " is "
                + problem.name().toLowerCase(java.util.Locale.ROOT) + " (" + detail + ")";
    }
}
