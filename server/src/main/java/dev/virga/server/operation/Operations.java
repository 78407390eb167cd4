package dev.virga.server.operation;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.virga.api.Operation;
import dev.virga.api.OperationStatus;
import dev.virga.client.Json;
import dev.virga.server.event.EventBus;
import dev.virga.server.http.ApiError;
import dev.failsafe.Failsafe;
import dev.failsafe.RetryPolicy;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Starts, records and waits on operations. At most one running operation per target. */
public final class Operations {
    private static final Logger LOG = LoggerFactory.getLogger(Operations.class);
    private final Jdbi jdbi;
    private final EventBus events;
    private final Map<String, CompletableFuture<Operation>> running = new ConcurrentHashMap<>();
    private final Map<String, String> busyTargets = new ConcurrentHashMap<>();
    private static final Duration STORE_POLL = Duration.ofMillis(200);

    /** The body of an operation; returns its result, or throws to fail it with the exception's message. */
    @FunctionalInterface
    public interface Work {
        Map<String, Object> run(Progress progress) throws Exception;
    }

    /** What a running operation tells its watchers, and how it learns that it was cancelled. */
    @FunctionalInterface
    public interface Progress {
        void update(String text);

        /** While on, {@code DELETE /1.0/operations/{id}} cancels the operation instead of answering 409. */
        default void cancellable(boolean on) {
        }

        /** Whether a cancel was asked (the work then ends by throwing {@link Cancelled}). */
        default boolean cancelled() {
            return false;
        }

        /** Sleeps up to {@code timeout}, returning early when the operation is cancelled. */
        default void await(Duration timeout) throws InterruptedException {
            Thread.sleep(timeout);
        }
    }

    /** Thrown by work that stopped because it was cancelled: the operation ends {@code cancelled}. */
    public static final class Cancelled extends RuntimeException {
        public Cancelled(String message) {
            super(message);
        }
    }

    /** Cancellation state of one running operation. */
    private static final class Cancel {
        volatile boolean allowed;
        volatile boolean asked;
        final Object signal = new Object();
    }

    private final Map<String, Cancel> cancels = new ConcurrentHashMap<>();

    public Operations(Jdbi jdbi, EventBus events) {
        this.jdbi = jdbi;
        this.events = events;
    }

    /** Marks operations a dead server left running as failed; the reconcile loop fixes their targets. */
    public int failInterrupted() {
        int n = jdbi.withHandle(h -> h.createUpdate("UPDATE operations SET status = :failure, "
                        + "error = 'interrupted: the server stopped while it ran', updated_at = :now WHERE status = :running")
                .bind("failure", OperationStatus.FAILURE.name()).bind("running", OperationStatus.RUNNING.name())
                .bind("now", System.currentTimeMillis()).execute());
        if (n > 0) {
            LOG.warn("{} operation(s) were interrupted by a server stop", n);
        }
        return n;
    }

    /**
     * Claims {@code target} and starts {@code work} on a virtual thread.
     *
     * @throws ApiError.Conflict when another operation on the same target is running
     */
    public Operation start(String kind, String target, Work work) {
        var id = UUID.randomUUID().toString();
        var other = busyTargets.putIfAbsent(target, id);
        if (other != null) {
            throw new ApiError.Conflict("'" + target + "' is busy with operation " + other,
                    Map.of("operation", other));
        }
        var now = System.currentTimeMillis();
        var op = new Operation(id, kind, target, OperationStatus.RUNNING, "", "", Map.of(),
                Instant.ofEpochMilli(now), Instant.ofEpochMilli(now));
        try {
            jdbi.useHandle(h -> h.createUpdate("INSERT INTO operations (id, kind, target, status, created_at, "
                            + "updated_at) VALUES (:id, :kind, :target, :status, :now, :now)")
                    .bind("id", id).bind("kind", kind).bind("target", target)
                    .bind("status", OperationStatus.RUNNING.name()).bind("now", now).execute());
        } catch (RuntimeException e) {
            busyTargets.remove(target, id);
            throw e;
        }
        var future = new CompletableFuture<Operation>();
        running.put(id, future);
        cancels.put(id, new Cancel());
        Thread.ofVirtual().name("op-" + kind + "-" + target).start(() -> execute(op, work, future));
        return op;
    }

    private void execute(Operation op, Work work, CompletableFuture<Operation> future) {
        Operation done;
        try {
            done = record(op, work);
        } catch (RuntimeException e) {
            // the store itself failed: waiters must still be released
            LOG.error("operation {} {} {} could not be recorded", op.kind(), op.target(), op.id(), e);
            running.remove(op.id());
            cancels.remove(op.id());
            future.completeExceptionally(e);
            return;
        } finally {
            busyTargets.remove(op.target(), op.id());
        }
        running.remove(op.id());
        cancels.remove(op.id());
        future.complete(done);
        events.publish("operation-" + done.status().name().toLowerCase(), op.target(),
                op.kind() + " " + op.target() + (done.error().isEmpty() ? "" : ": " + done.error()),
                Map.of("operation", op.id(), "kind", op.kind()));
    }

