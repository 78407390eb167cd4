package dev.virga.backup;

import java.util.Map;

/**
 * A backup in full: its summary and, per disk, the chunk hash of every chunk in order ({@link ChunkStore#ZERO} for
 * an all-zero chunk).
 */
record BackupIndex(BackupInfo info, Map<String, String[]> chunks) {

    String[] chunksOf(String disk) {
        var list = chunks.get(disk);
        if (list == null) {
            throw new IllegalArgumentException("backup " + info.id() + " has no disk " + disk + " (it has "
                    + String.join(", ", chunks.keySet()) + ")");
        }
        return list;
    }
}
