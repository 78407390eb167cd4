package dev.virga.server.leader;

import dev.virga.server.db.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * PostgreSQL: {@code pg_try_advisory_lock} on a connection of its own, held for the leader's life. When the leader
 * process dies its connection closes and PostgreSQL releases the lock at once; a standby's next try gets it.
 */
final class AdvisoryLock implements LeaderLock {
    private static final Logger LOG = LoggerFactory.getLogger(AdvisoryLock.class);
    /** Advisory lock keys are per database: servers of another store on the same PostgreSQL do not compete. */
    static final long KEY = 0x7669726761L; // "virga"
    private final Database db;
    private Connection connection;
    private boolean held;

    AdvisoryLock(Database db) {
        this.db = db;
    }

    @Override
    public synchronized boolean tryAcquire() {
        if (held) {
            return true;
        }
        try {
            if (connection == null || connection.isClosed()) {
                connection = db.dedicatedConnection();
            }
            try (var st = connection.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
                st.setLong(1, KEY);
                try (var rs = st.executeQuery()) {
                    held = rs.next() && rs.getBoolean(1);
                }
            }
        } catch (SQLException e) {
            LOG.debug("leader lock: cannot try ({}); trying again", e.getMessage());
            drop();
        }
        return held;
    }

    @Override
    public synchronized boolean held() {
        if (!held) {
            return false;
        }
        try {
            if (connection.isValid(3)) {
                return true;
            }
        } catch (SQLException e) {
            LOG.debug("leader lock: connection check failed", e);
        }
        LOG.warn("leader lock: the connection that held it is gone");
        drop();
        return false;
    }

    private void drop() {
        held = false;
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                LOG.debug("leader lock: closing its connection failed", e);
            }
            connection = null;
        }
    }

    @Override
    public synchronized void close() {
        drop();
    }
}
