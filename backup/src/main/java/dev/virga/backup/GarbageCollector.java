package dev.virga.backup;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * Mark and sweep: every chunk named by a committed index is kept, every other chunk file is removed, and so is every
 * file in {@code tmp/}. It runs under the exclusive repository lock ({@link RepositoryLock}), so no backup is being
 * written meanwhile: the unreferenced chunks are leftovers of deleted or abandoned backups, and the temp files are
 * leftovers of writers that died. An index that cannot be read stops the collection before anything is removed.
 */
final class GarbageCollector {

    private static final Logger LOG = LoggerFactory.getLogger(GarbageCollector.class);

    private final RepositoryLayout layout;
    private final IndexFiles indexes;

    GarbageCollector(RepositoryLayout layout, IndexFiles indexes) {
        this.layout = layout;
        this.indexes = indexes;
    }

    GcReport collect() {
        try (var held = RepositoryLock.of(layout).forCollector()) {
            var referenced = new HashSet<String>();
            var files = indexes.allFiles();
            for (var file : files) {
                BackupIndex index;
                try {
                    index = indexes.read(file);
                } catch (BackupException.Io e) {
                    if (Files.notExists(file)) {
                        continue; // deleted meanwhile: its chunks may go
                    }
                    throw e;
                }
                for (var entries : index.chunks().values()) {
                    for (var hash : entries) {
                        referenced.add(hash);
                    }
                }
            }
            var report = sweep(referenced, files.size());
            LOG.info("garbage collection of {}: {}", layout.root(), report);
            return report;
        } catch (IOException e) {
            throw IoErrors.translate(layout.root(), "collecting garbage", e);
        }
    }

    private GcReport sweep(Set<String> referenced, int indexesRead) throws IOException {
        long kept = 0;
        long removed = 0;
        long bytes = 0;
        try (DirectoryStream<Path> prefixes = Files.newDirectoryStream(layout.chunks(), Files::isDirectory)) {
            for (var prefix : prefixes) {
                try (DirectoryStream<Path> chunks = Files.newDirectoryStream(prefix, "*.zst")) {
                    for (var chunk : chunks) {
                        var name = chunk.getFileName().toString();
                        if (referenced.contains(name.substring(0, name.length() - ".zst".length()))) {
                            kept++;
                            continue;
                        }
                        bytes += Files.size(chunk);
                        Files.delete(chunk);
                        removed++;
                    }
                }
            }
        } catch (NoSuchFileException e) {
            // no chunk was ever written
        }
        long temps = 0;
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(layout.tmp())) {
            for (var temp : leftovers) {
                Files.deleteIfExists(temp);
                temps++;
            }
        } catch (NoSuchFileException e) {
            // nothing was ever written
        }
        return new GcReport(indexesRead, kept, removed, bytes, temps);
    }
}
