package dev.virga.server.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

import javax.sql.DataSource;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens the control plane's database and brings its schema up to date. */
public final class Database implements AutoCloseable {
    private final Jdbi jdbi;
    private final String url;
    private final DataSource dataSource;

    private Database(DataSource dataSource, String url) {
        this.url = url;
        this.dataSource = dataSource;
        Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
        this.jdbi = Jdbi.create(dataSource);
    }

    /** The embedded default: one SQLite file under the data directory. */
    public static Database sqlite(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot create " + file.getParent() + ": " + e.getMessage(), e);
        }
        return open("jdbc:sqlite:" + file.toAbsolutePath());
    }

    public static Database open(String jdbcUrl) {
        if (!jdbcUrl.startsWith("jdbc:sqlite:")) {
            throw new IllegalArgumentException("--db: only jdbc:sqlite: URLs are supported so far, not " + jdbcUrl);
        }
        var config = new SQLiteConfig();
        // WAL + a busy timeout let the reconcile loop and request threads write without "database is locked"
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
        config.setBusyTimeout(10_000);
        config.enforceForeignKeys(true);
        var ds = new SQLiteDataSource(config);
        ds.setUrl(jdbcUrl);
        return new Database(pooled(ds), jdbcUrl);
    }

    /**
     * Connections kept open: a new SQLite connection for every query costs ~0.5 ms (open, pragmas, parsing the
     * schema) against ~0.02 ms for the query, and ~2 ms for a write (the last connection to close checkpoints the
     * WAL), which was most of the control plane's CPU at 1,000 hosts.
     */
    private static DataSource pooled(SQLiteDataSource sqlite) {
        var config = new HikariConfig();
        config.setDataSource(sqlite);
        config.setPoolName("virga-sqlite");
        config.setMaximumPoolSize(8);
        config.setMinimumIdle(1);
        return new HikariDataSource(config);
    }

    /** Closes the store's connections. */
    @Override
    public void close() {
        if (dataSource instanceof HikariDataSource pool) {
            pool.close();
        }
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    public String url() {
        return url;
    }
}
