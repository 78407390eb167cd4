package dev.virga.backup;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

import static dev.virga.backup.Repositories.CHUNK;
import static dev.virga.backup.Repositories.chunkFiles;
import static dev.virga.backup.Repositories.files;
import static dev.virga.backup.Repositories.full;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackupAndRestoreTest {

    @TempDir
    Path tmp;

    /** 20 chunks of 64 KiB and a last one of 1000 bytes. */
    private static final int SIZE = 20 * CHUNK + 1000;

    @Test
    void fullThenIncrementalRestoreEachPointInTime() throws IOException {
        var repo = Repositories.init(tmp.resolve("repo"));
        var v1 = new TestImage(1, SIZE, CHUNK).zeroChunk(4);
        var v1Bytes = v1.bytes.clone();
        var disk = tmp.resolve("disk.raw");
        var first = repo.backup(full("vm1", v1.write(disk), SIZE), BackupProgress.NONE);

        var changed = v1.change(2, 7, 20);
        v1.write(disk);
        var second = repo.backup(BackupRequest.incremental("vm1", first.id(), true,
                List.of(new DiskSource("vda", SIZE, ChunkSource.chunksOf(disk, changed)))), BackupProgress.NONE);

        assertThat(first.stats().chunksNew()).isEqualTo(20);
        assertThat(first.stats().chunksZero()).isEqualTo(1);
        assertThat(second.parent()).contains(first.id());
        assertThat(second.quiesced()).isTrue();
        assertThat(second.stats().bytesRead()).isEqualTo(2L * CHUNK + 1000);
        assertThat(second.stats().chunksNew()).isEqualTo(3);
        assertThat(second.stats().chunksUnchanged()).isEqualTo(18);
        assertThat(chunkFiles(repo.path())).hasSize(23);

        var restored1 = repo.restore(first.id(), "vda", tmp.resolve("r1.raw"));
        var restored2 = repo.restore(second.id(), "vda", tmp.resolve("r2.raw"));
        assertThat(Files.readAllBytes(restored1.image())).isEqualTo(v1Bytes);
        assertThat(Files.readAllBytes(restored2.image())).isEqualTo(v1.bytes);
        assertThat(restored2.size()).isEqualTo(SIZE);
        assertThat(repo.list("vm1")).extracting(BackupInfo::id).containsExactly(first.id(), second.id());
    }

    @Test
    void anUnchangedDiskIsBackedUpWithoutReadingOrStoringAnything() throws IOException {
        var repo = Repositories.init(tmp.resolve("repo"));
        var image = new TestImage(2, SIZE, CHUNK);
        var first = repo.backup(full("vm1", image.write(tmp.resolve("d.raw")), SIZE), BackupProgress.NONE);
        var before = chunkFiles(repo.path());
        ChunkSource nothingChanged = sink -> {
        };

        var second = repo.backup(BackupRequest.incremental("vm1", first.id(), false,
                List.of(new DiskSource("vda", SIZE, nothingChanged))), BackupProgress.NONE);

        assertThat(second.stats()).isEqualTo(new BackupStats(0, 0, 0, 0, 21, 0));
        assertThat(chunkFiles(repo.path())).containsExactlyInAnyOrderElementsOf(before);
        assertThat(Files.readAllBytes(repo.restore(second.id(), "vda", tmp.resolve("r.raw")).image()))
                .isEqualTo(image.bytes);
    }

    @Test
    void identicalContentOfTwoVmsIsStoredOnce() throws IOException {
        var repo = Repositories.init(tmp.resolve("repo"));
        var image = new TestImage(3, SIZE, CHUNK);
        var file = image.write(tmp.resolve("d.raw"));
        var a = repo.backup(full("vm-a", file, SIZE), BackupProgress.NONE);
        var stored = chunkFiles(repo.path()).size();

        var b = repo.backup(full("vm-b", file, SIZE), BackupProgress.NONE);

        assertThat(a.stats().chunksNew()).isEqualTo(21);
        assertThat(b.stats().chunksNew()).isZero();
        assertThat(b.stats().chunksReused()).isEqualTo(21);
        assertThat(b.stats().bytesWritten()).isZero();
        assertThat(chunkFiles(repo.path())).hasSize(stored);
        assertThat(repo.vms()).containsExactly("vm-a", "vm-b");
        assertThat(Files.readAllBytes(repo.restore(b.id(), "vda", tmp.resolve("b.raw")).image()))
                .isEqualTo(image.bytes);
    }

    @Test
    void zeroChunksAreNotStoredAndRestoreAsHoles() throws IOException, InterruptedException {
        var repo = Repositories.init(tmp.resolve("repo"));
        int size = 64 * CHUNK; // 4 MiB, of which 2 chunks hold data
        var image = new TestImage(4, size, CHUNK);
        for (int i = 0; i < 64; i++) {
            if (i != 10 && i != 50) {
                image.zeroChunk(i);
            }
        }
        var backup = repo.backup(full("vm1", image.write(tmp.resolve("d.raw")), size), BackupProgress.NONE);

        assertThat(backup.stats().chunksZero()).isEqualTo(62);
        assertThat(chunkFiles(repo.path())).hasSize(2);
        var restored = repo.restore(backup.id(), "vda", tmp.resolve("r.raw"));
        assertThat(Files.readAllBytes(restored.image())).isEqualTo(image.bytes);
        assertThat(restored.chunksZero()).isEqualTo(62);
        assertThat(allocatedBytes(restored.image())).isLessThan(size / 4);
    }

    @Test
    void aSourceMayDeclareZeroChunksWithoutHandingTheirBytes() throws IOException {
        var repo = Repositories.init(tmp.resolve("repo"));
        var image = new TestImage(5, 4 * CHUNK, CHUNK).zeroChunk(1).zeroChunk(3);
        ChunkSource sparse = sink -> {
            sink.chunk(0, ByteBuffer.wrap(image.bytes, 0, CHUNK));
            sink.zero(1);
            sink.chunk(2, ByteBuffer.wrap(image.bytes, 2 * CHUNK, CHUNK));
            sink.zero(3);
        };
        var backup = repo.backup(BackupRequest.full("vm1", false, List.of(new DiskSource("vda", 4 * CHUNK, sparse))),
                BackupProgress.NONE);

        assertThat(backup.stats().chunksZero()).isEqualTo(2);
        assertThat(backup.stats().bytesRead()).isEqualTo(2L * CHUNK);
        assertThat(Files.readAllBytes(repo.restore(backup.id(), "vda", tmp.resolve("r.raw")).image()))
                .isEqualTo(image.bytes);
    }

    @Test
    void aBackupHoldsSeveralDisks() throws IOException {
        var repo = Repositories.init(tmp.resolve("repo"));
        var vda = new TestImage(6, SIZE, CHUNK);
        var vdb = new TestImage(7, 3 * CHUNK + 5, CHUNK);
        var backup = repo.backup(BackupRequest.full("vm1", false, List.of(
                new DiskSource("vda", SIZE, ChunkSource.wholeFile(vda.write(tmp.resolve("a.raw")))),
                new DiskSource("vdb", 3 * CHUNK + 5, ChunkSource.wholeFile(vdb.write(tmp.resolve("b.raw")))))),
                BackupProgress.NONE);

        assertThat(backup.disks()).extracting(DiskInfo::name, DiskInfo::size)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("vda", (long) SIZE),
                        org.assertj.core.groups.Tuple.tuple("vdb", 3L * CHUNK + 5));
        assertThat(backup.disk("vdb").orElseThrow().stats().chunksNew()).isEqualTo(4);
        assertThat(Files.readAllBytes(repo.restore(backup.id(), "vda", tmp.resolve("ra")).image())).isEqualTo(vda.bytes);
        assertThat(Files.readAllBytes(repo.restore(backup.id(), "vdb", tmp.resolve("rb")).image())).isEqualTo(vdb.bytes);
        assertThatThrownBy(() -> repo.restore(backup.id(), "vdc", tmp.resolve("rc")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no disk vdc");
    }

    @Test
    void progressReportsGrowingTotalsEndingAtTheBackupsStats() throws IOException {
        var repo = Repositories.init(tmp.resolve("repo"));
        var image = new TestImage(8, SIZE, CHUNK).zeroChunk(0);
        var seen = new ArrayList<BackupStats>();
        var backup = repo.backup(full("vm1", image.write(tmp.resolve("d.raw")), SIZE), (disk, soFar) -> seen.add(soFar));

        assertThat(seen).hasSize(21);
        assertThat(seen).extracting(BackupStats::bytesRead).isSorted();
        assertThat(seen.getLast()).isEqualTo(backup.stats());
        assertThat(backup.stats().bytesWritten()).isEqualTo(chunkFiles(repo.path()).stream()
                .mapToLong(p -> p.toFile().length()).sum());
    }

    @Test
    void theIndexIsReadableJsonWithTheChunkListLast() throws IOException {
        var repo = Repositories.init(tmp.resolve("repo"));
        var image = new TestImage(9, 3 * CHUNK, CHUNK).zeroChunk(1);
        var backup = repo.backup(full("vm1", image.write(tmp.resolve("d.raw")), 3 * CHUNK), BackupProgress.NONE);

        var json = new ObjectMapper().readTree(repo.path().resolve("indexes/vm1/" + backup.id() + ".json").toFile());
        assertThat(json.get("format").asInt()).isEqualTo(1);
        assertThat(json.get("vm").asText()).isEqualTo("vm1");
        assertThat(json.get("chunkSize").asInt()).isEqualTo(CHUNK);
        assertThat(json.get("stats").get("chunksNew").asLong()).isEqualTo(2);
        var chunks = json.get("chunks").get("vda");
        assertThat(chunks.get(1).asText()).isEqualTo("zero");
        assertThat(chunks.get(0).asText()).matches("[0-9a-f]{64}");
        assertThat(repo.path().resolve("chunks/" + chunks.get(0).asText().substring(0, 2) + "/"
                + chunks.get(0).asText() + ".zst")).isRegularFile();
        var names = new ArrayList<String>();
        json.fieldNames().forEachRemaining(names::add);
        assertThat(names.getLast()).isEqualTo("chunks");
        assertThat(repo.info(backup.id())).isEqualTo(backup);
    }

    @Test
    void aChunkNeitherReadNorInTheParentFailsTheBackup() throws IOException {
        var repo = Repositories.init(tmp.resolve("repo"));
        var image = new TestImage(10, 4 * CHUNK, CHUNK);
        var file = image.write(tmp.resolve("d.raw"));
        var partial = new BitSet();
        partial.set(0, 3);

        assertThatThrownBy(() -> repo.backup(BackupRequest.full("vm1", false,
                List.of(new DiskSource("vda", 4 * CHUNK, ChunkSource.chunksOf(file, partial)))), BackupProgress.NONE))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("chunk 3 (offset " + 3 * CHUNK + ") of disk vda was not read");
        var first = repo.backup(full("vm1", file, 4 * CHUNK), BackupProgress.NONE);
        // the disk grew: the parent's chunk list does not fit, everything must be read
        assertThatThrownBy(() -> repo.backup(BackupRequest.incremental("vm1", first.id(), false,
                List.of(new DiskSource("vda", 5 * CHUNK, ChunkSource.chunksOf(file, partial)))), BackupProgress.NONE))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("has no disk vda of " + 5 * CHUNK + " bytes");
        assertThat(repo.list("vm1")).extracting(BackupInfo::id).containsExactly(first.id());
    }

    @Test
    void aSecondInstanceOnTheSameDirectorySeesTheSameBackups() throws IOException {
        var dir = tmp.resolve("repo");
        var repo = Repositories.init(dir);
        var image = new TestImage(11, SIZE, CHUNK);
        var backup = repo.backup(full("vm1", image.write(tmp.resolve("d.raw")), SIZE), BackupProgress.NONE);

        var other = BackupRepository.open(dir);

        assertThat(other.chunkSize()).isEqualTo(CHUNK);
        assertThat(other.list()).containsExactly(backup);
        assertThat(other.verify(backup.id()).ok()).isTrue();
        assertThat(Files.readAllBytes(other.restore(backup.id(), "vda", tmp.resolve("r.raw")).image()))
                .isEqualTo(image.bytes);
        assertThat(files(tmp)).extracting(p -> p.getFileName().toString()).doesNotContain(".r.raw");
    }

    private static long allocatedBytes(Path file) throws IOException, InterruptedException {
        var process = new ProcessBuilder("stat", "-c", "%b %B", file.toString()).start();
        var out = new String(process.getInputStream().readAllBytes()).trim().split(" ");
        assertThat(process.waitFor()).isZero();
        return Long.parseLong(out[0]) * Long.parseLong(out[1]);
    }
}