    private Operation record(Operation op, Work work) {
        var cancel = cancels.get(op.id());
        var progress = new Progress() {
            @Override
            public void update(String text) {
                progress(op.id(), text);
            }

            @Override
            public void cancellable(boolean on) {
                cancel.allowed = on;
            }

            @Override
            public boolean cancelled() {
                return cancel.asked;
            }

            @Override
            public void await(Duration timeout) throws InterruptedException {
                synchronized (cancel.signal) {
                    if (!cancel.asked) {
                        cancel.signal.wait(Math.max(1, timeout.toMillis()));
                    }
                }
            }
        };
        try {
            var result = work.run(progress);
            return finish(op.id(), OperationStatus.SUCCESS, "", result == null ? Map.of() : result);
        } catch (Cancelled e) {
            LOG.info("operation {} {} {} cancelled: {}", op.kind(), op.target(), op.id(), e.getMessage());
            return finish(op.id(), OperationStatus.CANCELLED, message(e), Map.of());
        } catch (Exception e) {
            LOG.info("operation {} {} {} failed: {}", op.kind(), op.target(), op.id(), e.getMessage());
            LOG.debug("operation failure", e);
            return finish(op.id(), OperationStatus.FAILURE, message(e), Map.of());
        }
    }

    private static String message(Exception e) {
        var m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    private void progress(String id, String text) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE operations SET progress = :p, updated_at = :now WHERE id = :id")
                .bind("p", text).bind("now", System.currentTimeMillis()).bind("id", id).execute());
    }

    /**
     * How an operation's end is written: a store that stays busy past its own timeout (SQLite's 10 s under a
     * heavy load, a PostgreSQL failover) must not leave the operation {@code running} for ever, with its waiters
     * polling it: the write is tried again for about two minutes.
     */
    private static final RetryPolicy<Object> FINISH = RetryPolicy.builder()
            .handle(org.jdbi.v3.core.JdbiException.class)
            .withBackoff(Duration.ofMillis(100), Duration.ofSeconds(5))
            .withMaxRetries(30)
            .onRetry(e -> LOG.warn("recording the end of an operation failed ({}); trying again",
                    e.getLastException().getMessage()))
            .build();

    private Operation finish(String id, OperationStatus status, String error, Map<String, Object> result) {
        Failsafe.with(FINISH).run(() -> jdbi.useHandle(h -> h.createUpdate("UPDATE operations SET status = :s, "
                        + "error = :e, result_json = :r, updated_at = :now WHERE id = :id")
                .bind("s", status.name()).bind("e", error).bind("r", write(result))
                .bind("now", System.currentTimeMillis()).bind("id", id).execute()));
        return get(id);
    }

    /**
     * Asks a running operation to stop. Only work that declared itself cancellable (a launch waiting for capacity)
     * can be; anything else is a 409 that says why.
     */
    public void cancel(String id) {
        var op = get(id);
        var cancel = cancels.get(id);
        if (op.status().done() || cancel == null) {
            throw new ApiError.Conflict("operation " + id + " already ended (" + op.status().name().toLowerCase() + ")");
        }
        if (!cancel.allowed) {
            throw new ApiError.Conflict("operation " + id + " (" + op.kind() + " " + op.target()
                    + ") cannot be cancelled now: only a launch still waiting for capacity can be");
        }
        cancel.asked = true;
        synchronized (cancel.signal) {
            cancel.signal.notifyAll();
        }
    }

    public Operation get(String id) {
        return find(id).orElseThrow(() -> new ApiError.NotFound("operation", id));
    }

    public Optional<Operation> find(String id) {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM operations WHERE id = :id")
                .bind("id", id).map(MAPPER).findOne());
    }

    public List<Operation> list(int limit) {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM operations ORDER BY created_at DESC LIMIT :l")
                .bind("l", limit).map(MAPPER).list());
    }

    /** Whether some operation is running on {@code target} right now (in this server). */
    public Optional<String> busy(String target) {
        return Optional.ofNullable(busyTargets.get(target));
    }

    /** Waits until the operation ends or {@code timeout} passes; returns it either way. */
    public Operation waitFor(String id, Duration timeout) {
        var future = running.get(id);
        if (future == null) {
            return watchStore(id, timeout);
        }
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return get(id);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return get(id);
        } catch (ExecutionException e) {
            return get(id);
        }
    }

    /** An operation another server runs (this one is a standby), or one that just ended: the store tells. */
    private Operation watchStore(String id, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        var op = get(id);
        while (!op.status().done() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(Math.min(STORE_POLL.toMillis(), Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return op;
            }
            op = get(id);
        }
        return op;
    }

    private static final RowMapper<Operation> MAPPER = (rs, ctx) -> new Operation(
            rs.getString("id"), rs.getString("kind"), rs.getString("target"),
            OperationStatus.valueOf(rs.getString("status")), rs.getString("progress"), rs.getString("error"),
            read(rs.getString("result_json")), Instant.ofEpochMilli(rs.getLong("created_at")),
            Instant.ofEpochMilli(rs.getLong("updated_at")));

    private static String write(Map<String, Object> result) {
        try {
            return Json.mapper().writeValueAsString(result);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("operation result is not JSON", e);
        }
    }

    private static Map<String, Object> read(String json) {
        try {
            return Json.mapper().readValue(json, new TypeReference<>() { });
        } catch (JsonProcessingException e) {
            return Map.of();
        }
    }
}
