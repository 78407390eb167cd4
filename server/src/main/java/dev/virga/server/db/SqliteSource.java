package dev.virga.server.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

import javax.sql.DataSource;

/**
 * SQLite connections, kept open in a small pool: a new connection for every query cost ~0.5 ms (open, pragmas,
 * parsing the schema) against ~0.02 ms for the query itself, and ~2 ms for a write (the last connection to close
 * checkpoints the WAL); that was most of the control plane's CPU at 1,000 hosts (docs/benchmarks.md).
 */
final class SqliteSource {
    private SqliteSource() {
    }

    static DataSource of(String jdbcUrl) {
        var config = new SQLiteConfig();
        // WAL + a busy timeout let the reconcile loop and request threads write without "database is locked"
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
        config.setBusyTimeout(10_000);
        // a transaction takes the write lock when it begins: one that read first and wrote later could otherwise
        // fail at once (SQLITE_BUSY_SNAPSHOT ignores the busy timeout) when another write came in between
        config.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
        config.enforceForeignKeys(true);
        var ds = new SQLiteDataSource(config);
        ds.setUrl(jdbcUrl);
        var pool = new HikariConfig();
        pool.setDataSource(ds);
        pool.setPoolName("virga-sqlite");
        pool.setMaximumPoolSize(8);
        pool.setMinimumIdle(1);
        return new HikariDataSource(pool);
    }
}
