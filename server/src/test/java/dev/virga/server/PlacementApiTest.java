package dev.virga.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.virga.api.GroupRequest;
import dev.virga.api.InstanceState;
import dev.virga.api.LaunchRequest;
import dev.virga.api.Operation;
import dev.virga.api.OperationStatus;
import dev.virga.client.ApiException;
import dev.virga.client.VirgaClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Placement through the real server and store, on one fake host of 4 CPUs and 8 GiB. */
@Timeout(30)
class PlacementApiTest {
    private ControlPlane plane;
    private VirgaClient client;

    @BeforeEach
    void start() throws Exception {
        plane = ControlPlane.start();
        client = plane.client();
    }

    @AfterEach
    void stop() {
        plane.close();
    }

    private static LaunchRequest launch(String name, String memory, String group, boolean noQueue,
                                        String... constraints) {
        return new LaunchRequest(name, "tiny", 1, memory, null, "", false, List.of(constraints), group, noQueue);
    }

    @Test
    void aLaunchWithoutRoomWaitsPendingWithTheReasonAndGoesWhenRoomAppears() {
        assertThat(plane.ended(client.launch(launch("big", "6GiB", "", false))).status())
                .isEqualTo(OperationStatus.SUCCESS);
        var waiting = client.launch(launch("next", "4GiB", "", false));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            var next = client.instance("next");
            assertThat(next.state()).isEqualTo(InstanceState.PENDING);
            assertThat(next.reason()).isEqualTo("waiting for capacity: local: not enough memory: 6144 MiB of 8192 "
                    + "MiB allocated, 4096 MiB more asked");
        });
        assertThat(client.operation(waiting.id()).status()).isEqualTo(OperationStatus.RUNNING);

        plane.ended(client.delete("big", true));

        var done = plane.ended(waiting);
        assertThat(done.status()).as(done.error()).isEqualTo(OperationStatus.SUCCESS);
        assertThat(done.result()).containsKey("queuedMillis").containsEntry("host", "local");
        assertThat(client.instance("next").state()).isEqualTo(InstanceState.RUNNING);
    }

    @Test
    void deletingAPendingInstanceCancelsItsLaunchAndLeavesNothing() {
        plane.ended(client.launch(launch("big", "6GiB", "", false)));
        var waiting = client.launch(launch("next", "4GiB", "", false));
        await().atMost(Duration.ofSeconds(5)).until(() -> client.instance("next").state() == InstanceState.PENDING);

        client.delete("next", false);

        assertThat(plane.ended(waiting).status()).isEqualTo(OperationStatus.CANCELLED);
        assertThat(client.instances()).extracting(i -> i.name()).containsExactly("big");
        assertThat(plane.agent.created).extracting(s -> s.name()).containsExactly("big");
    }

    @Test
    void twoLaunchesRacingForTheLastRoomNeverBothGetIt() throws Exception {
        try (var pool = Executors.newFixedThreadPool(4)) {
            var tasks = List.<Callable<Operation>>of(
                    () -> plane.ended(client.launch(launch("r1", "5GiB", "", true))),
                    () -> plane.ended(client.launch(launch("r2", "5GiB", "", true))),
                    () -> plane.ended(client.launch(launch("r3", "5GiB", "", true))));
            var results = pool.invokeAll(tasks).stream().map(f -> {
                try {
                    return f.get();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }).toList();
            assertThat(results).filteredOn(o -> o.status() == OperationStatus.SUCCESS).hasSize(1);
            assertThat(results).filteredOn(o -> o.status() == OperationStatus.FAILURE).hasSize(2)
                    .allSatisfy(o -> assertThat(o.error()).contains("not enough memory: 5120 MiB of 8192 MiB"));
        }
        assertThat(plane.agent.created).hasSize(1);
    }

    @Test
    void antiAffinityKeepsMembersApartAndSaysWhy() {
        client.createGroup(new GroupRequest("web", "anti-affinity"));
        assertThat(plane.ended(client.launch(launch("web-1", "256MiB", "web", false))).status())
                .isEqualTo(OperationStatus.SUCCESS);
        var second = plane.ended(client.launch(launch("web-2", "256MiB", "web", true)));
        assertThat(second.error()).isEqualTo("no host can take 'web-2' now (--no-queue): local: anti-affinity group "
                + "web: already holds web-1");
        assertThat(client.group("web").members()).containsExactly("web-1");
        assertThatThrownBy(() -> client.deleteGroup("web")).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.code()).isEqualTo(409));
        plane.ended(client.delete("web-1", true));
        client.deleteGroup("web");
        assertThat(client.groups()).isEmpty();
    }

    @Test
    void groupsAndConstraintsRefuseBadInputByField() {
        assertThatThrownBy(() -> client.createGroup(new GroupRequest("web", "apart")))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo(400);
                    assertThat(e.getMessage()).contains("policy").contains("'apart' is not affinity or anti-affinity");
                });
        assertThatThrownBy(() -> client.launch(launch("x", "256MiB", "nogroup", false)))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(404));
        assertThatThrownBy(() -> client.launch(launch("x", "256MiB", "", false, "rack")))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo(400);
                    assertThat(e.getMessage()).contains("constraints");
                });
        assertThat(client.instances()).isEmpty();
        var preview = client.dryRun(launch("x", "256MiB", "", false, "rack=r2"));
        assertThat(preview.host()).isEmpty();
        assertThat(preview.hosts().getFirst().reason()).isEqualTo("constraint rack=r2 not met (rack=r1)");
        assertThat(client.dryRun(launch("x", "256MiB", "", false, "rack=r1")).host()).isEqualTo("local");
    }

    @Test
    void settingsChangeTheWeigherAndRatiosAndRefuseBadValues() {
        assertThatThrownBy(() -> client.setConfig(Map.of("scheduler.weigher", "random")))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo(400);
                    assertThat(e.getMessage()).contains("scheduler.weigher").contains("must be spread or pack");
                });
        assertThatThrownBy(() -> client.setConfig(Map.of("scheduler.memory_ratio", "-1")))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getMessage())
                        .contains("scheduler.memory_ratio"));
        assertThat(client.config()).containsEntry("scheduler.weigher", "spread")
                .containsEntry("scheduler.memory_ratio", "1");
        assertThat(client.dryRun(launch("x", "12GiB", "", false)).host()).isEmpty();

        assertThat(client.setConfig(Map.of("scheduler.memory_ratio", "2", "scheduler.weigher", "pack")))
                .containsEntry("scheduler.memory_ratio", "2").containsEntry("scheduler.weigher", "pack");

        assertThat(client.dryRun(launch("x", "12GiB", "", false)).host()).isEqualTo("local");
        assertThat(client.host("local").memoryRatio()).isEqualTo(2.0);
    }

    @Test
    void aStandbyHostIsWokenWhenNothingElseFits() {
        assertThatThrownBy(() -> client.hostAction("nohost", "standby"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(404));
        var asleep = client.hostAction("local", "standby");
        assertThat(asleep.mode()).isEqualTo("standby");
        assertThat(plane.agent.standby).isTrue();

        var done = plane.ended(client.launch(launch("vm1", "256MiB", "", true)));

        assertThat(done.status()).as(done.error()).isEqualTo(OperationStatus.SUCCESS);
        assertThat(client.host("local").mode()).isEqualTo("active");
        assertThat(plane.agent.standby).isFalse();
        assertThat(client.events(0)).anySatisfy(e -> {
            assertThat(e.type()).isEqualTo("host-woken");
            assertThat(e.message()).isEqualTo("woken from standby to take vm1");
        });
        assertThatThrownBy(() -> client.hostAction("local", "standby"))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo(409);
                    assertThat(e.getMessage()).contains("still has instances: vm1");
                });
    }

    @Test
    void hostInfoShowsAllocationAndRemoveRefusesWhileInstancesRemain() {
        plane.launched("vm1");
        var host = client.host("local");
        assertThat(host.instances()).containsExactly("vm1");
        assertThat(host.allocatedCpus()).isEqualTo(1);
        assertThat(host.allocatedMemoryBytes()).isEqualTo(256L << 20);
        assertThat(host.labels()).containsEntry("rack", "r1");
        assertThat(host.memoryAvailableBytes()).isEqualTo(6L << 30);
        assertThat(host.cpuRatio()).isEqualTo(4.0);
        assertThatThrownBy(() -> client.removeHost("local", false))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo(409);
                    assertThat(e.getMessage()).contains("still has instances: vm1");
                });
        assertThat(client.hostAction("local", "maintenance").mode()).isEqualTo("maintenance");
        assertThat(client.dryRun(launch("x", "256MiB", "", false)).hosts().getFirst().reason())
                .isEqualTo("in maintenance");
        assertThat(client.hostAction("local", "activate").mode()).isEqualTo("active");
        plane.ended(client.delete("vm1", true));
        client.removeHost("local", false);
        assertThat(client.hosts()).isEmpty();
    }
}
