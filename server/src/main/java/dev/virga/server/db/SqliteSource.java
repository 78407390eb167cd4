package dev.virga.server.db;

import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

import javax.sql.DataSource;

/** SQLite needs no pool: a connection is a file handle. */
final class SqliteSource {
    private SqliteSource() {
    }

    static DataSource of(String jdbcUrl) {
        var config = new SQLiteConfig();
        // WAL + a busy timeout let the reconcile loop and request threads write without "database is locked"
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
        config.setBusyTimeout(10_000);
        config.enforceForeignKeys(true);
        var ds = new SQLiteDataSource(config);
        ds.setUrl(jdbcUrl);
        return ds;
    }
}
