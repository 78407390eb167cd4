package dev.virga.backup.bench;

import dev.virga.backup.BackupInfo;
import dev.virga.backup.BackupProgress;
import dev.virga.backup.BackupRepository;
import dev.virga.backup.BackupRequest;
import dev.virga.backup.ChunkSink;
import dev.virga.backup.ChunkSource;
import dev.virga.backup.DiskSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Figures for the backup repository: a 2 GiB raw image holding 1 GiB of data (every other 4 MiB chunk; mostly random
 * bytes, a quarter of the chunks half compressible, a few duplicated), backed up in full, then incrementally after
 * 1 %, 10 % and 50 % of its chunks changed, restored, and backed up as 10 clones with one private change each.
 * <pre>java -cp backup/target/classes:... dev.virga.backup.bench.RepositoryBench [work dir]</pre>
 */
public final class RepositoryBench {

    private static final long MiB = 1024 * 1024;
    private static final long DISK = 2048 * MiB;
    private static final int CHUNK = BackupRepository.DEFAULT_CHUNK_SIZE;
    private static final int CHUNKS = (int) (DISK / CHUNK);

    private final List<String[]> rows = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        var work = args.length > 0 ? Files.createDirectories(Path.of(args[0]))
                : Files.createTempDirectory("virga-backup-bench");
        try {
            new RepositoryBench().run(work);
        } finally {
            deleteTree(work);
        }
    }

    private void run(Path work) throws Exception {
        System.out.printf("cores %d, JVM %s, work dir %s%n", Runtime.getRuntime().availableProcessors(),
                Runtime.version(), work);
        System.out.println("load before: " + uptime());
        var image = work.resolve("disk.raw");
        long data = generate(image);
        System.out.printf("image: %d MiB disk, %d MiB of non-zero data%n", DISK / MiB, data / MiB);

        var repo = BackupRepository.init(work.resolve("repo"));
        var full = backup(repo, "full", BackupRequest.full("vm1", false, disks(ChunkSource.wholeFile(image))));
        var parent = full;
        var random = new SplittableRandom(7);
        for (int percent : new int[]{1, 10, 50}) {
            var changed = change(image, CHUNKS * percent / 100, random);
            parent = backup(repo, "incremental, " + percent + " % of chunks changed", BackupRequest.incremental("vm1",
                    parent.id(), false, disks(ChunkSource.chunksOf(image, changed))));
        }
        var unchanged = parent;
        backup(repo, "incremental, nothing changed", BackupRequest.incremental("vm1", unchanged.id(), false,
                disks(sink -> {
                })));

        long start = System.nanoTime();
        var restored = repo.restore(parent.id(), "vda", work.resolve("restored.raw"));
        double seconds = (System.nanoTime() - start) / 1e9;
        rows.add(new String[]{"restore (sparse raw)", fmt(seconds), mbps(DISK, seconds),
                mbps(restored.chunksRead() * CHUNK, seconds), mib(restored.chunksRead() * CHUNK), "",
                "%d chunks read, %d holes".formatted(restored.chunksRead(), restored.chunksZero())});
        Files.delete(restored.image());

        start = System.nanoTime();
        var verify = repo.verify(parent.id());
        seconds = (System.nanoTime() - start) / 1e9;
        rows.add(new String[]{"verify", fmt(seconds), "", mbps(verify.chunksChecked() * CHUNK, seconds),
                mib(verify.chunksChecked() * CHUNK), "", "%d distinct chunks, ok=%b".formatted(verify.chunksChecked(),
                verify.ok())});

        clones(work, image, data);
        System.out.println("load after: " + uptime());
        print();
    }

    private static List<DiskSource> disks(ChunkSource source) {
        return List.of(new DiskSource("vda", DISK, source));
    }

    private BackupInfo backup(BackupRepository repo, String what, BackupRequest request) {
        long start = System.nanoTime();
        var info = repo.backup(request, BackupProgress.NONE);
        double seconds = (System.nanoTime() - start) / 1e9;
        var s = info.stats();
        rows.add(new String[]{what, fmt(seconds), mbps(DISK, seconds), mbps(s.bytesRead(), seconds),
                mib(s.bytesRead()), mib(s.bytesWritten()),
                "new %d, reused %d, unchanged %d, zero %d".formatted(s.chunksNew(), s.chunksReused(),
                        s.chunksUnchanged(), s.chunksZero())});
        return info;
    }

    /** Ten VMs cloned from one image, each with one private 64 KiB change, backed up in full into a new repository. */
    private void clones(Path work, Path image, long data) throws IOException {
        var repo = BackupRepository.init(work.resolve("clones"));
        long start = System.nanoTime();
        for (int clone = 0; clone < 10; clone++) {
            int privateChunk = 2 * clone; // a data chunk
            ChunkSource source = privateChange(ChunkSource.wholeFile(image), privateChunk, clone);
            repo.backup(BackupRequest.full("clone-" + clone, false, disks(source)), BackupProgress.NONE);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long stored;
        try (Stream<Path> files = Files.walk(repo.path().resolve("chunks"))) {
            stored = files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
        rows.add(new String[]{"10 clones, full backups", fmt(seconds), mbps(10 * DISK, seconds),
                mbps(10 * DISK, seconds), mib(10 * DISK),
                mib(stored), "dedup: %.1fx of disk bytes, %.1fx of data bytes".formatted(
                (double) 10 * DISK / stored, (double) 10 * data / stored)});
    }

    /** The source, with 64 KiB of chunk {@code index} overwritten by bytes only this clone has. */
    private static ChunkSource privateChange(ChunkSource source, int index, int seed) {
        return sink -> source.read(new ChunkSink() {
            @Override
            public int chunkSize() {
                return sink.chunkSize();
            }

            @Override
            public long diskSize() {
                return sink.diskSize();
            }

            @Override
            public void chunk(long i, ByteBuffer bytes) throws IOException {
                if (i == index) {
                    var copy = ByteBuffer.allocate(bytes.remaining()).put(bytes).flip();
                    var mine = new byte[64 * 1024];
                    new SplittableRandom(1000 + seed).nextBytes(mine);
                    copy.put(4096, mine);
                    bytes = copy;
                }
                sink.chunk(i, bytes);
            }

            @Override
            public void zero(long i) throws IOException {
                sink.zero(i);
            }
        });
    }

    /** Writes the image; returns its non-zero bytes. */
    private static long generate(Path image) throws IOException {
        var random = new SplittableRandom(42);
        var chunk = new byte[CHUNK];
        byte[] duplicate = null;
        long data = 0;
        try (var file = new RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(DISK);
            for (int i = 0; i < CHUNKS; i += 2) {
                if (i % 64 == 32 && duplicate != null) {
                    System.arraycopy(duplicate, 0, chunk, 0, CHUNK); // an identical chunk elsewhere in the disk
                } else {
                    random.nextBytes(chunk);
                    if (i % 8 == 4) {
                        // half of the chunk compresses well (a repeated 4 KiB block, like a file system's tables)
                        for (int o = CHUNK / 2 + 4096; o < CHUNK; o += 4096) {
                            System.arraycopy(chunk, CHUNK / 2, chunk, o, 4096);
                        }
                    }
                    if (i == 10) {
                        duplicate = chunk.clone();
                    }
                }
                file.seek((long) i * CHUNK);
                file.write(chunk);
                data += CHUNK;
            }
            file.getFD().sync();
        }
        return data;
    }

    /** Overwrites 4 KiB at a random place of {@code count} random chunks; returns which. */
    private static BitSet change(Path image, int count, SplittableRandom random) throws IOException {
        var changed = new BitSet();
        var bytes = new byte[4096];
        try (var file = new RandomAccessFile(image.toFile(), "rw")) {
            while (changed.cardinality() < count) {
                int chunk = random.nextInt(CHUNKS);
                if (changed.get(chunk)) {
                    continue;
                }
                changed.set(chunk);
                random.nextBytes(bytes);
                file.seek((long) chunk * CHUNK + random.nextInt(CHUNK - bytes.length));
                file.write(bytes);
            }
            file.getFD().sync();
        }
        return changed;
    }

    private void print() {
        String[] header = {"step", "seconds", "MB/s of disk", "MB/s of read", "read", "written", "chunks"};
        var all = new ArrayList<String[]>();
        all.add(header);
        all.addAll(rows);
        int[] width = new int[header.length];
        for (var row : all) {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        for (var row : all) {
            var line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(String.format(Locale.ROOT, i == 0 || i == row.length - 1 ? "%-" + width[i] + "s  "
                        : "%" + width[i] + "s  ", row[i]));
            }
            System.out.println(line.toString().stripTrailing());
        }
    }

    private static String fmt(double seconds) {
        return String.format(Locale.ROOT, "%.2f", seconds);
    }

    private static String mbps(long bytes, double seconds) {
        return String.format(Locale.ROOT, "%.0f", bytes / 1e6 / seconds);
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) MiB);
    }

    private static String uptime() {
        try {
            var process = new ProcessBuilder("uptime").redirectErrorStream(true).start();
            var out = new String(process.getInputStream().readAllBytes()).trim();
            process.waitFor();
            return out;
        } catch (IOException e) {
            return "uptime: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "uptime: interrupted";
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            for (var path : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
