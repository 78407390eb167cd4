package dev.virga.backup;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Takes one backup: stores the chunks the sources hand over, takes the others from the parent backup, and commits
 * the index last. Until that commit nothing is listed; chunks written before a failure are complete chunk files that
 * no index refers to yet (a retry reuses them, garbage collection removes them).
 */
final class BackupWriter {

    private static final Logger LOG = LoggerFactory.getLogger(BackupWriter.class);
    private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private final RepositoryLayout layout;
    private final ChunkStore store;
    private final IndexFiles indexes;
    private final int chunkSize;
    private final int workers;
    private final Clock clock;

    BackupWriter(RepositoryLayout layout, ChunkStore store, IndexFiles indexes, int chunkSize, int workers,
                 Clock clock) {
        this.layout = layout;
        this.store = store;
        this.indexes = indexes;
        this.chunkSize = chunkSize;
        this.workers = workers;
        this.clock = clock;
    }

    BackupInfo write(BackupRequest request, BackupProgress progress) {
        var created = clock.instant();
        var id = request.vm() + "-" + ID_TIME.format(created) + "-"
                + HexFormat.of().toHexDigits((short) ThreadLocalRandom.current().nextInt());
        var stats = new StatsCounter(progress);
        var chunks = new LinkedHashMap<String, String[]>();
        var disks = new ArrayList<DiskInfo>();
        try (var held = RepositoryLock.of(layout).forWriter();
             var pool = Executors.newFixedThreadPool(workers, Thread.ofPlatform().name("backup-" + request.vm() + "-", 0)
                     .daemon().factory())) {
            Files.createDirectories(layout.tmp());
            // the parent is read under the lock: from here on garbage collection cannot sweep its chunks, even if
            // the parent itself is deleted before this backup is committed
            var parent = request.parent().map(p -> parentOf(p, request.vm()));
            var storedThisBackup = ConcurrentHashMap.<String>newKeySet();
            var touchedDirectories = ConcurrentHashMap.<Path>newKeySet();
            var slots = DiskWriter.slots(workers + 1, chunkSize);
            for (var disk : request.disks()) {
                var writer = new DiskWriter(layout.root(), disk, chunkSize, store, storedThisBackup,
                        touchedDirectories, pool, slots, stats);
                read(request.vm(), disk, writer);
                var parentEntries = parent.flatMap(p -> entriesOf(p, disk)).orElse(null);
                chunks.put(disk.name(), writer.finish(parentEntries, request.parentId()));
                disks.add(new DiskInfo(disk.name(), disk.size(), stats.of(disk.name())));
            }
            for (var dir : touchedDirectories) {
                AtomicFiles.syncDirectory(dir); // the chunks' renames are durable before an index names them
            }
            var info = new BackupInfo(id, request.vm(), created, request.parentId(), request.quiesced(), chunkSize,
                    disks, stats.total());
            indexes.commit(new BackupIndex(info, chunks));
            LOG.info("backup {} of {} committed: {}", id, request.vm(), info.stats());
            return info;
        } catch (IOException e) {
            throw IoErrors.translate(layout.root(), "writing backup " + id + " of " + request.vm(), e);
        }
    }

    private BackupIndex parentOf(String parentId, String vm) {
        var parent = indexes.read(parentId);
        if (!parent.info().vm().equals(vm)) {
            throw new IllegalArgumentException("the parent backup " + parentId + " is of VM " + parent.info().vm()
                    + ", not " + vm);
        }
        return parent;
    }

    /** The parent's chunk list for this disk, when it has the disk at the same size. */
    private static Optional<String[]> entriesOf(BackupIndex parent, DiskSource disk) {
        return parent.info().disk(disk.name()).filter(d -> d.size() == disk.size())
                .map(d -> parent.chunks().get(disk.name()));
    }

    private static void read(String vm, DiskSource disk, DiskWriter writer) throws IOException {
        try {
            disk.chunks().read(writer);
        } catch (IOException e) {
            writer.awaitInFlight();
            if (e.getCause() instanceof BackupException own) {
                throw own;
            }
            throw new BackupException.SourceFailed(vm, disk.name(), e);
        } catch (RuntimeException e) {
            writer.awaitInFlight();
            throw e;
        }
    }
}
