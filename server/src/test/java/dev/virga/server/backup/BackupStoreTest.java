package dev.virga.server.backup;

import dev.virga.api.GuestDetails;
import dev.virga.api.Instance;
import dev.virga.api.InstanceState;
import dev.virga.server.db.TestStore;
import dev.virga.server.http.ApiError;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Migration V11 on SQLite and PostgreSQL: repositories and what each backup was taken of. */
class BackupStoreTest {
    @TempDir
    Path dir;
    TestStore test;
    BackupStore store;

    @BeforeEach
    void open() {
        test = TestStore.create(dir);
        store = new BackupStore(test.jdbi());
    }

    @AfterEach
    void close() {
        test.close();
    }

    @Test
    void repositoriesAreListedByNameAndANameIsTakenOnce() {
        store.addRepo("offsite", "/mnt/nas/virga");
        store.addRepo("local", "/var/lib/virga/backups");
        assertThat(store.repos()).extracting(r -> r.name() + "=" + r.path())
                .containsExactly("local=/var/lib/virga/backups", "offsite=/mnt/nas/virga");
        assertThatThrownBy(() -> store.addRepo("local", "/elsewhere")).isInstanceOf(ApiError.Conflict.class)
                .hasMessageContaining("'local' already exists");
        store.removeRepo("offsite");
        assertThat(store.repo("offsite")).isEmpty();
        assertThat(store.repo("local")).get().extracting(r -> r.path()).isEqualTo("/var/lib/virga/backups");
    }

    @Test
    void whatABackupWasTakenOfOutlivesTheInstanceRecord() {
        var vm = new Instance("vm1", "tiny", "h1", InstanceState.RUNNING, "", 2, 256L << 20, 1L << 30, "tcg", 0,
                Instant.now(), Instant.now(), GuestDetails.unknown());
        store.addSource("vm1-20261126T002511Z-3f9a", "local", vm);
        var s = store.source("vm1-20261126T002511Z-3f9a").orElseThrow();
        assertThat(s.image()).isEqualTo("tiny");
        assertThat(s.cpus()).isEqualTo(2);
        assertThat(s.memoryBytes()).isEqualTo(256L << 20);
        assertThat(s.diskBytes()).isEqualTo(1L << 30);
        store.removeSource("vm1-20261126T002511Z-3f9a");
        assertThat(store.source("vm1-20261126T002511Z-3f9a")).isEmpty();
    }
}
