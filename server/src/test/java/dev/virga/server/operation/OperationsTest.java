package dev.virga.server.operation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.virga.api.Event;
import dev.virga.api.Operation;
import dev.virga.api.OperationStatus;
import dev.virga.server.db.TestStore;
import dev.virga.server.event.EventBus;
import dev.virga.server.http.ApiError;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionFactory;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(20)
class OperationsTest {
    private static final Duration LONG = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    private TestStore store;

    private Jdbi jdbi;
    private EventBus events;
    private Operations operations;
    private final List<Event> published = new CopyOnWriteArrayList<>();
    private final List<String> startedIds = new CopyOnWriteArrayList<>();
    /** Work that blocks on it ends when the test ends, whatever happened. */
    private final CountDownLatch release = new CountDownLatch(1);

    @BeforeEach
    void openStore() {
        store = TestStore.create(dir);
        jdbi = store.jdbi();
        events = new EventBus(jdbi);
        events.subscribe(published::add);
        operations = new Operations(jdbi, events);
    }

    /** Starts work and remembers it, so that the test ends only after its last write to the store. */
    private Operation start(String kind, String target, Operations.Work work) {
        var op = operations.start(kind, target, work);
        startedIds.add(op.id());
        return op;
    }

    @AfterEach
    void releaseBlockedWorkAndLetItFinish() {
        release.countDown();
        try {
            // the end event is the last thing an operation writes
            eventually().until(() -> startedIds.stream().allMatch(id -> published.stream()
                    .anyMatch(e -> e.type().startsWith("operation-") && id.equals(e.details().get("operation")))));
        } finally {
            store.close();
        }
    }

