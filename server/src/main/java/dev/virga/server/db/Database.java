package dev.virga.server.db;

import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

import javax.sql.DataSource;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens the control plane's database and brings its schema up to date. */
public final class Database {
    private final Jdbi jdbi;
    private final String url;

    private Database(DataSource dataSource, String url) {
        this.url = url;
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
        return new Database(ds, jdbcUrl);
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    public String url() {
        return url;
    }
}
