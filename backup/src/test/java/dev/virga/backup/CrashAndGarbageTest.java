package dev.virga.backup;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.virga.backup.Repositories.CHUNK;
import static dev.virga.backup.Repositories.chunkFiles;
import static dev.virga.backup.Repositories.files;
import static dev.virga.backup.Repositories.full;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CrashAndGarbageTest {

    @TempDir
    Path tmp;

    private static final int SIZE = 16 * CHUNK;

    @Test
    void aSourceThatFailsHalfWayLeavesNothingListedAndTheRepositoryKeepsWorking() throws IOException {
        var repo = Repositories.init(tmp.resolve("repo"));
        var image = new TestImage(31, SIZE, CHUNK);
        var file = image.write(tmp.resolve("d.raw"));
        ChunkSource dies = sink -> {
            for (int i = 0; i < 6; i++) {
                sink.chunk(i, ByteBuffer.wrap(image.bytes, i * CHUNK, CHUNK));
            }
            throw new IllegalStateException("the agent crashed");
        };
        ChunkSource failsToRead = sink -> {
            sink.chunk(0, ByteBuffer.wrap(image.bytes, 0, CHUNK));
            throw new IOException("NBD connection reset");
        };

        assertThatThrownBy(() -> repo.backup(BackupRequest.full("vm1", false, List.of(new DiskSource("vda", SIZE, dies))),
                BackupProgress.NONE)).hasMessage("the agent crashed");
        assertThatThrownBy(() -> repo.backup(BackupRequest.full("vm1", false,
                List.of(new DiskSource("vda", SIZE, failsToRead))), BackupProgress.NONE))
                .isInstanceOf(BackupException.SourceFailed.class).hasMessageContaining("NBD connection reset")
                .hasMessageContaining("disk vda of vm1");

        assertThat(repo.list()).isEmpty();
        assertThat(chunkFiles(repo.path())).hasSize(6); // complete, unreferenced: a retry reuses them
        var retry = repo.backup(full("vm1", file, SIZE), BackupProgress.NONE);
        assertThat(retry.stats().chunksReused()).isEqualTo(6);
        assertThat(repo.verify(retry.id()).ok()).isTrue();
        assertThat(Files.readAllBytes(repo.restore(retry.id(), "vda", tmp.resolve("r.raw")).image()))
                .isEqualTo(image.bytes);
    }

    @Test
    void killDash9HalfWayLeavesNoListedBackupNoLockAndOnlyGarbage() throws Exception {
        var dir = tmp.resolve("repo");
        var repo = Repositories.init(dir);
        var image = new TestImage(32, SIZE, CHUNK);
        var file = image.write(tmp.resolve("d.raw"));
        var java = ProcessHandle.current().info().command().orElseThrow();
        var child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), CrashingBackup.class.getName(), dir.toString(),
                file.toString(), Integer.toString(SIZE)).redirectErrorStream(true).start();
        try {
            var out = new BufferedReader(new InputStreamReader(child.getInputStream()));
            String line;
            while ((line = out.readLine()) != null && !line.equals("HALF")) {
                // the child's log lines
            }
            assertThat(line).as("the child reached the middle of its backup").isEqualTo("HALF");
            assertThatThrownBy(repo::collectGarbage).isInstanceOf(BackupException.Busy.class)
                    .hasMessageContaining("another process is writing a backup");
        } finally {
            child.destroyForcibly(); // SIGKILL
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }

        assertThat(repo.list()).isEmpty();
        assertThat(chunkFiles(dir)).isNotEmpty();
        var gc = repo.collectGarbage(); // the dead writer's lock is gone with its process
        assertThat(gc.chunksKept()).isZero();
        assertThat(gc.chunksRemoved()).isPositive();
        assertThat(chunkFiles(dir)).isEmpty();
        assertThat(files(dir.resolve("tmp"))).isEmpty();
        var backup = repo.backup(full("vm1", file, SIZE), BackupProgress.NONE);
        assertThat(repo.verify(backup.id()).ok()).isTrue();
    }

    @Test
    void aTempFileIsNeverTakenForAChunk() throws IOException {
        var repo = Repositories.init(tmp.resolve("repo"));
        var image = new TestImage(33, 2 * CHUNK, CHUNK);
        var hash = new ChunkStore.Buffers(CHUNK);
        System.arraycopy(image.bytes, 0, hash.data, 0, CHUNK);
        var name = hash.hash(CHUNK);
        // what a writer killed in the middle of writing chunk 0 leaves behind
        Files.write(repo.path().resolve("tmp").resolve(name + ".zst.1234abcd.tmp"), new byte[]{40, -75, 47});

        var backup = repo.backup(full("vm1", image.write(tmp.resolve("d.raw")), 2 * CHUNK), BackupProgress.NONE);

        assertThat(backup.stats().chunksNew()).isEqualTo(2);
        assertThat(repo.verify(backup.id()).ok()).isTrue();
        assertThat(repo.collectGarbage().tempFilesRemoved()).isEqualTo(1);
    }

    @Test
    void aFullDiskFailsTheBackupCleanly() throws IOException {
        var dir = tmp.resolve("repo");
        Repositories.init(dir);
        var image = new TestImage(34, SIZE, CHUNK);
        var file = image.write(tmp.resolve("d.raw"));
        var writes = new java.util.concurrent.atomic.AtomicInteger();
        ChunkStore.TempFileWriter fillsUp = (temp, content, length) -> {
            if (writes.incrementAndGet() > 3) {
                Files.write(temp, java.util.Arrays.copyOf(content, length / 2)); // what fit before the disk was full
                throw new IOException("No space left on device");
            }
            ChunkStore.FSYNCED.write(temp, content, length);
        };
        var repo = BackupRepository.open(dir, fillsUp, Clock.systemUTC(), 2);

        assertThatThrownBy(() -> repo.backup(full("vm1", file, SIZE), BackupProgress.NONE))
                .isInstanceOf(BackupException.RepositoryFull.class)
                .hasMessageContaining(dir.toString()).hasMessageContaining("No space left on device")
                .hasMessageContaining("nothing was listed");

        assertThat(repo.list()).isEmpty();
        assertThat(files(dir.resolve("tmp"))).as("half-written chunks are removed").isEmpty();
        assertThat(chunkFiles(dir)).hasSizeLessThanOrEqualTo(3);
        var fine = BackupRepository.open(dir);
        var backup = fine.backup(full("vm1", file, SIZE), BackupProgress.NONE);
        assertThat(fine.verify(backup.id()).ok()).isTrue();
    }

    @Test
    void garbageCollectionRemovesOnlyUnreferencedChunksAndStaleTempFiles() throws IOException {
        var repo = Repositories.init(tmp.resolve("repo"));
        var a = new TestImage(35, SIZE, CHUNK);
        var b = a.copy(36);
        b.change(0, 1, 2);
        var first = repo.backup(full("vm1", a.write(tmp.resolve("a.raw")), SIZE), BackupProgress.NONE);
        var second = repo.backup(full("vm1", b.write(tmp.resolve("b.raw")), SIZE), BackupProgress.NONE);
        assertThat(chunkFiles(repo.path())).hasSize(19);
        Files.write(repo.path().resolve("tmp").resolve("stale.zst.0000.tmp"), new byte[10]);

        repo.delete(first.id());
        var report = repo.collectGarbage();

        assertThat(report).isEqualTo(new GcReport(1, 16, 3, report.bytesRemoved(), 1));
        assertThat(report.bytesRemoved()).isGreaterThan(3L * CHUNK);
        assertThat(chunkFiles(repo.path())).hasSize(16);
        assertThat(files(repo.path().resolve("tmp"))).isEmpty();
        assertThat(repo.verify(second.id()).ok()).isTrue();
        assertThat(Files.readAllBytes(repo.restore(second.id(), "vda", tmp.resolve("r.raw")).image()))
                .isEqualTo(b.bytes);
        assertThatThrownBy(() -> repo.info(first.id())).isInstanceOf(BackupException.UnknownBackup.class);
    }

    @Test
    void garbageCollectionRefusesWhileABackupIsBeingWrittenAndSparesItsChunks() throws Exception {
        var repo = Repositories.init(tmp.resolve("repo"));
        var image = new TestImage(37, SIZE, CHUNK);
        var halfWay = new CountDownLatch(1);
        var goOn = new CountDownLatch(1);
        ChunkSource pauses = sink -> {
            for (int i = 0; i < 16; i++) {
                if (i == 8) {
                    halfWay.countDown();
                    await(goOn);
                }
                sink.chunk(i, ByteBuffer.wrap(image.bytes, i * CHUNK, CHUNK));
            }
        };
        var running = CompletableFuture.supplyAsync(() -> repo.backup(BackupRequest.full("vm1", false,
                List.of(new DiskSource("vda", SIZE, pauses))), BackupProgress.NONE));
        await(halfWay);

        assertThatThrownBy(repo::collectGarbage).isInstanceOf(BackupException.Busy.class)
                .hasMessageContaining("a backup is being written");
        assertThatThrownBy(() -> BackupRepository.open(repo.path()).collectGarbage())
                .isInstanceOf(BackupException.Busy.class);
        goOn.countDown();
        var backup = running.get(30, TimeUnit.SECONDS);

        assertThat(repo.collectGarbage().chunksRemoved()).isZero();
        assertThat(repo.verify(backup.id()).ok()).isTrue();
    }

    @Test
    void anIncrementalWhoseParentIsDeletedMeanwhileKeepsTheParentsChunks() throws Exception {
        var repo = Repositories.init(tmp.resolve("repo"));
        var image = new TestImage(38, SIZE, CHUNK);
        var file = image.write(tmp.resolve("d.raw"));
        var parent = repo.backup(full("vm1", file, SIZE), BackupProgress.NONE);
        var changed = image.change(3);
        image.write(file);
        var started = new CountDownLatch(1);
        var goOn = new CountDownLatch(1);
        ChunkSource slow = sink -> {
            started.countDown();
            await(goOn);
            ChunkSource.chunksOf(file, changed).read(sink);
        };
        var running = CompletableFuture.supplyAsync(() -> repo.backup(BackupRequest.incremental("vm1", parent.id(),
                false, List.of(new DiskSource("vda", SIZE, slow))), BackupProgress.NONE));
        await(started);

        repo.delete(parent.id());
        assertThatThrownBy(repo::collectGarbage).isInstanceOf(BackupException.Busy.class);
        goOn.countDown();
        var child = running.get(30, TimeUnit.SECONDS);
        repo.collectGarbage();

        assertThat(child.stats().chunksUnchanged()).isEqualTo(15);
        assertThat(repo.verify(child.id()).ok()).isTrue();
        assertThat(Files.readAllBytes(repo.restore(child.id(), "vda", tmp.resolve("r.raw")).image()))
                .isEqualTo(image.bytes);
    }

    @Test
    void twoBackupsRunAtOnceAndGarbageCollectionIsRefusedMeanwhile() throws Exception {
        var repo = Repositories.init(tmp.resolve("repo"));
        var a = new TestImage(39, SIZE, CHUNK);
        var b = new TestImage(40, SIZE, CHUNK);
        var bothStarted = new CountDownLatch(2);
        var goOn = new CountDownLatch(1);
        java.util.function.Function<TestImage, ChunkSource> waiting = image -> sink -> {
            bothStarted.countDown();
            await(goOn);
            for (int i = 0; i < 16; i++) {
                sink.chunk(i, ByteBuffer.wrap(image.bytes, i * CHUNK, CHUNK));
            }
        };
        // a thread each: the common pool may have a single thread on 2 cores
        var threads = java.util.concurrent.Executors.newThreadPerTaskExecutor(Thread.ofPlatform().factory());
        var first = CompletableFuture.supplyAsync(() -> repo.backup(BackupRequest.full("vm-a", false,
                List.of(new DiskSource("vda", SIZE, waiting.apply(a)))), BackupProgress.NONE), threads);
        var second = CompletableFuture.supplyAsync(() -> repo.backup(BackupRequest.full("vm-b", false,
                List.of(new DiskSource("vda", SIZE, waiting.apply(b)))), BackupProgress.NONE), threads);
        await(bothStarted); // both hold the shared writer lock now
        assertThatThrownBy(repo::collectGarbage).isInstanceOf(BackupException.Busy.class);
        goOn.countDown();
        var backupA = first.get(30, TimeUnit.SECONDS);
        var backupB = second.get(30, TimeUnit.SECONDS);

        assertThat(repo.collectGarbage().chunksRemoved()).isZero();
        assertThat(repo.verify(backupA.id()).ok()).isTrue();
        assertThat(repo.verify(backupB.id()).ok()).isTrue();
    }

    private static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(30, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
