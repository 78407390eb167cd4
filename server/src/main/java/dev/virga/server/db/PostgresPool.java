package dev.virga.server.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/** PostgreSQL through HikariCP; the pool is tried at once, so a wrong URL or password fails the start. */
final class PostgresPool {
    static final int MAX_CONNECTIONS = 10;

    private PostgresPool() {
    }

    static HikariDataSource of(String jdbcUrl) {
        var config = new HikariConfig();
        config.setPoolName("virga-store");
        config.setJdbcUrl(jdbcUrl);
        config.setMaximumPoolSize(MAX_CONNECTIONS);
        config.setMinimumIdle(2);
        config.setConnectionTimeout(10_000);
        config.setInitializationFailTimeout(1); // one try: a store that cannot be reached fails the start at once
        config.addDataSourceProperty("tcpKeepAlive", "true");
        try {
            return new HikariDataSource(config);
        } catch (HikariPool.PoolInitializationException e) {
            throw new IllegalArgumentException("--db: cannot open " + Redacted.url(jdbcUrl) + ": " + rootMessage(e), e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--db: '" + Redacted.url(jdbcUrl) + "' is not usable: "
                    + rootMessage(e), e);
        }
    }

    static Connection dedicated(String jdbcUrl) throws SQLException {
        var props = new Properties();
        props.setProperty("tcpKeepAlive", "true");
        props.setProperty("connectTimeout", "5");
        props.setProperty("socketTimeout", "10");
        props.setProperty("ApplicationName", "virga-leader-lock");
        return DriverManager.getConnection(jdbcUrl, props);
    }

    private static String rootMessage(Throwable e) {
        var t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
