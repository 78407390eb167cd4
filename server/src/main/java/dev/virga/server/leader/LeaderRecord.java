package dev.virga.server.leader;

import org.jdbi.v3.core.Jdbi;

import java.util.Optional;

/** The one row of table {@code leader}: written only by the lock holder. */
final class LeaderRecord {
    private final Jdbi jdbi;

    LeaderRecord(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    void write(String url) {
        jdbi.useHandle(h -> h.createUpdate("INSERT INTO leader (id, url, since) VALUES (1, :url, :now) "
                        + "ON CONFLICT (id) DO UPDATE SET url = excluded.url, since = excluded.since")
                .bind("url", url).bind("now", System.currentTimeMillis()).execute());
    }

    Optional<String> read() {
        return jdbi.withHandle(h -> h.createQuery("SELECT url FROM leader WHERE id = 1").mapTo(String.class)
                .findOne());
    }

    /** On a clean stop: standbys then say no leader is known rather than name one that is gone. */
    void clear(String url) {
        jdbi.useHandle(h -> h.createUpdate("DELETE FROM leader WHERE url = :url").bind("url", url).execute());
    }
}
