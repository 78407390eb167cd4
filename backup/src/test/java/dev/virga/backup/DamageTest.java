package dev.virga.backup;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.virga.backup.Repositories.CHUNK;
import static dev.virga.backup.Repositories.files;
import static dev.virga.backup.Repositories.full;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DamageTest {

    @TempDir
    Path tmp;

    private BackupRepository repo;
    private TestImage image;
    private BackupInfo backup;

    private void backUp() throws IOException {
        repo = Repositories.init(tmp.resolve("repo"));
        image = new TestImage(21, 8 * CHUNK, CHUNK);
        backup = repo.backup(full("vm1", image.write(tmp.resolve("d.raw")), 8 * CHUNK), BackupProgress.NONE);
    }

    private String hashOfChunk(int index) {
        return new IndexFiles(new RepositoryLayout(repo.path())).read(backup.id()).chunksOf("vda")[index];
    }

    private Path fileOf(String hash) {
        return repo.path().resolve("chunks").resolve(hash.substring(0, 2)).resolve(hash + ".zst");
    }

    private void flipAByte(Path file, int offset) throws IOException {
        var bytes = Files.readAllBytes(file);
        bytes[offset] ^= 0x40;
        Files.write(file, bytes);
    }

    @Test
    void readChunkGivesTheStoredContentAndRefusesADamagedChunkNamingIt() throws IOException {
        backUp();
        for (int i = 0; i < 8; i++) {
            assertThat(repo.readChunk(backup.id(), "vda", i))
                    .isEqualTo(java.util.Arrays.copyOfRange(image.bytes, i * CHUNK, (i + 1) * CHUNK));
        }
        int data = 0;
        while (hashOfChunk(data).equals("zero")) {
            data++;
        }
        var hash = hashOfChunk(data);
        flipAByte(fileOf(hash), 20);
        int index = data;
        assertThatThrownBy(() -> repo.readChunk(backup.id(), "vda", index))
                .isInstanceOf(BackupException.DamagedChunk.class).hasMessageContaining(backup.id())
                .hasMessageContaining(hash);
        assertThatThrownBy(() -> repo.readChunk(backup.id(), "vda", 8)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void verifyNamesAFlippedByteAndAMissingChunkByBackupChunkAndOffset() throws IOException {
        backUp();
        assertThat(repo.verify(backup.id()).ok()).isTrue();
        var flipped = hashOfChunk(2);
        var missing = hashOfChunk(5);
        flipAByte(fileOf(flipped), 100);
        Files.delete(fileOf(missing));

        var report = repo.verify(backup.id());

        assertThat(report.ok()).isFalse();
        assertThat(report.chunksChecked()).isEqualTo(8);
        assertThat(report.damaged()).extracting(DamagedChunkReport::backupId, DamagedChunkReport::disk,
                DamagedChunkReport::offset, DamagedChunkReport::chunkHash, DamagedChunkReport::problem)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(backup.id(), "vda", 2L * CHUNK, flipped,
                                DamagedChunkReport.Problem.CORRUPT),
                        org.assertj.core.groups.Tuple.tuple(backup.id(), "vda", 5L * CHUNK, missing,
                                DamagedChunkReport.Problem.MISSING));
        assertThat(report.damaged().getFirst().describe()).contains(flipped, "offset " + 2 * CHUNK, "corrupt");
    }

    @Test
    void aChunkWhoseContentNoLongerMatchesItsNameIsCaughtEvenIfItDecompresses() throws IOException {
        backUp();
        // a valid chunk file of other content under the name of chunk 3
        Files.copy(fileOf(hashOfChunk(4)), fileOf(hashOfChunk(3)), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        var report = repo.verify(backup.id());

        assertThat(report.damaged()).singleElement().satisfies(d -> {
            assertThat(d.offset()).isEqualTo(3L * CHUNK);
            assertThat(d.detail()).contains("its content has SHA-256 " + hashOfChunk(4));
        });
    }

    @Test
    void restoreRefusesADamagedChunkAndLeavesNoFile() throws IOException {
        backUp();
        var damaged = hashOfChunk(6);
        flipAByte(fileOf(damaged), 40);
        var target = tmp.resolve("out").resolve("vda.raw");
        Files.createDirectories(target.getParent());

        assertThatThrownBy(() -> repo.restore(backup.id(), "vda", target))
                .isInstanceOf(BackupException.DamagedChunk.class)
                .hasMessageContaining(backup.id()).hasMessageContaining(damaged)
                .hasMessageContaining("offset " + 6 * CHUNK)
                .satisfies(e -> assertThat(((BackupException.DamagedChunk) e).damage().problem())
                        .isEqualTo(DamagedChunkReport.Problem.CORRUPT));
        assertThat(target).doesNotExist();
        assertThat(files(target.getParent())).isEmpty();
    }

    @Test
    void restoreRefusesAMissingChunk() throws IOException {
        backUp();
        var missing = hashOfChunk(0);
        Files.delete(fileOf(missing));
        var target = tmp.resolve("vda.raw");

        assertThatThrownBy(() -> repo.restore(backup.id(), "vda", target))
                .isInstanceOf(BackupException.DamagedChunk.class)
                .hasMessageContaining(missing).hasMessageContaining("missing");
        assertThat(target).doesNotExist();
    }

    @Test
    void restoreDoesNotOverwriteAnExistingFile() throws IOException {
        backUp();
        var target = Files.writeString(tmp.resolve("precious.raw"), "keep me");

        assertThatThrownBy(() -> repo.restore(backup.id(), "vda", target))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("existing file");
        assertThat(Files.readString(target)).isEqualTo("keep me");
    }

    @Test
    void aDamagedSharedChunkIsReportedForEveryBackupUsingIt() throws IOException {
        backUp();
        var second = repo.backup(full("vm2", tmp.resolve("d.raw"), 8 * CHUNK), BackupProgress.NONE);
        flipAByte(fileOf(hashOfChunk(1)), 7);

        var reports = repo.verifyAll();

        assertThat(reports).extracting(VerifyReport::backupId).containsExactly(backup.id(), second.id());
        assertThat(reports).allSatisfy(r -> assertThat(r.damaged()).singleElement()
                .extracting(DamagedChunkReport::offset).isEqualTo((long) CHUNK));
        // each distinct chunk was read once for both backups
        assertThat(reports.get(1).chunksChecked()).isZero();
    }
}
