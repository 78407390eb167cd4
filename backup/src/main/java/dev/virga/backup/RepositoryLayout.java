package dev.virga.backup;

import java.nio.file.Path;

/**
 * Where things live in a repository directory:
 * <pre>
 * virga-backup.json              descriptor: format version, chunk size
 * lock                           advisory lock: backups share it, garbage collection takes it alone
 * chunks/ab/ab12...ef.zst        a chunk, named by the SHA-256 of its uncompressed content
 * indexes/&lt;vm&gt;/&lt;backup id&gt;.json   one committed backup
 * tmp/                           files being written (renamed into place when complete)
 * </pre>
 */
record RepositoryLayout(Path root) {

    static final String DESCRIPTOR = "virga-backup.json";

    Path descriptor() {
        return root.resolve(DESCRIPTOR);
    }

    Path lockFile() {
        return root.resolve("lock");
    }

    Path chunks() {
        return root.resolve("chunks");
    }

    Path chunk(String hash) {
        return chunks().resolve(hash.substring(0, 2)).resolve(hash + ".zst");
    }

    Path indexes() {
        return root.resolve("indexes");
    }

    Path indexesOf(String vm) {
        return indexes().resolve(vm);
    }

    Path index(String vm, String backupId) {
        return indexesOf(vm).resolve(backupId + ".json");
    }

    Path tmp() {
        return root.resolve("tmp");
    }
}
