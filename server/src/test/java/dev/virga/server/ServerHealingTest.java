package dev.virga.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.virga.api.Event;
import dev.virga.api.InstanceState;
import dev.virga.api.LaunchRequest;
import dev.virga.api.OperationStatus;
import dev.virga.api.StateChange;
import dev.virga.client.ApiException;
import dev.virga.client.VirgaClient;
import java.time.Duration;
import java.util.List;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What the control plane does when a VM, a host or the server itself fails: nothing stays stuck or lies. */
@Timeout(30)
class ServerHealingTest {
    private ControlPlane plane;
    private VirgaClient client;

    @BeforeEach
    void startServer() throws Exception {
        plane = ControlPlane.start();
        client = plane.client();
    }

    @AfterEach
    void stopServer() {
        if (plane != null) {
            plane.close();
        }
    }

    private static ConditionFactory within(Duration d) {
        return await().atMost(d).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20));
    }

    /** Writes an instance row as a server that died would have left it (only while the server is stopped). */
    private void insertInstance(String name, String host, String state) {
        long now = System.currentTimeMillis();
        plane.store().useHandle(h -> h.createUpdate("INSERT INTO instances (name, image, image_fingerprint, host, "
                        + "state, cpus, memory_bytes, disk_bytes, created_at, updated_at) VALUES (:name, 'tiny', :fp, "
                        + ":host, :state, 1, 268435456, :disk, :now, :now)")
                .bind("fp", FakeAgent.TINY.fingerprint()).bind("disk", FakeAgent.IMAGE_SIZE).bind("now", now)
                .bind("name", name).bind("host", host).bind("state", state).execute());
    }

    @Test
    void aQemuKilledBySignalMakesTheInstanceAnErrorWithinASecondAndItCanBeStartedAgain() {
        plane.launched("vm1");
        long before = client.events(0).getLast().id();

        plane.agent.vmStopped("vm1", "QEMU was killed by signal 9");

        within(Duration.ofSeconds(1)).untilAsserted(() -> {
            var vm = client.instance("vm1");
            assertThat(vm.state()).isEqualTo(InstanceState.ERROR);
            assertThat(vm.reason()).isEqualTo("QEMU was killed by signal 9");
        });
        assertThat(plane.event("instance-error", "vm1", before).message()).contains("QEMU was killed by signal 9");

        var started = plane.ended(client.changeState("vm1", new StateChange("start", false, 0)));
        assertThat(started.status()).as(started.error()).isEqualTo(OperationStatus.SUCCESS);
        plane.settle();
        assertThat(client.instance("vm1").state()).isEqualTo(InstanceState.RUNNING);
        assertThat(client.instance("vm1").reason()).isEmpty();
    }

    @Test
    void aGuestThatPowersOffIsStoppedNotAnError() {
        plane.launched("vm1");
        long before = client.events(0).getLast().id();

        plane.agent.vmStopped("vm1", "the guest powered off");

        within(Duration.ofSeconds(2)).untilAsserted(() ->
                assertThat(client.instance("vm1").state()).isEqualTo(InstanceState.STOPPED));
        assertThat(client.instance("vm1").reason()).isEqualTo("the guest powered off");
        assertThat(plane.event("instance-stopped", "vm1", before).message()).contains("the guest powered off");
        assertThat(client.events(before)).extracting(Event::type).doesNotContain("instance-error");
    }

    @Test
    void anInstanceTheHostNoLongerHasIsAnError() {
        plane.launched("vm1");

        plane.agent.forget("vm1");

        within(Duration.ofSeconds(2)).untilAsserted(() -> {
            var vm = client.instance("vm1");
            assertThat(vm.state()).isEqualTo(InstanceState.ERROR);
            assertThat(vm.reason()).isEqualTo("the host has no disk or process of this instance");
        });
        // and it can be cleaned up without force
        var deleted = plane.ended(client.delete("vm1", false));
        assertThat(deleted.status()).as(deleted.error()).isEqualTo(OperationStatus.SUCCESS);
        assertThat(client.instances()).isEmpty();
    }

    @Test
    void aCreateTheAgentRefusesFailsTheLaunchWithQemusWordsAndLeavesNoInstance() {
        plane.agent.failCreates(500, "QEMU failed to start: cannot set up guest memory 'pc.ram': "
                + "Cannot allocate memory");

        var launch = plane.ended(client.launch(new LaunchRequest("vm1", "tiny", null, "2G", null)));

        assertThat(launch.status()).isEqualTo(OperationStatus.FAILURE);
        assertThat(launch.error()).contains("QEMU failed to start: cannot set up guest memory");
        assertThat(client.instances()).isEmpty();
        assertThat(client.image("tiny").usedBy()).isZero();
        assertThatThrownBy(() -> client.instance("vm1"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(404));
        assertThat(plane.event("instance-launch-failed", "vm1").message())
                .contains("QEMU failed to start: cannot set up guest memory");
        assertThat(plane.event("operation-failure", "vm1").details()).containsEntry("operation", launch.id());
        // the name is free again once the host can make the VM
        plane.agent.clearFailure();
        assertThat(plane.launched("vm1").state()).isEqualTo(InstanceState.RUNNING);
    }

    @Test
    void aRestartHealsALaunchThatWasCutOffAndKeepsWhatTheHostStillRuns() {
        plane.launched("keep");
        long lastEvent = plane.event("operation-success", "keep").id();
        plane.stop();
        // what a server that died in the middle of two launches left in its store; the host made nothing of them
        insertInstance("half", "local", "CREATING");
        insertInstance("early", "", "PENDING");
        long now = System.currentTimeMillis();
        plane.store().useHandle(h -> h.execute("INSERT INTO operations (id, kind, target, status, progress, "
                + "created_at, updated_at) VALUES ('launch-of-half', 'launch', 'half', 'RUNNING', "
                + "'making the disk and starting QEMU on local', " + now + ", " + now + ")"));

        plane.startAgain();
        client = plane.client();

        var interrupted = client.operation("launch-of-half");
        assertThat(interrupted.status()).isEqualTo(OperationStatus.FAILURE);
        assertThat(interrupted.error()).contains("interrupted");
        within(Duration.ofSeconds(2)).untilAsserted(() -> {
            var half = client.instance("half");
            assertThat(half.state()).isEqualTo(InstanceState.ERROR);
            assertThat(half.reason()).isEqualTo("launch interrupted; the host has nothing of it");
            var early = client.instance("early");
            assertThat(early.state()).isEqualTo(InstanceState.ERROR);
            assertThat(early.reason()).isEqualTo("launch interrupted before it reached a host");
        });
        assertThat(client.instance("keep").state()).isEqualTo(InstanceState.RUNNING);
        assertThat(plane.event("instance-error", "half").id()).isGreaterThan(lastEvent);
        assertThat(plane.event("instance-error", "early").id()).isGreaterThan(lastEvent);
        // the host is known without attaching it again, and both leftovers can be deleted
        assertThat(client.hosts()).singleElement().satisfies(h -> assertThat(h.state()).isEqualTo("online"));
        assertThat(plane.ended(client.delete("half", false)).status()).isEqualTo(OperationStatus.SUCCESS);
        assertThat(plane.ended(client.delete("early", false)).status()).isEqualTo(OperationStatus.SUCCESS);
        assertThat(client.instances()).extracting(i -> i.name()).containsExactly("keep");
    }

    @Test
    void startingAnInstanceThatNeverReachedAHostSaysWhyInsteadOfHostNotFound() {
        plane.stop();
        insertInstance("early", "", "PENDING");
        plane.startAgain();
        client = plane.client();
        within(Duration.ofSeconds(2)).untilAsserted(() ->
                assertThat(client.instance("early").state()).isEqualTo(InstanceState.ERROR));

        var response = plane.http("PUT", "/1.0/instances/early/state", "{\"action\": \"start\"}");

        var json = ControlPlane.errorShape(response, 409);
        assertThat(json.get("error").asText()).contains("'early'");
    }

    @Test
    void aRestartKeepsInstancesOperationsAndGoesOnNumberingEvents() {
        var op = client.launch(new LaunchRequest("vm1", "tiny", null, null, null));
        plane.ended(op);
        long lastEvent = plane.event("operation-success", "vm1").id();

        plane.restart();
        client = plane.client();

        assertThat(client.instance("vm1").state()).isEqualTo(InstanceState.RUNNING);
        assertThat(client.operation(op.id()).status()).isEqualTo(OperationStatus.SUCCESS);
        assertThat(client.images()).extracting(i -> i.name()).containsExactly("tiny");
        var stop = plane.ended(client.changeState("vm1", new StateChange("stop", true, 0)));
        assertThat(stop.status()).as(stop.error()).isEqualTo(OperationStatus.SUCCESS);
        assertThat(plane.event("instance-stopped", "vm1").id()).isGreaterThan(lastEvent);
        assertThat(client.events(0)).extracting(Event::id).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void aHostWhoseAgentRefusesTheTokenIsOffline() {
        plane.attachAgain("other", "wrong-token");

        assertThat(client.hosts()).extracting(h -> h.name() + " " + h.state())
                .containsExactly("local online", "other offline");
    }

    @Test
    void aHostWhoseAgentIsGoneIsOfflineItsVmsUnknownAndLaunchesWaitOrFailSayingSo() {
        plane.launched("vm1");

        plane.agent.close();

        within(Duration.ofSeconds(2)).untilAsserted(() ->
                assertThat(client.hosts().getFirst().state()).isEqualTo("offline"));
        within(Duration.ofSeconds(2)).untilAsserted(() -> {
            var vm1 = client.instance("vm1");
            assertThat(vm1.state()).isEqualTo(InstanceState.UNKNOWN);
            assertThat(vm1.reason()).isEqualTo("host local is offline; last known state: running");
        });
        var now = plane.ended(client.launch(new LaunchRequest("vm2", "tiny", null, null, null, "", false, List.of(),
                "", true)));
        assertThat(now.status()).isEqualTo(OperationStatus.FAILURE);
        assertThat(now.error()).isEqualTo("no host can take 'vm2' now (--no-queue): local: offline");

        var queued = client.launch(new LaunchRequest("vm3", "tiny", null, null, null));
        within(Duration.ofSeconds(3)).untilAsserted(() -> {
            var vm3 = client.instance("vm3");
            assertThat(vm3.state()).isEqualTo(InstanceState.PENDING);
            assertThat(vm3.reason()).isEqualTo("waiting for capacity: local: offline");
        });
        client.cancel(queued.id());
        assertThat(plane.ended(queued).status()).isEqualTo(OperationStatus.CANCELLED);
        assertThat(client.instances()).extracting(i -> i.name()).containsExactly("vm1");
    }
}
