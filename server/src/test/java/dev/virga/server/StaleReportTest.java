package dev.virga.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.virga.api.Event;
import dev.virga.api.InstanceState;
import dev.virga.api.LaunchRequest;
import dev.virga.api.OperationStatus;
import dev.virga.api.StateChange;
import dev.virga.api.agent.VmPower;
import dev.virga.client.VirgaClient;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A host report is a picture of the past: the reconcile loop asks for it, and an operation may end before the
 * answer is applied. Such a report must not undo what the operation just did.
 */
@Timeout(30)
class StaleReportTest {
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
        return await().atMost(d).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10));
    }

    /** Lets the held report go and waits until the reconcile loop has applied it (it asks for the next one). */
    private void applyHeldReport() {
        int asked = plane.agent.reportsAsked();
        plane.agent.releaseReports();
        within(Duration.ofSeconds(5)).until(() -> plane.agent.reportsAsked() > asked);
    }

    @Test
    void aReportTakenWhileALaunchRanDoesNotMakeTheNewInstanceAnError() throws Exception {
        plane.agent.holdCreates();
        var launch = client.launch(new LaunchRequest("vm1", "tiny", null, null, null));
        within(Duration.ofSeconds(5)).until(() -> plane.agent.createsWaiting() == 1);
        var held = plane.agent.holdNextReport();
        assertThat(held.get(5, TimeUnit.SECONDS).instances()).as("the report is taken before the VM exists")
                .isEmpty();

        plane.agent.releaseCreates();
        assertThat(plane.ended(launch).status()).isEqualTo(OperationStatus.SUCCESS);
        applyHeldReport();

        assertThat(client.events(0)).filteredOn(e -> e.target().equals("vm1")).extracting(Event::type)
                .doesNotContain("instance-error");
    }

    @Test
    void aReportTakenBeforeAStopDoesNotMakeTheStoppedInstanceRunningAgain() throws Exception {
        plane.launched("vm1");
        var held = plane.agent.holdNextReport();
        assertThat(held.get(5, TimeUnit.SECONDS).instances()).singleElement()
                .satisfies(vm -> assertThat(vm.power()).isEqualTo(VmPower.RUNNING));

        var stop = plane.ended(client.changeState("vm1", new StateChange("stop", true, 0)));
        assertThat(stop.status()).isEqualTo(OperationStatus.SUCCESS);
        long stoppedAt = plane.event("instance-stopped", "vm1").id();
        applyHeldReport();

        assertThat(client.instance("vm1").state()).isEqualTo(InstanceState.STOPPED);
        assertThat(client.events(stoppedAt)).extracting(Event::type).doesNotContain("instance-running");
    }

    @Test
    void aReportHeldWhileTheLaunchStillRunsChangesNothing() throws Exception {
        plane.agent.holdCreates();
        var launch = client.launch(new LaunchRequest("vm1", "tiny", null, null, null));
        within(Duration.ofSeconds(5)).until(() -> plane.agent.createsWaiting() == 1);
        plane.agent.holdNextReport().get(5, TimeUnit.SECONDS);

        applyHeldReport();
        assertThat(client.instance("vm1").state()).as("the launch is still working on it")
                .isEqualTo(InstanceState.CREATING);

        plane.agent.releaseCreates();
        assertThat(plane.ended(launch).status()).isEqualTo(OperationStatus.SUCCESS);
        assertThat(client.instance("vm1").state()).isEqualTo(InstanceState.RUNNING);
    }
}
