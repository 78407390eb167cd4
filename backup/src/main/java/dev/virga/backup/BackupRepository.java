package dev.virga.backup;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;

/**
 * A backup repository: a directory (local, or a mounted share) that holds the backups of any number of VMs as
 * deduplicated, compressed, content-addressed chunks plus one index per backup, and that another Virga can open after
 * the host that wrote it is lost. Thread-safe; several instances (in one or several processes) may open the same
 * directory.
 *
 * <p>Reading (list, info, verify, restore) works on a read-only repository; writing (backup, delete, prune, gc)
 * checks first that the directory is writable and fails with {@link BackupException.NotWritable} otherwise.
 */
public final class BackupRepository {

    public static final int DEFAULT_CHUNK_SIZE = 4 * 1024 * 1024;
    private static final int MIN_CHUNK_SIZE = 64 * 1024;
    private static final int MAX_CHUNK_SIZE = 64 * 1024 * 1024;

    private final RepositoryLayout layout;
    private final RepositoryDescriptor descriptor;
    private final ChunkStore store;
    private final IndexFiles indexes;
    private final Clock clock;
    private final int workers;

    private BackupRepository(RepositoryLayout layout, RepositoryDescriptor descriptor, ChunkStore.TempFileWriter writer,
                             Clock clock, int workers) {
        this.layout = layout;
        this.descriptor = descriptor;
        this.store = new ChunkStore(layout, writer);
        this.indexes = new IndexFiles(layout);
        this.clock = clock;
        this.workers = workers;
    }

    /** Makes a new repository with 4 MiB chunks in {@code dir} (created if missing; it must be empty otherwise). */
    public static BackupRepository init(Path dir) {
        return init(dir, DEFAULT_CHUNK_SIZE);
    }

