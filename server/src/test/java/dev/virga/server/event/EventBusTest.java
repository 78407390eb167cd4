package dev.virga.server.event;

import static org.assertj.core.api.Assertions.assertThat;

import dev.virga.api.Event;
import dev.virga.server.db.TestStore;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventBusTest {
    @TempDir
    Path dir;
    private TestStore store;

    private Jdbi jdbi;
    private EventBus bus;

    @AfterEach
    void closeStore() {
        store.close();
    }

    @BeforeEach
    void openStore() {
        store = TestStore.create(dir);
        jdbi = openJdbi();
        bus = new EventBus(jdbi);
    }

    private Jdbi openJdbi() {
        return store.jdbi();
    }

    @Test
    void eventsAreStoredAndReadBackInOrderAfterAnId() {
        var a = bus.publish("instance-started", "vm1", "launched on local in 900 ms", Map.of("host", "local"));
        var b = bus.publish("instance-stopped", "vm1", "stopped by request");
        var c = bus.publish("instance-deleted", "vm1", "deleted");

        assertThat(b.id()).isGreaterThan(a.id());
        assertThat(c.id()).isGreaterThan(b.id());
        assertThat(bus.after(0, 100)).extracting(Event::type)
                .containsExactly("instance-started", "instance-stopped", "instance-deleted");
        assertThat(bus.after(a.id(), 100)).extracting(Event::id).containsExactly(b.id(), c.id());
        assertThat(bus.after(c.id(), 100)).isEmpty();
        assertThat(bus.after(0, 2)).extracting(Event::id).containsExactly(a.id(), b.id());

        var stored = bus.after(0, 1).getFirst();
        assertThat(stored.target()).isEqualTo("vm1");
        assertThat(stored.message()).isEqualTo("launched on local in 900 ms");
        assertThat(stored.details()).isEqualTo(Map.of("host", "local"));
        assertThat(stored.at().toEpochMilli()).isEqualTo(a.at().toEpochMilli());
    }

    @Test
    void idsKeepIncreasingAfterARestartSoNoListenerSeesAnIdTwice() {
        bus.publish("instance-started", "vm1", "one");
        var last = bus.publish("instance-started", "vm2", "two");

        var afterRestart = new EventBus(openJdbi());
        var next = afterRestart.publish("instance-error", "vm1", "the host has no disk or process of this instance");

        assertThat(next.id()).isGreaterThan(last.id());
        assertThat(afterRestart.after(last.id(), 100)).extracting(Event::message)
                .containsExactly("the host has no disk or process of this instance");
    }

    @Test
    void subscribersReceiveEveryEventUntilTheyUnsubscribe() {
        var seen = new CopyOnWriteArrayList<Event>();
        Runnable unsubscribe = bus.subscribe(seen::add);

        var first = bus.publish("image-built", "tiny", "image tiny is 0123456789ab");
        unsubscribe.run();
        bus.publish("image-deleted", "tiny", "image tiny deleted");

        assertThat(seen).containsExactly(first);
    }

    @Test
    void aFailingSubscriberIsDroppedWithoutHurtingPublishersOrOtherSubscribers() {
        var seen = new CopyOnWriteArrayList<Event>();
        var calls = new CopyOnWriteArrayList<Long>();
        bus.subscribe(e -> {
            calls.add(e.id());
            throw new IllegalStateException("client gone");
        });
        bus.subscribe(seen::add);

        var one = bus.publish("instance-started", "vm1", "one");
        var two = bus.publish("instance-started", "vm2", "two");

        assertThat(seen).containsExactly(one, two);
        assertThat(calls).containsExactly(one.id());
        assertThat(bus.after(0, 10)).hasSize(2);
    }

    @Test
    void onlyTheNewestTenThousandEventsAreKept() {
        // 10,999 old events written in one go (publishing them one by one would take seconds)
        jdbi.useTransaction(h -> {
            var batch = h.prepareBatch("INSERT INTO events (id, at, type, target, message) "
                    + "VALUES (:id, 0, 'old', 'vm', 'old')");
            for (long id = 1; id <= 10_999; id++) {
                batch.bind("id", id).add();
            }
            batch.execute();
        });
        var restarted = new EventBus(jdbi);

        var newest = restarted.publish("instance-started", "vm1", "new");

        assertThat(newest.id()).isEqualTo(11_000);
        List<Event> kept = restarted.after(0, 1);
        assertThat(kept.getFirst().id()).isEqualTo(11_000 - EventBus.KEEP + 1);
        int count = jdbi.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM events").mapTo(Integer.class).one());
        assertThat(count).isEqualTo(EventBus.KEEP);
    }
}
