package dev.virga.server.instance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.virga.api.Event;
import dev.virga.api.GuestDetails;
import dev.virga.api.InstanceState;
import dev.virga.api.Sizes;
import dev.virga.api.agent.VmPower;
import dev.virga.api.agent.VmStatus;
import dev.virga.server.db.Database;
import dev.virga.server.event.EventBus;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The reconcile loop reads an instance again and applies the host's word only when {@link Reconciler#inStep} says
 * the row is not in step: for every state and every kind of report, in step must mean that applying changes nothing,
 * and out of step that it changes something (so no pass does work for nothing, and none skips work).
 */
class ReconcilerInStepTest {
    private static final GuestDetails READY = new GuestDetails(true, "7.2", "Debian GNU/Linux", "6.1.0", "vm1");
    private static final GuestDetails OTHER = new GuestDetails(true, "7.2", "Debian GNU/Linux", "6.1.0", "renamed");
    private static final GuestDetails NOT_READY = GuestDetails.unknown();

    @TempDir
    static Path dir;
    private static final AtomicInteger CASE = new AtomicInteger();
    private static InstanceStore store;
    private static EventBus events;

    @BeforeAll
    static void openStore() {
        var jdbi = Database.sqlite(dir.resolve("db/virga.sqlite")).jdbi();
        store = new InstanceStore(jdbi);
        events = new EventBus(jdbi);
    }

    static Stream<Arguments> cases() {
        var reports = new ArrayList<Optional<VmStatus>>();
        reports.add(Optional.empty());
        for (var guest : List.of(READY, OTHER, NOT_READY)) {
            reports.add(Optional.of(status(VmPower.RUNNING, "", guest)));
            reports.add(Optional.of(status(VmPower.PAUSED, "", guest)));
        }
        for (var reason : List.of("stopped by request", "the guest powered off", "QEMU was killed by signal 9")) {
            reports.add(Optional.of(status(VmPower.STOPPED, reason, NOT_READY)));
        }
        return Stream.of(InstanceState.values()).flatMap(state -> reports.stream().map(r -> Arguments.of(state, r)));
    }

    private static VmStatus status(VmPower power, String reason, GuestDetails guest) {
        return new VmStatus("vm1", power, power == VmPower.STOPPED ? 0 : 4242, reason, "tcg", 100, 900, 0, guest);
    }

    @ParameterizedTest(name = "{0} with {1}")
    @MethodSource("cases")
    void inStepMeansApplyingChangesNothing(InstanceState state, Optional<VmStatus> report) {
        var name = "vm" + CASE.incrementAndGet();
        List<Event> published = new CopyOnWriteArrayList<>();
        var unsubscribe = events.subscribe(published::add);
        store.insert(new LaunchSpec(name, "tiny", 1, 256 * Sizes.MIB, 0), "f".repeat(64), Sizes.GIB);
        store.host(name, "local");
        store.state(name, state, "");
        store.guest(name, READY);
        var before = store.get(name);

        boolean inStep = Reconciler.inStep(before, report);
        Reconciler.apply(store, events, before, report);

        unsubscribe.run();
        var after = store.find(name);
        boolean changed = after.isEmpty() || !published.isEmpty() || after.get().state() != before.state()
                || !after.get().reason().equals(before.reason()) || !after.get().guest().equals(before.guest());
        assertThat(changed).as("in step: %s, after: %s, events: %s", inStep, after, published).isEqualTo(!inStep);
    }
}
