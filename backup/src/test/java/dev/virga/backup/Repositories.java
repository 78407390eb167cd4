package dev.virga.backup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Stream;

/** Test helpers around a repository with small (64 KiB) chunks. */
final class Repositories {

    static final int CHUNK = 64 * 1024;

    private Repositories() {
    }

    static BackupRepository init(Path dir) {
        BackupRepository.init(dir, CHUNK);
        return BackupRepository.open(dir);
    }

    static List<Path> chunkFiles(Path repo) {
        try (Stream<Path> files = Files.walk(repo.resolve("chunks"))) {
            return files.filter(p -> p.toString().endsWith(".zst")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Path> files(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static BackupRequest full(String vm, Path image, long size) {
        return BackupRequest.full(vm, false, List.of(new DiskSource("vda", size, ChunkSource.wholeFile(image))));
    }

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        Instant now;

        ManualClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