    private static ConditionFactory eventually() {
        return await().atMost(LONG).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10));
    }

    private Operations.Work blockUntilReleased(Map<String, Object> result) {
        return progress -> {
            release.await();
            return result;
        };
    }

    private Operations reopened() {
        var again = store.jdbi();
        return new Operations(again, new EventBus(again));
    }

    @Test
    void aSuccessIsPersistedWithItsResult() {
        var started = start("launch", "vm1", progress -> Map.of("host", "local", "launchMillis", 812));

        assertThat(started.status()).isEqualTo(OperationStatus.RUNNING);
        var done = operations.waitFor(started.id(), LONG);
        assertThat(done.status()).isEqualTo(OperationStatus.SUCCESS);
        assertThat(done.error()).isEmpty();
        assertThat(done.result()).containsEntry("host", "local").containsEntry("launchMillis", 812);

        // another process over the same file sees the same thing
        var seen = reopened().get(started.id());
        assertThat(seen.status()).isEqualTo(OperationStatus.SUCCESS);
        assertThat(seen.kind()).isEqualTo("launch");
        assertThat(seen.target()).isEqualTo("vm1");
        assertThat(seen.result()).containsEntry("host", "local");
    }

    @Test
    void aFailureIsPersistedWithTheErrorText() {
        var started = start("launch", "vm1", progress -> {
            throw new IllegalStateException("QEMU failed to start: cannot set up guest memory 'pc.ram'");
        });

        var done = operations.waitFor(started.id(), LONG);
        assertThat(done.status()).isEqualTo(OperationStatus.FAILURE);
        assertThat(done.error()).isEqualTo("QEMU failed to start: cannot set up guest memory 'pc.ram'");
        assertThat(done.result()).isEmpty();
        assertThat(reopened().get(started.id()).error())
                .isEqualTo("QEMU failed to start: cannot set up guest memory 'pc.ram'");
    }

    @Test
    void aFailureWithoutAMessageStillSaysWhatWentWrong() {
        var started = start("launch", "vm1", progress -> {
            throw new NullPointerException();
        });

        var done = operations.waitFor(started.id(), LONG);
        assertThat(done.status()).isEqualTo(OperationStatus.FAILURE);
        assertThat(done.error()).isEqualTo("NullPointerException");
    }

    @Test
    void progressIsVisibleWhileTheOperationRuns() {
        var started = start("launch", "vm1", progress -> {
            progress.update("making the disk and starting QEMU on local");
            release.await();
            return Map.of();
        });

        eventually().untilAsserted(() -> assertThat(operations.get(started.id()).progress())
                .isEqualTo("making the disk and starting QEMU on local"));
        assertThat(operations.get(started.id()).status()).isEqualTo(OperationStatus.RUNNING);
    }

    @Test
    void waitForReturnsAsSoonAsTheWorkEnds() throws Exception {
        var started = start("build", "image/tiny", blockUntilReleased(Map.of("done", true)));
        var waiter = CompletableFuture.supplyAsync(() -> operations.waitFor(started.id(), Duration.ofSeconds(60)));

        release.countDown();
        long t0 = System.nanoTime();
        var done = waiter.get(5, TimeUnit.SECONDS);

        assertThat(done.status()).isEqualTo(OperationStatus.SUCCESS);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void waitForGivesUpAfterTheTimeoutAndReturnsTheRunningOperation() {
        var started = start("build", "image/tiny", blockUntilReleased(Map.of()));

        long t0 = System.nanoTime();
        var still = operations.waitFor(started.id(), Duration.ofMillis(200));

        assertThat(still.status()).isEqualTo(OperationStatus.RUNNING);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(190));
    }

    @Test
    void waitForAnEndedOperationAnswersAtOnce() {
        var started = start("build", "image/tiny", progress -> Map.of());
        operations.waitFor(started.id(), LONG);

        long t0 = System.nanoTime();
        assertThat(operations.waitFor(started.id(), LONG).status()).isEqualTo(OperationStatus.SUCCESS);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void aSecondOperationOnTheSameTargetIsAConflictNamingTheRunningOne() {
        var first = start("launch", "vm1", blockUntilReleased(Map.of()));

        assertThatThrownBy(() -> start("delete", "vm1", progress -> Map.of()))
                .isInstanceOfSatisfying(ApiError.Conflict.class, e -> {
                    assertThat(e.status()).isEqualTo(409);
                    assertThat(e.details()).containsEntry("operation", first.id());
                })
                .hasMessageContaining("'vm1'").hasMessageContaining(first.id());
        assertThat(operations.busy("vm1")).contains(first.id());
        // the refused one left no row behind
        assertThat(operations.list(100)).extracting(Operation::id).containsExactly(first.id());

        // another target is not blocked
        var other = start("launch", "vm2", progress -> Map.of());
        assertThat(operations.waitFor(other.id(), LONG).status()).isEqualTo(OperationStatus.SUCCESS);
    }

    @Test
    void theTargetIsFreeAgainOnceTheOperationEndsEvenByFailing() {
        var failed = start("launch", "vm1", progress -> {
            throw new IllegalStateException("no");
        });
        operations.waitFor(failed.id(), LONG);
        eventually().until(() -> operations.busy("vm1").isEmpty());

        var next = start("launch", "vm1", progress -> Map.of());
        assertThat(operations.waitFor(next.id(), LONG).status()).isEqualTo(OperationStatus.SUCCESS);
    }

    @Test
    void aStartThatCouldNotBeRecordedDoesNotLeaveTheTargetBusy() {
        jdbi.useHandle(h -> h.execute("ALTER TABLE operations RENAME TO operations_away"));
        assertThatThrownBy(() -> start("launch", "vm1", progress -> Map.of()))
                .isNotInstanceOf(ApiError.class);
        jdbi.useHandle(h -> h.execute("ALTER TABLE operations_away RENAME TO operations"));

        assertThat(operations.busy("vm1")).isEmpty();
        var next = start("launch", "vm1", progress -> Map.of());
        assertThat(operations.waitFor(next.id(), LONG).status()).isEqualTo(OperationStatus.SUCCESS);
    }

    @Test
    void operationsLeftRunningByADeadServerAreMarkedFailedAtTheNextStart() {
        var finished = start("launch", "vm0", progress -> Map.of("ok", true));
        operations.waitFor(finished.id(), LONG);
        // the row a server wrote just before it died
        jdbi.useHandle(h -> h.execute("INSERT INTO operations (id, kind, target, status, progress, created_at, "
                + "updated_at) VALUES ('dead-1', 'launch', 'vm1', 'RUNNING', 'starting QEMU', 1000, 1000)"));

        var next = reopened();
        assertThat(next.failInterrupted()).isEqualTo(1);

        var dead = next.get("dead-1");
        assertThat(dead.status()).isEqualTo(OperationStatus.FAILURE);
        assertThat(dead.error()).contains("interrupted").contains("server stopped");
        assertThat(dead.updatedAt().toEpochMilli()).isGreaterThan(1000);
        // waiting on it does not hang: nothing in this process runs it
        assertThat(next.waitFor("dead-1", LONG).status()).isEqualTo(OperationStatus.FAILURE);
        // what had ended stays as it was
        assertThat(next.get(finished.id()).status()).isEqualTo(OperationStatus.SUCCESS);
        assertThat(next.failInterrupted()).isZero();
        // and the target is not held by the dead operation
        assertThat(next.busy("vm1")).isEmpty();
    }

    @Test
    void theEndOfAnOperationIsPublishedAsAnEvent() {
        var ok = start("launch", "vm1", progress -> Map.of());
        var bad = start("launch", "vm2", progress -> {
            throw new IllegalStateException("host 'local' is offline");
        });
        operations.waitFor(ok.id(), LONG);
        operations.waitFor(bad.id(), LONG);

        eventually().untilAsserted(() -> {
            assertThat(published).anySatisfy(e -> {
                assertThat(e.type()).isEqualTo("operation-success");
                assertThat(e.target()).isEqualTo("vm1");
                assertThat(e.details()).containsEntry("operation", ok.id()).containsEntry("kind", "launch");
            });
            assertThat(published).anySatisfy(e -> {
                assertThat(e.type()).isEqualTo("operation-failure");
                assertThat(e.target()).isEqualTo("vm2");
                assertThat(e.message()).contains("host 'local' is offline");
                assertThat(e.details()).containsEntry("operation", bad.id());
            });
        });
        // and stored, for those who were not listening
        assertThat(events.after(0, 100)).extracting(Event::type)
                .contains("operation-success", "operation-failure");
    }

    @Test
    void listShowsTheNewestFirstUpToTheLimit() {
        var ids = new ArrayList<String>();
        for (int i = 0; i < 3; i++) {
            var op = start("launch", "vm" + i, progress -> Map.of());
            operations.waitFor(op.id(), LONG);
            ids.add(op.id());
            // created_at has millisecond resolution; keep the order unambiguous
            long t = System.currentTimeMillis();
            eventually().until(() -> System.currentTimeMillis() > t);
        }

        assertThat(operations.list(2)).extracting(Operation::id).containsExactly(ids.get(2), ids.get(1));
    }

    @Test
    void anUnknownOperationIsNotFoundByItsId() {
        assertThatThrownBy(() -> operations.get("no-such-id"))
                .isInstanceOfSatisfying(ApiError.NotFound.class, e -> assertThat(e.status()).isEqualTo(404))
                .hasMessage("operation 'no-such-id' not found");
        assertThatThrownBy(() -> operations.waitFor("no-such-id", LONG)).isInstanceOf(ApiError.NotFound.class);
    }

    @Test
    void anOperationsEndIsRecordedEvenWhenTheStoreStaysBusyLongerThanItsTimeout() throws Exception {
        var go = new CountDownLatch(1);
        var op = start("launch", "vm", p -> {
            go.await();
            return Map.of("host", "h1");
        });
        // another writer holds the operation's row (PostgreSQL) / the write lock (SQLite) past SQLite's 10 s busy
        // timeout; the end of the operation must still be recorded once it lets go, not leave it running for ever
        var other = store.jdbi();
        var locked = new CountDownLatch(1);
        var holder = Thread.ofVirtual().start(() -> other.useTransaction(h -> {
            h.createUpdate("UPDATE operations SET updated_at = updated_at WHERE id = :id").bind("id", op.id())
                    .execute();
            locked.countDown();
            try {
                Thread.sleep(11_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        assertThat(locked.await(5, TimeUnit.SECONDS)).isTrue();
        go.countDown();
        holder.join();
        var done = operations.waitFor(op.id(), Duration.ofSeconds(5));
        assertThat(done.status()).isEqualTo(OperationStatus.SUCCESS);
        assertThat(done.result()).containsEntry("host", "h1");
    }
}
