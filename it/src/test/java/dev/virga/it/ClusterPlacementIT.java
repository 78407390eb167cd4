package dev.virga.it;

import dev.virga.api.GroupRequest;
import dev.virga.api.Instance;
import dev.virga.api.InstanceState;
import dev.virga.api.LaunchRequest;
import dev.virga.api.Operation;
import dev.virga.api.OperationStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three real agents and a server as separate processes, real QEMU guests: spread and pack, an anti-affinity group
 * that runs out of hosts, label constraints, a killed agent whose VMs go unknown and come back, and a host that
 * claims more memory than the machine has.
 */
class ClusterPlacementIT {
    @TempDir
    Path dir;

    @Test
    void threeHostsSpreadPackKeepApartQueueAndSurviveAnAgentKill() throws Exception {
        try (var cluster = Cluster.start(dir)) {
            var client = cluster.client;
            // each host offers 2 GiB and this machine's 2 CPUs (8 vCPUs at 4:1)
            cluster.join("h1", "--memory", "2G", "--labels", "rack=a");
            cluster.join("h2", "--memory", "2G", "--labels", "rack=b");
            cluster.join("h3", "--memory", "2G", "--labels", "rack=b,ssd=true");
            var build = cluster.cli("image", "build", "tiny");
            assertThat(build.exit()).as(build.toString()).isZero();
            var hosts = cluster.cli("host", "list");
            assertThat(hosts.out()).containsPattern("h1\\s+online\\s+active\\s+0/8\\s+0B/2GiB")
                    .contains("rack=b,ssd=true");

            // spread (the default): 9 launches, 3 per host
            launchAll(client, "s", 9);
            assertThat(perHost(client)).isEqualTo(Map.of("h1", 3L, "h2", 3L, "h3", 3L));
            deleteAll(client);

            // pack: the fullest host that still has room first; h1 holds 8 vCPUs (2 CPUs x 4), so the 9th goes on
            var set = cluster.cli("config", "set", "scheduler.weigher", "pack");
            assertThat(set.exit()).as(set.toString()).isZero();
            launchAll(client, "p", 9);
            assertThat(perHost(client)).isEqualTo(Map.of("h1", 8L, "h2", 1L));
            deleteAll(client);
            assertThat(cluster.cli("config", "unset", "scheduler.weigher").out()).contains("spread (default)");

            // constraints: only the host whose labels match
            var dry = cluster.cli("launch", "tiny", "fast", "--constraint", "rack=b", "--constraint", "ssd=true",
                    "--dry-run");
            assertThat(dry.out()).containsPattern("h1\\s+rejected: constraint rack=b not met \\(rack=a\\)")
                    .containsPattern("h2\\s+rejected: constraint ssd=true not met \\(ssd=\\)")
                    .contains("fast would go to h3");

            // anti-affinity: 3 members on 3 hosts, the 4th waits with every host's reason
            assertThat(cluster.cli("group", "create", "web", "--anti-affinity").exit()).isZero();
            var members = IntStream.rangeClosed(1, 3).mapToObj(i -> client.launch(request("web-" + i, "web")))
                    .toList();
            members.forEach(op -> ok(client, op));
            assertThat(client.instances()).extracting(Instance::host).containsExactlyInAnyOrder("h1", "h2", "h3");
            var fourth = client.launch(request("web-4", "web"));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                var w4 = client.instance("web-4");
                assertThat(w4.state()).isEqualTo(InstanceState.PENDING);
                assertThat(w4.reason()).startsWith("waiting for capacity: h1: anti-affinity group web: already holds")
                        .contains("h2: anti-affinity group web").contains("h3: anti-affinity group web");
            });
            var list = cluster.cli("list");
            assertThat(list.out()).containsPattern("web-4\\s+pending").contains("waiting for capacity");
            var noQueue = cluster.cli("launch", "tiny", "web-5", "--group", "web", "--no-queue");
            assertThat(noQueue.exit()).isEqualTo(1);
            assertThat(noQueue.err()).contains("no host can take 'web-5' now (--no-queue)");
            // room appears (a member goes): the pending one is placed on the freed host
            var freed = client.instance("web-2").host();
            ok(client, client.delete("web-2", true));
            var placed = client.await(fourth, o -> { });
            assertThat(placed.status()).as(placed.error()).isEqualTo(OperationStatus.SUCCESS);
            assertThat(client.instance("web-4").host()).isEqualTo(freed);

            // kill -9 an agent: offline within the window, its VMs unknown (not running); back: reconciled
            var victim = client.instance("web-1").host();
            cluster.kill(victim);
            long killed = System.nanoTime();
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> !cluster.online().contains(victim));
            long offlineMillis = (System.nanoTime() - killed) / 1_000_000;
            assertThat(offlineMillis).as("offline after %d ms", offlineMillis).isLessThan(10_000);
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                var w1 = client.instance("web-1");
                assertThat(w1.state()).isEqualTo(InstanceState.UNKNOWN);
                assertThat(w1.reason()).isEqualTo("host " + victim + " is offline; last known state: running");
            });
            cluster.restart(victim);
            await().atMost(Duration.ofSeconds(60)).until(() -> cluster.online().contains(victim));
            await().atMost(Duration.ofSeconds(10)).until(() -> client.instance("web-1").state()
                    == InstanceState.RUNNING);
            assertThat(cluster.cli("exec", "web-1", "--", "hostname").out()).isEqualTo("web-1\n");
            deleteAll(client);
        }
    }

    @Test
    void aHostClaimingMoreMemoryThanItHasCannotStartAVmBeyondTheMachine() throws Exception {
        try (var cluster = Cluster.start(dir)) {
            var client = cluster.client;
            cluster.join("liar", "--memory", "1T");
            assertThat(cluster.cli("image", "build", "tiny").exit()).isZero();
            assertThat(client.host("liar").memoryBytes()).isEqualTo(1L << 40);

            var launch = cluster.cli("launch", "tiny", "huge", "--memory", "512G");

            assertThat(launch.exit()).isEqualTo(1);
            assertThat(launch.err()).contains("not enough memory on this host for 'huge': 512GiB asked")
                    .contains("(the host reports 1TiB to the control plane, more than it has)");
            assertThat(client.instances()).isEmpty();
            assertThat(client.host("liar").instances()).isEmpty();
        }
    }

    private static LaunchRequest request(String name, String group) {
        return new LaunchRequest(name, "tiny", 1, "192M", "", "", false, List.of(), group, false);
    }

    private static void launchAll(dev.virga.client.VirgaClient client, String prefix, int n) {
        // three at a time: nine TCG guests booting at once on two cores only makes each slower
        for (int batch = 0; batch < n; batch += 3) {
            var ops = IntStream.range(batch, Math.min(n, batch + 3))
                    .mapToObj(i -> client.launch(request(prefix + i, ""))).toList();
            ops.forEach(op -> ok(client, op));
        }
    }

    private static void deleteAll(dev.virga.client.VirgaClient client) {
        var ops = client.instances().stream().map(i -> client.delete(i.name(), true)).toList();
        ops.forEach(op -> ok(client, op));
        assertThat(client.instances()).isEmpty();
    }

    private static void ok(dev.virga.client.VirgaClient client, Operation op) {
        var done = client.await(op, o -> { });
        assertThat(done.status()).as("%s %s: %s", done.kind(), done.target(), done.error())
                .isEqualTo(OperationStatus.SUCCESS);
    }

    private static Map<String, Long> perHost(dev.virga.client.VirgaClient client) {
        return client.instances().stream().collect(Collectors.groupingBy(Instance::host, Collectors.counting()));
    }

}
