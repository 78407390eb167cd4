package dev.virga.qemu.qmp;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Predicate;

/** A pending wait for one event, armed by {@link QmpClient#expectEvent} before the command that causes it. */
public final class EventWaiter implements AutoCloseable {
    private final Predicate<QmpEvent> match;
    private final Consumer<EventWaiter> deregister;
    private final CompletableFuture<QmpEvent> result = new CompletableFuture<>();

    EventWaiter(Predicate<QmpEvent> match, Consumer<EventWaiter> deregister) {
        this.match = match;
        this.deregister = deregister;
    }

    /**
     * Returns the first matching event since this waiter was made.
     *
     * @throws QmpTimeoutException when none came within {@code timeout}
     * @throws QmpClosedException when the connection closed first
     */
    public QmpEvent await(Duration timeout) {
        try {
            return result.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new QmpTimeoutException("no matching QMP event within " + timeout);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof QmpClosedException gone) {
                throw new QmpClosedException("no matching QMP event: " + gone.getMessage(), gone);
            }
            throw new QmpException("waiting for a QMP event failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QmpException("interrupted while waiting for a QMP event", e);
        } finally {
            close();
        }
    }

    @Override
    public void close() {
        deregister.accept(this);
    }

    void offer(QmpEvent event) {
        if (result.isDone()) {
            return;
        }
        try {
            if (match.test(event)) {
                result.complete(event);
                deregister.accept(this);
            }
        } catch (RuntimeException e) {
            result.completeExceptionally(e);
            deregister.accept(this);
        }
    }

    void fail(QmpClosedException cause) {
        result.completeExceptionally(cause);
        deregister.accept(this);
    }
}
