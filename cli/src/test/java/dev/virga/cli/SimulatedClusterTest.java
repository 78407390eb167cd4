package dev.virga.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.virga.agent.sim.SimulatedHosts;
import dev.virga.api.Instance;
import dev.virga.api.InstanceState;
import dev.virga.api.JoinRequest;
import dev.virga.api.LaunchRequest;
import dev.virga.api.Operation;
import dev.virga.api.OperationStatus;
import dev.virga.api.Sizes;
import dev.virga.client.ApiException;
import dev.virga.client.VirgaClient;
import dev.virga.server.ServerConfig;
import dev.virga.server.VirgaServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real server (SQLite, HTTP) with 50 simulated hosts that joined with a token each: launches through the public
 * API are placed, made on the hosts and spread; a host that stops answering goes offline and gets nothing more.
 */
class SimulatedClusterTest {
    private static final int HOSTS = 50;

    @TempDir
    Path dir;
    private VirgaServer server;
    private SimulatedHosts sim;
    private VirgaClient client;

    @BeforeEach
    void start() {
        server = VirgaServer.start(new ServerConfig(dir, "", "127.0.0.1", 0, Duration.ofMillis(200)));
        server.startReconciling();
        client = new VirgaClient(server.url());
        sim = SimulatedHosts.start(new SimulatedHosts.Config("sim", HOSTS, 4, 8 * Sizes.GIB, "127.0.0.1", 0));
        SimulatedJoin.join(client, sim.members(), SimulatedJoin.issueTokens(client, HOSTS));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (sim != null) {
            sim.close();
        }
    }

    @Test
    void everyHostJoinedWithItsOwnTokenAndShowsItIsSimulated() {
        var hosts = client.hosts();
        assertThat(hosts).hasSize(HOSTS).allSatisfy(h -> {
            assertThat(h.state()).isEqualTo("online");
            assertThat(h.accelerator()).isEqualTo("simulated");
            assertThat(h.acceleratorReason()).contains("test and planning tool");
            assertThat(h.url()).contains("/sim/" + h.name());
            assertThat(h.cpus()).isEqualTo(4);
        });
        var token = client.addJoinToken(Duration.ofMinutes(5)).token();
        var first = sim.members().getFirst();
        // a token buys one join: the second agent presenting it is refused
        client.join(new JoinRequest("extra-1", token, "", first.url().toString(), first.agentToken()));
        assertThatThrownBy(() -> client.join(new JoinRequest("extra-2", token, "", first.url().toString(),
                first.agentToken())))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(403));
    }

    @Test
    void launchesArePlacedOnEveryHostEvenly() throws Exception {
        var built = client.await(client.buildImage("tiny"), o -> { });
        assertThat(built.status()).as(built.error()).isEqualTo(OperationStatus.SUCCESS);
        assertThat((List<?>) built.result().get("hosts")).hasSize(HOSTS);

        var ops = launch(200, "1G");
        assertThat(ops).allSatisfy(op -> assertThat(op.status()).as(op.error()).isEqualTo(OperationStatus.SUCCESS));
        // 50 equal hosts, spread by memory left: 4 each, and each host really holds what the store says it does
        Map<String, Long> perHost = client.instances().stream()
                .collect(Collectors.groupingBy(Instance::host, Collectors.counting()));
        assertThat(perHost).hasSize(HOSTS).allSatisfy((host, n) -> assertThat(n).isEqualTo(4));
        assertThat(sim.vmsByHost()).hasSize(HOSTS).allSatisfy((host, n) -> assertThat(n).isEqualTo(4));
        assertThat(client.instances()).extracting(Instance::state).containsOnly(InstanceState.RUNNING);
        // over 20 hosts a decision is summed up, not listed host by host
        assertThat(String.valueOf(ops.getFirst().result().get("placement"))).startsWith(HOSTS + " hosts, " + HOSTS
                + " fit (best: ");
        assertThat(ops.getFirst().result().get("placementMicros")).isInstanceOf(Number.class);
    }

    @Test
    void aHostThatStopsAnsweringGoesOfflineAndTakesNoMoreLaunches() throws Exception {
        client.await(client.buildImage("tiny"), o -> { });
        var gone = sim.members().get(7).name();
        sim.outage(gone, true);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() ->
                client.hosts().stream().anyMatch(h -> h.name().equals(gone) && h.state().equals("offline")));

        var ops = launch(HOSTS, "1G");
        assertThat(ops).allSatisfy(op -> assertThat(op.status()).as(op.error()).isEqualTo(OperationStatus.SUCCESS));
        Map<String, Long> perHost = client.instances().stream()
                .collect(Collectors.groupingBy(Instance::host, Collectors.counting()));
        assertThat(perHost).doesNotContainKey(gone).hasSize(HOSTS - 1);
        var preview = client.dryRun(new LaunchRequest("next", "tiny", 1, "1G", null));
        assertThat(preview.hosts()).filteredOn(v -> v.host().equals(gone))
                .singleElement().satisfies(v -> assertThat(v.reason()).isEqualTo("offline"));

        sim.outage(gone, false);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() ->
                client.hosts().stream().anyMatch(h -> h.name().equals(gone) && h.state().equals("online")));
        var back = client.await(client.launch(new LaunchRequest("after", "tiny", 1, "1G", null)), o -> { });
        // the host that came back is the emptiest
        assertThat(back.result().get("host")).isEqualTo(gone);
    }

    /** Launches {@code count} VMs, 8 at a time, and waits for every launch to end. */
    private List<Operation> launch(int count, String memory) throws Exception {
        try (var threads = Executors.newFixedThreadPool(8)) {
            var futures = new ArrayList<Future<Operation>>();
            for (int i = 0; i < count; i++) {
                var name = "vm-" + i;
                Callable<Operation> launch = () -> client.await(client.launch(new LaunchRequest(name, "tiny", 1,
                        memory, null)), o -> { });
                futures.add(threads.submit(launch));
            }
            var ops = new ArrayList<Operation>();
            for (var f : futures) {
                ops.add(f.get());
            }
            return ops;
        }
    }
}
