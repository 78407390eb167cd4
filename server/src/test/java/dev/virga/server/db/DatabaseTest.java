package dev.virga.server.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What must be the same on SQLite and PostgreSQL, and how a wrong {@code --db} is refused. */
class DatabaseTest {
    @TempDir
    Path dir;
    private TestStore store;

    @BeforeEach
    void openStore() {
        store = TestStore.create(dir);
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    @Test
    void namesAreListedInByteOrderOnEitherStore() {
        var jdbi = store.jdbi();
        for (var name : List.of("vm10", "vm-2", "web", "vm1", "a-b", "ab")) {
            jdbi.useHandle(h -> h.createUpdate("INSERT INTO hosts (name, url, token, state) VALUES (:n, '', '', 'x')")
                    .bind("n", name).execute());
        }

        var listed = jdbi.withHandle(h -> h.createQuery("SELECT name FROM hosts ORDER BY name").mapTo(String.class)
                .list());

        // what SQLite does; a libc en_US collation on PostgreSQL would ignore '-' and say ab, a-b, vm1, vm-2, ...
        assertThat(listed).containsExactly("a-b", "ab", "vm-2", "vm1", "vm10", "web");
        if (store.isPostgres()) {
            var collations = jdbi.withHandle(h -> h.createQuery("SELECT table_name || '.' || column_name || ' ' "
                    + "|| collation_name FROM information_schema.columns WHERE column_name = 'name' "
                    + "AND table_name IN ('hosts', 'images', 'instances') ORDER BY table_name").mapTo(String.class)
                    .list());
            assertThat(collations).containsExactly("hosts.name C", "images.name C", "instances.name C");
        }
    }

    @Test
    void aBooleanColumnReadsBackTheSameOnEitherStore() {
        var jdbi = store.jdbi();
        jdbi.useHandle(h -> h.createUpdate("INSERT INTO images (name, fingerprint, format, virtual_size, file_size, "
                        + "os, source, boots_kernel, host, created_at) VALUES ('k', 'f', 'qcow2', 1, 1, '', '', :t, "
                        + "'h', 0), ('n', 'f', 'qcow2', 1, 1, '', '', :f, 'h', 0)")
                .bind("t", true).bind("f", false).execute());

        List<String> booting = jdbi.withHandle(h -> h.createQuery("SELECT name FROM images WHERE boots_kernel = :b")
                .bind("b", true).mapTo(String.class).list());
        assertThat(booting).containsExactly("k");
    }

    @Test
    void aUrlOfAnotherDatabaseIsRefusedNamingTheOption() {
        assertThatThrownBy(() -> Database.open("jdbc:mysql://db/virga?user=u&password=secret"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("--db: 'jdbc:mysql://db/virga?user=u&password=***' is neither")
                .hasMessageNotContaining("secret");
    }

    @Test
    void anUnreachablePostgresqlIsRefusedAtOnceWithoutShowingThePassword() {
        assertThatThrownBy(() -> Database.open("jdbc:postgresql://127.0.0.1:1/virga?user=u&password=secret"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("--db: cannot open jdbc:postgresql://127.0.0.1:1/virga?user=u&password=***: ")
                .hasMessageContaining("refused")
                .hasMessageNotContaining("secret");
    }
}
