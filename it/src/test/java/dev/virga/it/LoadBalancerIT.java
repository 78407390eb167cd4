package dev.virga.it;

import dev.virga.api.LoadBalancer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A load balancer in front of three real guests: many short TCP flows from a client guest to the VIP are spread
 * over the members (each answers with its name), {@code virga lb info} counts them per member, and a stopped
 * member gets no new flows.
 */
class LoadBalancerIT {
    @TempDir
    Path dir;

    @Test
    void flowsToTheVipAreSpreadOverTheMembersAndAStoppedMemberGetsNone() throws Exception {
        try (var cluster = Cluster.start(dir)) {
            var client = cluster.client;
            cluster.join("h1");
            ok(cluster.cli("image", "build", "tiny"));
            ok(cluster.cli("network", "create", "svc", "--subnet", "10.50.0.0/24"));
            for (var vm : new String[] {"c", "m1", "m2", "m3"}) {
                ok(cluster.cli("launch", "tiny", vm, "--memory", "128M", "--network", "svc"));
            }
            for (var vm : new String[] {"c", "m1", "m2", "m3"}) {
                var ip = client.instance(vm).nics().getFirst().ip();
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
                        assertThat(exec(cluster, vm, "ip -4 addr show dev eth1").out()).contains("inet " + ip + "/"));
            }
            for (var vm : new String[] {"m1", "m2", "m3"}) {
                // a persistent server answering each connection with the member's name
                ok(exec(cluster, vm, "(nc -ll -p 8080 -e /bin/hostname) > /dev/null 2>&1 < /dev/null &"));
            }
            var bad = cluster.cli("lb", "create", "web", "--network", "svc", "--vip", "10.50.0.100", "--port", "8080",
                    "--members", "m1,nosuch");
            assertThat(bad.exit()).isEqualTo(1);
            assertThat(bad.err()).contains("members: 'nosuch' has no NIC on network svc");
            ok(cluster.cli("lb", "create", "web", "--network", "svc", "--vip", "10.50.0.100", "--port", "8080",
                    "--members", "m1,m2,m3"));

            // the switch gets the load balancer within a reconcile pass; then 12 short flows
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
                    assertThat(exec(cluster, "c", "nc 10.50.0.100 8080 < /dev/null").out().strip())
                            .isIn("m1", "m2", "m3"));
            var counts = flows(cluster, 12);
            assertThat(counts.keySet()).as("every member got flows: " + counts).containsExactlyInAnyOrder(
                    "m1", "m2", "m3");
            var info = client.loadBalancer("web");
            assertThat(info.members()).allSatisfy(m -> {
                assertThat(m.available()).isTrue();
                assertThat(m.totalFlows()).isPositive();
                assertThat(m.bytes()).isPositive();
            });
            assertThat(info.members().stream().mapToLong(LoadBalancer.Member::totalFlows).sum()).isGreaterThanOrEqualTo(13);
            var text = cluster.cli("lb", "info", "web");
            assertThat(text.out()).contains("MEMBER").contains("TOTAL FLOWS").contains("m1").contains("m3");

            // m3 stopped: no new flow goes to it
            ok(cluster.cli("stop", "m3", "--force"));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(client.loadBalancer("web").members()
                    .stream().filter(m -> m.instance().equals("m3")).findFirst().orElseThrow().available()).isFalse());
            var after = flows(cluster, 8);
            assertThat(after).as("flows after m3 stopped: " + after).doesNotContainKey("m3");
            assertThat(after.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(8);

            ok(cluster.cli("lb", "delete", "web"));
            for (var vm : new String[] {"c", "m1", "m2", "m3"}) {
                ok(cluster.cli("delete", vm, "--force"));
            }
            ok(cluster.cli("network", "delete", "svc"));
        }
    }

    /** {@code n} connections from the client to the VIP, one after the other: which member answered each. */
    private static Map<String, Integer> flows(Cluster cluster, int n) throws Exception {
        var r = exec(cluster, "c", "for i in $(seq " + n + "); do nc 10.50.0.100 8080 < /dev/null; done");
        ok(r);
        var counts = new HashMap<String, Integer>();
        for (var line : r.out().strip().split("\\s+")) {
            counts.merge(line, 1, Integer::sum);
        }
        assertThat(counts.values().stream().mapToInt(Integer::intValue).sum()).as(r.out()).isEqualTo(n);
        return counts;
    }

    private static void ok(CliResult r) {
        assertThat(r.exit()).as(r.toString()).isZero();
    }

    private static CliResult exec(Cluster cluster, String vm, String command) throws Exception {
        return cluster.cli("exec", vm, "--timeout", "120", "--", "sh", "-c", command);
    }
}
