package dev.virga.server.db;

import org.jdbi.v3.core.Jdbi;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A fresh, empty state store for one test: SQLite under a directory, or, when the tests run with
 * {@code -Dvirga.test.db=postgresql} (the second surefire run of this module), a new PostgreSQL database dropped on
 * {@link #close()}.
 */
public final class TestStore implements AutoCloseable {
    public static final String PROPERTY = "virga.test.db";
    private final Path dir;
    private final String postgresUrl;
    private final List<Database> opened = new ArrayList<>();

    private TestStore(Path dir, String postgresUrl) {
        this.dir = dir;
        this.postgresUrl = postgresUrl;
    }

    /** The store of this test run, under {@code dir} for SQLite. */
    public static TestStore create(Path dir) {
        return postgresql() ? new TestStore(dir, TestPostgres.createDatabase()) : new TestStore(dir, "");
    }

    /** A PostgreSQL store even in the SQLite run (tests of what only PostgreSQL does: several servers). */
    public static TestStore postgres(Path dir) {
        return new TestStore(dir, TestPostgres.createDatabase());
    }

    /** Whether this run of the tests is the PostgreSQL one. */
    public static boolean postgresql() {
        var kind = System.getProperty(PROPERTY, "sqlite");
        return switch (kind) {
            case "sqlite" -> false;
            case "postgresql" -> true;
            default -> throw new IllegalStateException(PROPERTY + ": '" + kind + "' is neither sqlite nor postgresql");
        };
    }

    /** What {@code ServerConfig.jdbcUrl} takes: empty (the server's own SQLite under its data directory) or the URL. */
    public String jdbcUrl() {
        return postgresUrl;
    }

    public boolean isPostgres() {
        return !postgresUrl.isEmpty();
    }

    /** Opens the store as another process would; closed by {@link #close()}. */
    public synchronized Database open() {
        var db = isPostgres() ? Database.open(postgresUrl) : Database.sqlite(dir.resolve("db/virga.sqlite"));
        opened.add(db);
        return db;
    }

    /** The store through a new {@link #open()}. */
    public Jdbi jdbi() {
        return open().jdbi();
    }

    @Override
    public synchronized void close() {
        opened.forEach(Database::close);
        opened.clear();
        if (isPostgres()) {
            TestPostgres.drop(postgresUrl);
        }
    }
}
