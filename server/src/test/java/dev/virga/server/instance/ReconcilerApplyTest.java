package dev.virga.server.instance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.virga.api.Event;
import dev.virga.api.GuestDetails;
import dev.virga.api.InstanceState;
import dev.virga.api.Sizes;
import dev.virga.api.agent.VmPower;
import dev.virga.api.agent.VmStatus;
import dev.virga.server.db.TestStore;
import dev.virga.server.event.EventBus;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** How one instance is moved to what its host reports: the decisions of the reconcile loop, without the loop. */
class ReconcilerApplyTest {
    private static final GuestDetails READY = new GuestDetails(true, "7.2", "Debian GNU/Linux", "6.1.0", "vm1");

    @TempDir
    Path dir;
    private TestStore testStore;

    private InstanceStore store;
    private EventBus events;
    private final List<Event> published = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeStore() {
        testStore.close();
    }

    @BeforeEach
    void openStore() {
        testStore = TestStore.create(dir);
        var jdbi = testStore.jdbi();
        store = new InstanceStore(jdbi);
        events = new EventBus(jdbi);
        events.subscribe(published::add);
    }

    private InstanceRow instanceIn(InstanceState state) {
        store.insert(new LaunchSpec("vm1", "tiny", 1, 256 * Sizes.MIB, 0), "f".repeat(64), Sizes.GIB);
        store.host("vm1", "local");
        store.state("vm1", state, "");
        return store.get("vm1");
    }

    private static VmStatus host(VmPower power, String reason) {
        return new VmStatus("vm1", power, power == VmPower.STOPPED ? 0 : 4242, reason, "tcg", 100, 900, 0,
                power == VmPower.STOPPED ? GuestDetails.unknown() : READY);
    }

    private void apply(InstanceRow row, VmStatus status) {
        Reconciler.apply(store, events, row, Optional.of(status));
    }

    @ParameterizedTest
    @ValueSource(strings = {"QEMU was killed by signal 9", "QEMU exited on its own with exit code 1",
            "QEMU (pid 4242) died without being asked to stop"})
    void aRunningInstanceWhoseQemuDiedIsAnErrorWithTheHostsReason(String reason) {
        apply(instanceIn(InstanceState.RUNNING), host(VmPower.STOPPED, reason));

        var now = store.get("vm1");
        assertThat(now.state()).isEqualTo(InstanceState.ERROR);
        assertThat(now.reason()).isEqualTo(reason);
        assertThat(published).singleElement().satisfies(e -> {
            assertThat(e.type()).isEqualTo("instance-error");
            assertThat(e.target()).isEqualTo("vm1");
            assertThat(e.message()).contains(reason);
            assertThat(e.details()).containsEntry("reason", reason).containsEntry("host", "local");
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"the guest powered off", "stopped by request"})
    void aGuestThatPoweredOffIsStoppedNotAnError(String reason) {
        apply(instanceIn(InstanceState.RUNNING), host(VmPower.STOPPED, reason));

        assertThat(store.get("vm1").state()).isEqualTo(InstanceState.STOPPED);
        assertThat(store.get("vm1").reason()).isEqualTo(reason);
        assertThat(published).extracting(Event::type).containsExactly("instance-stopped");
    }

    @Test
    void aStoppedInstanceStaysStoppedWhateverTheOldReason() {
        apply(instanceIn(InstanceState.STOPPED), host(VmPower.STOPPED, "QEMU was killed by signal 9"));

        assertThat(store.get("vm1").state()).isEqualTo(InstanceState.STOPPED);
        assertThat(published).isEmpty();
    }

    @Test
    void anInstanceInErrorThatTheHostRunsAgainIsRunning() {
        apply(instanceIn(InstanceState.ERROR), host(VmPower.RUNNING, ""));

        var now = store.get("vm1");
        assertThat(now.state()).isEqualTo(InstanceState.RUNNING);
        assertThat(now.reason()).isEmpty();
        assertThat(now.guest()).isEqualTo(READY);
        assertThat(published).extracting(Event::type).containsExactly("instance-running");
    }

    @ParameterizedTest
    @CsvSource({
            "STARTING, RUNNING, '', RUNNING",
            "STOPPING, STOPPED, stopped by request, STOPPED",
            "STARTING, STOPPED, QEMU exited on its own with exit code 1, ERROR",
            "RUNNING, PAUSED, '', PAUSED",
            "PAUSED, RUNNING, '', RUNNING",
            "CREATING, RUNNING, '', RUNNING"})
    void transitionalStatesLeftByACrashedServerSettleOnWhatTheHostHas(InstanceState was, VmPower power,
                                                                      String reason, InstanceState becomes) {
        apply(instanceIn(was), host(power, reason));

        assertThat(store.get("vm1").state()).isEqualTo(becomes);
        assertThat(published).hasSize(1);
    }

    @Test
    void guestDetailsArriveOnceTheGuestAgentAnswers() {
        var row = instanceIn(InstanceState.RUNNING);
        assertThat(row.guest().agentReady()).isFalse();

        apply(row, host(VmPower.RUNNING, ""));

        assertThat(store.get("vm1").state()).isEqualTo(InstanceState.RUNNING);
        assertThat(store.get("vm1").guest()).isEqualTo(READY);
        assertThat(published).as("no state change, no event").isEmpty();
    }

    @Test
    void anInterruptedDeleteOfSomethingTheHostStillHasIsAnErrorToDeleteAgain() {
        apply(instanceIn(InstanceState.DELETING), host(VmPower.RUNNING, ""));

        assertThat(store.get("vm1").state()).isEqualTo(InstanceState.ERROR);
        assertThat(store.get("vm1").reason()).contains("delete interrupted");
    }

    @Test
    void anInterruptedDeleteOfSomethingTheHostNoLongerHasFinishes() {
        Reconciler.apply(store, events, instanceIn(InstanceState.DELETING), Optional.empty());

        assertThat(store.find("vm1")).isEmpty();
        assertThat(published).extracting(Event::type).containsExactly("instance-deleted");
    }

    @ParameterizedTest
    @EnumSource(value = InstanceState.class, names = {"PENDING", "CREATING"})
    void aLaunchTheHostHasNothingOfIsAnError(InstanceState was) {
        Reconciler.apply(store, events, instanceIn(was), Optional.empty());

        assertThat(store.get("vm1").state()).isEqualTo(InstanceState.ERROR);
        assertThat(store.get("vm1").reason()).isEqualTo("launch interrupted; the host has nothing of it");
        assertThat(published).extracting(Event::type).containsExactly("instance-error");
    }

    @ParameterizedTest
    @EnumSource(value = InstanceState.class, names = {"RUNNING", "PAUSED", "STOPPED", "STARTING", "STOPPING"})
    void anInstanceWhoseHostLostItIsAnError(InstanceState was) {
        Reconciler.apply(store, events, instanceIn(was), Optional.empty());

        assertThat(store.get("vm1").state()).isEqualTo(InstanceState.ERROR);
        assertThat(store.get("vm1").reason()).isEqualTo("the host has no disk or process of this instance");
    }

    @Test
    void anErrorIsNotRepeatedOnEveryPass() {
        var row = instanceIn(InstanceState.ERROR);
        Reconciler.apply(store, events, row, Optional.empty());
        Reconciler.apply(store, events, store.get("vm1"),
                Optional.of(host(VmPower.STOPPED, "QEMU was killed by signal 9")));

        assertThat(store.get("vm1").state()).isEqualTo(InstanceState.ERROR);
        assertThat(published).isEmpty();
    }
}
