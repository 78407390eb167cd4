package dev.virga.server.db;

import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;

import javax.sql.DataSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * Opens the control plane's database and brings its schema up to date: SQLite (the embedded default, one file) or
 * PostgreSQL (the production store, through a connection pool). The SQL is the same on both.
 */
public final class Database implements AutoCloseable {
    /** Which store: the queries are the same, pooling and leader election differ. */
    public enum Kind { SQLITE, POSTGRESQL }

    private final Kind kind;
    private final DataSource dataSource;
    private final String jdbcUrl;
    private final Jdbi jdbi;

    private Database(Kind kind, DataSource dataSource, String jdbcUrl) {
        this.kind = kind;
        this.dataSource = dataSource;
        this.jdbcUrl = jdbcUrl;
        try {
            var locations = kind == Kind.POSTGRESQL
                    ? new String[] {"classpath:db/migration", "classpath:db/postgresql"}
                    : new String[] {"classpath:db/migration", "classpath:db/sqlite"};
            Flyway.configure().dataSource(dataSource).locations(locations).load().migrate();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        this.jdbi = Jdbi.create(dataSource);
    }

    /** The embedded default: one SQLite file under the data directory. */
    public static Database sqlite(Path file) {
        try {
            // the store holds every agent's token: its owner only
            dev.virga.client.OwnerOnly.directory(file.toAbsolutePath().getParent());
            dev.virga.client.OwnerOnly.file(file.toAbsolutePath());
        } catch (java.io.UncheckedIOException e) {
            throw new IllegalStateException("cannot create " + file.getParent() + ": " + e.getMessage(), e);
        }
        return open("jdbc:sqlite:" + file.toAbsolutePath());
    }

    /**
     * Opens {@code jdbc:sqlite:FILE} or {@code jdbc:postgresql://HOST:PORT/DB?user=U&password=P}.
     *
     * @throws IllegalArgumentException (its message starts with {@code --db:}) for another URL or a PostgreSQL
     *                                  server that cannot be reached or refuses the credentials
     */
    public static Database open(String jdbcUrl) {
        if (jdbcUrl.startsWith("jdbc:sqlite:")) {
            return new Database(Kind.SQLITE, SqliteSource.of(jdbcUrl), jdbcUrl);
        }
        if (jdbcUrl.startsWith("jdbc:postgresql:")) {
            return new Database(Kind.POSTGRESQL, PostgresPool.of(jdbcUrl), jdbcUrl);
        }
        throw new IllegalArgumentException("--db: '" + Redacted.url(jdbcUrl) + "' is neither jdbc:sqlite:FILE nor "
                + "jdbc:postgresql://HOST:PORT/DATABASE?user=USER&password=PASSWORD");
    }

    public Kind kind() {
        return kind;
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    /** The JDBC URL with any password hidden: for logs and messages. */
    public String url() {
        return Redacted.url(jdbcUrl);
    }

    /**
     * A connection of its own, outside the pool: a session-level lock taken on it lives exactly as long as the
     * connection (PostgreSQL only).
     */
    public Connection dedicatedConnection() throws SQLException {
        if (kind != Kind.POSTGRESQL) {
            throw new IllegalStateException("a dedicated connection is only used with PostgreSQL");
        }
        return PostgresPool.dedicated(jdbcUrl);
    }

    @Override
    public void close() {
        if (dataSource instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing the store failed: " + e.getMessage(), e);
            }
        }
    }
}
