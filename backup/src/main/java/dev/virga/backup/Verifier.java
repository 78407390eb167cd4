package dev.virga.backup;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Re-reads every chunk of a backup: decompresses it and recomputes its SHA-256. A chunk used by several backups (or
 * several places of one) is read once per verifier; each place it is used is reported.
 */
final class Verifier {

    private final ChunkStore store;
    private final IndexFiles indexes;
    /** hash -> problem (empty when the chunk is sound), shared by the backups this verifier checks. */
    private final Map<String, Optional<ChunkStore.Unreadable>> checked = new HashMap<>();
    private ChunkStore.Buffers buffers;

    Verifier(ChunkStore store, IndexFiles indexes) {
        this.store = store;
        this.indexes = indexes;
    }

    VerifyReport verify(String backupId) {
        var index = indexes.read(backupId);
        int chunkSize = index.info().chunkSize();
        if (buffers == null || buffers.data.length != chunkSize) {
            buffers = new ChunkStore.Buffers(chunkSize);
        }
        var damaged = new ArrayList<DamagedChunkReport>();
        long chunksChecked = 0;
        for (var disk : index.chunks().entrySet()) {
            var entries = disk.getValue();
            for (int i = 0; i < entries.length; i++) {
                var hash = entries[i];
                if (hash.equals(ChunkStore.ZERO)) {
                    continue;
                }
                var result = checked.get(hash);
                if (result == null) {
                    result = check(hash);
                    checked.put(hash, result);
                    chunksChecked++;
                }
                if (result.isPresent()) {
                    damaged.add(new DamagedChunkReport(backupId, disk.getKey(), (long) i * chunkSize, hash,
                            result.get().problem, result.get().getMessage()));
                }
            }
        }
        return new VerifyReport(backupId, chunksChecked, damaged);
    }

    private Optional<ChunkStore.Unreadable> check(String hash) {
        try {
            store.read(hash, buffers);
            return Optional.empty();
        } catch (ChunkStore.Unreadable e) {
            return Optional.of(e);
        }
    }
}