    /** Makes a new repository; {@code chunkSize} is a power of two from 64 KiB to 64 MiB. */
    public static BackupRepository init(Path dir, int chunkSize) {
        if (Integer.bitCount(chunkSize) != 1 || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
            throw new IllegalArgumentException("chunk size " + chunkSize + " is not a power of two from "
                    + MIN_CHUNK_SIZE + " to " + MAX_CHUNK_SIZE);
        }
        var layout = new RepositoryLayout(dir);
        try {
            if (Files.isDirectory(dir)) {
                if (Files.exists(layout.descriptor())) {
                    throw new IllegalArgumentException(dir + " is already a backup repository");
                }
                try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
                    if (entries.iterator().hasNext()) {
                        throw new IllegalArgumentException("will not make a backup repository in " + dir
                                + ": the directory is not empty");
                    }
                }
            } else {
                Files.createDirectories(dir);
            }
            requireWritable(dir);
            Files.createDirectories(layout.tmp());
            Files.createDirectories(layout.chunks());
            Files.createDirectories(layout.indexes());
            new RepositoryDescriptor(RepositoryDescriptor.FORMAT, UUID.randomUUID().toString(),
                    Instant.now().toString(), chunkSize, "sha256", "zstd").write(layout);
        } catch (IOException e) {
            throw IoErrors.translate(dir, "making a backup repository", e);
        }
        return open(dir);
    }

    /** Opens an existing repository (also a read-only one: writing operations then fail with a clear error). */
    public static BackupRepository open(Path dir) {
        return open(dir, ChunkStore.FSYNCED, Clock.systemUTC(), defaultWorkers());
    }

    static BackupRepository open(Path dir, ChunkStore.TempFileWriter writer, Clock clock, int workers) {
        var descriptor = RepositoryDescriptor.read(dir);
        return new BackupRepository(new RepositoryLayout(dir), descriptor, writer, clock, workers);
    }

    private static int defaultWorkers() {
        return Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    }

    public Path path() {
        return layout.root();
    }

    public int chunkSize() {
        return descriptor.chunkSize();
    }

    /**
     * Takes a backup. The sources are read one disk after the other; the backup is listed only once everything is
     * stored (its index is committed last). On any failure (a source throws, the disk fills up, the process dies)
     * nothing is listed.
     *
     * @throws BackupException.UnknownBackup      the parent backup does not exist
     * @throws BackupException.SourceFailed       a source threw an {@link IOException}
     * @throws BackupException.RepositoryFull     the repository's file system is full
     * @throws BackupException.NotWritable        the repository is read-only
     */
    public BackupInfo backup(BackupRequest request, BackupProgress progress) {
        requireWritable(layout.root());
        return new BackupWriter(layout, store, indexes, chunkSize(), workers, clock).write(request, progress);
    }

    /** The VMs that have at least one backup, by name. */
    public List<String> vms() {
        return indexes.vms().stream().filter(vm -> !indexes.filesOf(vm).isEmpty()).toList();
    }

    /** The backups of one VM, oldest first. */
    public List<BackupInfo> list(String vm) {
        Names.check("VM name", vm);
        var list = new ArrayList<BackupInfo>();
        for (var file : indexes.filesOf(vm)) {
            try {
                list.add(indexes.readInfo(file));
            } catch (BackupException.Io e) {
                if (Files.exists(file)) {
                    throw e;
                } // deleted while listing
            }
        }
        list.sort(Comparator.comparing(BackupInfo::created).thenComparing(BackupInfo::id));
        return list;
    }

    /** Every backup of every VM, by VM then oldest first. */
    public List<BackupInfo> list() {
        var all = new ArrayList<BackupInfo>();
        for (var vm : vms()) {
            all.addAll(list(vm));
        }
        return all;
    }

    /** @throws BackupException.UnknownBackup no backup has this id */
    public BackupInfo info(String backupId) {
        return indexes.readInfo(indexes.require(backupId));
    }

    /** Re-reads every chunk of a backup and checks its hash; never throws for damage, reports it. */
    public VerifyReport verify(String backupId) {
        return new Verifier(store, indexes).verify(backupId);
    }

    /** Verifies every backup, reading each distinct chunk once. */
    public List<VerifyReport> verifyAll() {
        var verifier = new Verifier(store, indexes);
        return list().stream().map(b -> verifier.verify(b.id())).toList();
    }

    /**
     * Writes disk {@code disk} of a backup as a raw image at {@code target} (which must not exist), sparse where the
     * disk is zero.
     *
     * @throws BackupException.DamagedChunk a chunk is missing or corrupt; no file is left at {@code target}
     */
    public RestoreResult restore(String backupId, String disk, Path target) {
        return new Restorer(store, indexes, workers).restore(backupId, disk, target);
    }

    /**
     * The content of chunk {@code index} of disk {@code disk} as backup {@code backupId} stored it, checked against
     * its hash (all zeros for a zero chunk). For a source that lays a few changed clusters over the parent's chunk.
     *
     * @throws BackupException.DamagedChunk the chunk is missing or corrupt
     */
    public byte[] readChunk(String backupId, String disk, long index) {
        var index0 = indexes.read(backupId);
        var entries = index0.chunksOf(disk);
        if (index < 0 || index >= entries.length) {
            throw new IllegalArgumentException("chunk " + index + " is outside disk " + disk + " of " + backupId);
        }
        var size = index0.info().disk(disk).orElseThrow().size();
        int length = (int) Math.min(chunkSize(), size - index * chunkSize());
        var hash = entries[(int) index];
        if (hash.equals(ChunkStore.ZERO)) {
            return new byte[length];
        }
        var buffers = new ChunkStore.Buffers(chunkSize());
        int n;
        try {
            n = store.read(hash, buffers);
        } catch (ChunkStore.Unreadable e) {
            throw new BackupException.DamagedChunk(new DamagedChunkReport(backupId, disk, index * chunkSize(), hash,
                    e.problem, e.getMessage()));
        }
        if (n != length) {
            throw new BackupException.DamagedChunk(new DamagedChunkReport(backupId, disk, index * chunkSize(), hash,
                    DamagedChunkReport.Problem.CORRUPT, "its content has " + n + " bytes, the disk needs " + length));
        }
        return java.util.Arrays.copyOf(buffers.data, length);
    }

    /** Removes a backup from the list; its chunks are freed by the next {@link #collectGarbage()}. */
    public void delete(String backupId) {
        requireWritable(layout.root());
        var file = indexes.require(backupId);
        try {
            Files.delete(file);
            AtomicFiles.syncDirectory(file.getParent());
        } catch (IOException e) {
            throw IoErrors.translate(layout.root(), "deleting backup " + backupId, e);
        }
    }

    /** What {@link #prune} would keep and remove, without removing anything. */
    public PrunePlan planPrune(String vm, RetentionPolicy policy, ZoneId zone) {
        return Retention.plan(vm, list(vm), policy, zone);
    }

    /** Applies a retention policy to one VM's backups: deletes those it does not keep and says why. */
    public PrunePlan prune(String vm, RetentionPolicy policy, ZoneId zone) {
        requireWritable(layout.root());
        var plan = planPrune(vm, policy, zone);
        for (var removed : plan.remove()) {
            delete(removed.backup().id());
        }
        return plan;
    }

    /**
     * Removes the chunks no backup refers to and the temp files of writers that died.
     *
     * @throws BackupException.Busy a backup is being written to this repository (by this or another process)
     */
    public GcReport collectGarbage() {
        requireWritable(layout.root());
        return new GarbageCollector(layout, indexes).collect();
    }

    /**
     * Root ignores permission bits, so a directory an operator made read-only ({@code chmod a-w}) is refused by its
     * mode as well as by a write probe (which catches read-only mounts and other users' directories).
     */
    private static void requireWritable(Path dir) {
        try {
            var mode = Files.getPosixFilePermissions(dir);
            if (!mode.contains(PosixFilePermission.OWNER_WRITE) && !mode.contains(PosixFilePermission.GROUP_WRITE)
                    && !mode.contains(PosixFilePermission.OTHERS_WRITE)) {
                throw new BackupException.NotWritable(dir, "the directory has no write permission (mode "
                        + PosixFilePermissions.toString(mode) + ")", null);
            }
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system (e.g. some SMB mounts): the probe decides
        } catch (IOException e) {
            throw IoErrors.translate(dir, "reading the permissions of " + dir, e);
        }
        var probe = dir.resolve(".write-probe-" + UUID.randomUUID());
        try {
            Files.write(probe, new byte[]{1});
            Files.delete(probe);
        } catch (IOException e) {
            throw new BackupException.NotWritable(dir, "cannot create a file there (" + e + ")", e);
        }
    }
}
