package dev.virga.server.event;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.virga.api.Event;
import dev.virga.client.Json;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/** Records events in the store (the newest {@value #KEEP}) and hands them to live subscribers. */
public final class EventBus {
    private static final Logger LOG = LoggerFactory.getLogger(EventBus.class);
    static final int KEEP = 10_000;
    private final Jdbi jdbi;
    private final AtomicLong lastId;
    private final List<Consumer<Event>> subscribers = new CopyOnWriteArrayList<>();

    public EventBus(Jdbi jdbi) {
        this.jdbi = jdbi;
        this.lastId = new AtomicLong(storedLastId());
    }

    private long storedLastId() {
        return jdbi.withHandle(h -> h.createQuery("SELECT COALESCE(MAX(id), 0) FROM events").mapTo(Long.class).one());
    }

    /** Continues after the newest stored event: called when this server takes over from a leader that published. */
    public synchronized void resume() {
        lastId.set(Math.max(lastId.get(), storedLastId()));
    }

    public Event publish(String type, String target, String message) {
        return publish(type, target, message, Map.of());
    }

    public synchronized Event publish(String type, String target, String message, Map<String, String> details) {
        var event = new Event(lastId.incrementAndGet(), Instant.now(), type, target, message, Map.copyOf(details));
        jdbi.useHandle(h -> {
            h.createUpdate("INSERT INTO events (id, at, type, target, message, details_json) "
                            + "VALUES (:id, :at, :type, :target, :message, :details)")
                    .bind("id", event.id()).bind("at", event.at().toEpochMilli()).bind("type", type)
                    .bind("target", target).bind("message", message).bind("details", write(details))
                    .execute();
            if (event.id() % 1000 == 0) {
                h.createUpdate("DELETE FROM events WHERE id <= :old").bind("old", event.id() - KEEP).execute();
            }
        });
        LOG.info("event {} {}: {}", type, target, message);
        for (var s : subscribers) {
            try {
                s.accept(event);
            } catch (RuntimeException e) {
                LOG.debug("event subscriber failed; dropping it", e);
                subscribers.remove(s);
            }
        }
        return event;
    }

    public List<Event> after(long id, int limit) {
        return jdbi.withHandle(h -> h.createQuery(
                        "SELECT * FROM events WHERE id > :id ORDER BY id LIMIT :limit")
                .bind("id", id).bind("limit", limit)
                .map((rs, ctx) -> new Event(rs.getLong("id"), Instant.ofEpochMilli(rs.getLong("at")),
                        rs.getString("type"), rs.getString("target"), rs.getString("message"),
                        read(rs.getString("details_json"))))
                .list());
    }

    public Runnable subscribe(Consumer<Event> subscriber) {
        subscribers.add(subscriber);
        return () -> subscribers.remove(subscriber);
    }

    private static String write(Map<String, String> details) {
        try {
            return Json.mapper().writeValueAsString(details);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static Map<String, String> read(String json) {
        try {
            return Json.mapper().readValue(json, new TypeReference<>() { });
        } catch (JsonProcessingException e) {
            return Map.of();
        }
    }
}
