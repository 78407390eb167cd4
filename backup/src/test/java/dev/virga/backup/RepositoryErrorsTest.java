package dev.virga.backup;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;

import static dev.virga.backup.Repositories.CHUNK;
import static dev.virga.backup.Repositories.full;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RepositoryErrorsTest {

    @TempDir
    Path tmp;

    @Test
    void anUnknownPathIsNotARepository() throws IOException {
        var missing = tmp.resolve("nowhere");
        var empty = Files.createDirectory(tmp.resolve("empty"));

        assertThatThrownBy(() -> BackupRepository.open(missing)).isInstanceOf(BackupException.RepositoryNotFound.class)
                .hasMessage("no backup repository at " + missing + ": the directory does not exist");
        assertThatThrownBy(() -> BackupRepository.open(empty)).isInstanceOf(BackupException.RepositoryNotFound.class)
                .hasMessageContaining("not a Virga backup repository");
        assertThatThrownBy(() -> BackupRepository.open(Files.writeString(tmp.resolve("file"), "x")))
                .isInstanceOf(BackupException.RepositoryNotFound.class).hasMessageContaining("not a directory");
    }

    @Test
    void aRepositoryOfAnotherFormatIsRefused() throws IOException {
        var dir = tmp.resolve("repo");
        BackupRepository.init(dir);
        var descriptor = dir.resolve("virga-backup.json");
        Files.writeString(descriptor, Files.readString(descriptor).replace("\"format\" : 1", "\"format\" : 2"));

        assertThatThrownBy(() -> BackupRepository.open(dir)).isInstanceOf(BackupException.UnsupportedFormat.class)
                .hasMessage("the backup repository at " + dir + " has format version 2; this Virga reads format"
                        + " version 1");
    }

    @Test
    void aRepositoryIsMadeOnlyInAnEmptyOrNewDirectory() throws IOException {
        var dir = tmp.resolve("repo");
        var repo = BackupRepository.init(dir);
        assertThat(repo.chunkSize()).isEqualTo(4 * 1024 * 1024);
        assertThat(BackupRepository.open(dir).list()).isEmpty();

        assertThatThrownBy(() -> BackupRepository.init(dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("already a backup repository");
        Files.writeString(Files.createDirectory(tmp.resolve("busy")).resolve("notes.txt"), "mine");
        assertThatThrownBy(() -> BackupRepository.init(tmp.resolve("busy"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not empty");
        assertThatThrownBy(() -> BackupRepository.init(tmp.resolve("odd"), 1000))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("chunk size 1000");
    }

    @Test
    void anUnknownBackupIdIsNamed() throws IOException {
        var repo = Repositories.init(tmp.resolve("repo"));
        var image = new TestImage(41, 2 * CHUNK, CHUNK).write(tmp.resolve("d.raw"));

        for (var call : List.<Runnable>of(() -> repo.info("vm1-nope"), () -> repo.verify("vm1-nope"),
                () -> repo.restore("vm1-nope", "vda", tmp.resolve("r")), () -> repo.delete("vm1-nope"),
                () -> repo.backup(BackupRequest.incremental("vm1", "vm1-nope", false,
                        List.of(new DiskSource("vda", 2 * CHUNK, ChunkSource.wholeFile(image)))), BackupProgress.NONE))) {
            assertThatThrownBy(call::run).isInstanceOf(BackupException.UnknownBackup.class)
                    .hasMessage("no backup with id vm1-nope in the repository at " + repo.path());
        }
        assertThatThrownBy(() -> repo.info("../../etc/passwd")).isInstanceOf(BackupException.UnknownBackup.class);
    }

    @Test
    void badNamesAreRefusedBeforeTheyBecomeFileNames() {
        assertThatThrownBy(() -> new DiskSource("../vda", 10, sink -> {
        })).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("disk name '../vda'");
        assertThatThrownBy(() -> BackupRequest.full("a/b", false, List.of(new DiskSource("vda", 10, sink -> {
        })))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("VM name 'a/b'");
    }

    @Test
    void aReadOnlyRepositoryCanBeReadButNotWritten() throws IOException {
        var dir = tmp.resolve("repo");
        var repo = Repositories.init(dir);
        var image = new TestImage(42, 3 * CHUNK, CHUNK);
        var file = image.write(tmp.resolve("d.raw"));
        var backup = repo.backup(full("vm1", file, 3 * CHUNK), BackupProgress.NONE);
        setWritable(dir, false);
        try {
            var readOnly = BackupRepository.open(dir);

            assertThat(readOnly.list("vm1")).containsExactly(backup);
            assertThat(readOnly.verify(backup.id()).ok()).isTrue();
            assertThat(Files.readAllBytes(readOnly.restore(backup.id(), "vda", tmp.resolve("r.raw")).image()))
                    .isEqualTo(image.bytes);
            for (var call : List.<Runnable>of(() -> readOnly.backup(full("vm1", file, 3 * CHUNK), BackupProgress.NONE),
                    () -> readOnly.delete(backup.id()), readOnly::collectGarbage)) {
                assertThatThrownBy(call::run).isInstanceOf(BackupException.NotWritable.class)
                        .hasMessageStartingWith("the backup repository at " + dir + " is not writable");
            }
            assertThat(readOnly.list("vm1")).containsExactly(backup);
        } finally {
            setWritable(dir, true);
        }
    }

    @Test
    void aRepositoryCannotBeMadeInAReadOnlyDirectory() throws IOException {
        var dir = Files.createDirectory(tmp.resolve("ro"));
        setWritable(dir, false);
        try {
            assertThatThrownBy(() -> BackupRepository.init(dir)).isInstanceOf(BackupException.NotWritable.class)
                    .hasMessageContaining(dir.toString()).hasMessageContaining("no write permission");
            assertThat(dir.resolve("virga-backup.json")).doesNotExist();
        } finally {
            setWritable(dir, true);
        }
    }

    private static void setWritable(Path dir, boolean writable) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (var path : all.toList()) {
                var mode = Files.isDirectory(path) ? (writable ? "rwxr-xr-x" : "r-xr-xr-x")
                        : (writable ? "rw-r--r--" : "r--r--r--");
                Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(mode));
            }
        }
    }
}
