package dev.virga.server.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded store holds every agent's bearer token: the hostile review of issue 14 read it as {@code nobody}
 * from a 0644 file in 0755 directories. Now its directory is 0700 and the file 0600, whatever the umask.
 */
class PrivateStoreTest {
    @TempDir
    java.nio.file.Path dir;

    @Test
    void theSqliteFileAndItsDirectoryAreTheOwnersOnly() throws Exception {
        var file = dir.resolve("data/db/virga.sqlite");
        try (var db = Database.sqlite(file)) {
            db.jdbi().useHandle(h -> h.execute("SELECT 1"));
        }

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())))
                .isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    }
}
