package dev.virga.it;

import dev.virga.api.LoadBalancer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static dev.virga.it.GuestNet.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A load balancer in front of three real guests on two hosts (the client and m1 on h1, m2 and m3 on h2): short TCP
 * flows from the client guest to the VIP are spread over all members, local and remote ({@code virga lb info}
 * counts them per member); a member whose service stops answering is taken out by the health probes and comes back
 * when it answers again; a slow member (its answers take 3 s, so its flows stay open) gets fewer new flows; a
 * stopped member gets none.
 */
class LoadBalancerIT {
    private static final String VIP = "10.50.0.100";

    @TempDir
    Path dir;

    @Test
    void flowsToTheVipAreSpreadOverMembersOnTwoHostsAndOnlyServingMembersGetThem() throws Exception {
        try (var cluster = Cluster.start(dir)) {
            var client = cluster.client;
            cluster.join("h1");
            cluster.join("h2");
            ok(cluster.cli("image", "build", "tiny"));
            ok(cluster.cli("network", "create", "svc", "--subnet", "10.50.0.0/24"));
            var hostOf = Map.of("c", "h1", "m1", "h1", "m2", "h2", "m3", "h2");
            for (var vm : new String[] {"c", "m1", "m2", "m3"}) {
                ok(cluster.cli("launch", "tiny", vm, "--network", "svc", "--target",
                        hostOf.get(vm)));
            }
            for (var vm : new String[] {"c", "m1", "m2", "m3"}) {
                var ip = client.instance(vm).nics().getFirst().ip();
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
                        assertThat(exec(cluster, vm, "ip -4 addr show dev eth1").out()).contains("inet " + ip + "/"));
            }
            for (var vm : new String[] {"m1", "m2", "m3"}) {
                serve(cluster, vm, false);
            }
            var bad = cluster.cli("lb", "create", "web", "--network", "svc", "--vip", VIP, "--port", "8080",
                    "--members", "m1,nosuch");
            assertThat(bad.exit()).isEqualTo(1);
            assertThat(bad.err()).contains("members: 'nosuch' has no NIC on network svc");
            ok(cluster.cli("lb", "create", "web", "--network", "svc", "--vip", VIP, "--port", "8080",
                    "--members", "m1,m2,m3"));

            // both switches get the load balancer within a reconcile pass; then 12 short flows, one after the other
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
                    assertThat(exec(cluster, "c", "nc " + VIP + " 8080 < /dev/null").out().strip())
                            .isIn("m1", "m2", "m3"));
            var counts = flows(cluster, 12);
            System.out.println("12 sequential flows: " + counts);
            assertThat(counts.keySet()).as("every member, on either host, got flows: " + counts)
                    .containsExactlyInAnyOrder("m1", "m2", "m3");
            var info = client.loadBalancer("web");
            assertThat(info.members()).allSatisfy(m -> {
                assertThat(m.available()).isTrue();
                assertThat(m.health()).isEqualTo("up");
                assertThat(m.host()).isEqualTo(hostOf.get(m.instance()));
                assertThat(m.totalFlows()).isPositive();
                assertThat(m.bytes()).isPositive();
            });
            assertThat(info.members().stream().mapToLong(LoadBalancer.Member::totalFlows).sum())
                    .isGreaterThanOrEqualTo(13);
            var text = cluster.cli("lb", "info", "web");
            assertThat(text.out()).contains("MEMBER").contains("HEALTH").contains("TOTAL FLOWS").contains("m3")
                    .contains("h2");

            // m2's service stops (its guest answers with resets): the probes take it out, no new flow goes to it
            ok(exec(cluster, "m2", "killall nc"));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(member(cluster, "m2").health())
                    .contains("refused"));
            assertThat(member(cluster, "m2").available()).isFalse();
            // that is m2's own host's word; the client's host hears it with the next load report (every 100 ms)
            Thread.sleep(REPORT_SETTLE_MILLIS);
            var withoutM2 = flows(cluster, 8);
            System.out.println("8 flows with m2's service down: " + withoutM2);
            assertThat(withoutM2).as("flows while m2 does not serve: " + withoutM2).doesNotContainKey("m2");
            // it serves again: back in
            serve(cluster, "m2", false);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(member(cluster, "m2").available())
                    .isTrue());

            // m3 becomes slow (3 s per answer): 12 clients 0.3 s apart; m3's flows stay open, so it gets fewer
            ok(exec(cluster, "m3", "killall nc"));
            serve(cluster, "m3", true);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(member(cluster, "m3").available())
                    .isTrue());
            var slow = concurrentFlows(cluster, 12);
            System.out.println("12 overlapping flows, m3 slow: " + slow);
            assertThat(slow.values().stream().mapToInt(Integer::intValue).sum()).as(slow.toString()).isEqualTo(12);
            assertThat(slow.getOrDefault("m3", 0)).as("the slow member gets fewer new flows: " + slow)
                    .isLessThan(slow.getOrDefault("m1", 0)).isLessThan(slow.getOrDefault("m2", 0))
                    .isLessThanOrEqualTo(3);

            // m3 stopped: no new flow goes to it
            ok(cluster.cli("stop", "m3", "--force"));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(member(cluster, "m3").available())
                    .isFalse());
            Thread.sleep(REPORT_SETTLE_MILLIS);
            var after = flows(cluster, 8);
            System.out.println("8 flows with m3 stopped: " + after);
            assertThat(after).as("flows after m3 stopped: " + after).doesNotContainKey("m3");
            assertThat(after.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(8);

            ok(cluster.cli("lb", "delete", "web"));
            for (var vm : new String[] {"c", "m1", "m2", "m3"}) {
                ok(cluster.cli("delete", vm, "--force"));
            }
            ok(cluster.cli("network", "delete", "svc"));
        }
    }

    /** Five of the switches' load-report periods (100 ms): a member's state has reached every host by then. */
    private static final long REPORT_SETTLE_MILLIS = 500;

    /** A persistent server on port 8080 answering each connection with the member's name (after 3 s if slow). */
    private static void serve(Cluster cluster, String vm, boolean slow) throws Exception {
        ok(exec(cluster, vm, "printf '#!/bin/sh\\n" + (slow ? "sleep 3\\n" : "") + "hostname\\n' > /tmp/answer; "
                + "chmod +x /tmp/answer; (nc -ll -p 8080 -e /tmp/answer) > /dev/null 2>&1 < /dev/null &"));
    }

    private static LoadBalancer.Member member(Cluster cluster, String vm) {
        return cluster.client.loadBalancer("web").members().stream().filter(m -> m.instance().equals(vm))
                .findFirst().orElseThrow();
    }

    /** {@code n} connections from the client to the VIP, one after the other: which member answered each. */
    private static Map<String, Integer> flows(Cluster cluster, int n) throws Exception {
        var r = exec(cluster, "c", "for i in $(seq " + n + "); do nc " + VIP + " 8080 < /dev/null; done");
        ok(r);
        var counts = count(r.out());
        assertThat(counts.values().stream().mapToInt(Integer::intValue).sum()).as(r.out()).isEqualTo(n);
        return counts;
    }

    /** {@code n} connections started 0.3 s apart, each left to finish: which member answered each. */
    private static Map<String, Integer> concurrentFlows(Cluster cluster, int n) throws Exception {
        var r = exec(cluster, "c", "rm -f /tmp/flow.*; for i in $(seq " + n + "); do (nc " + VIP
                + " 8080 < /dev/null > /tmp/flow.$i) & sleep 0.3; done; wait; cat /tmp/flow.*");
        ok(r);
        return count(r.out());
    }

    private static Map<String, Integer> count(String out) {
        var counts = new HashMap<String, Integer>();
        for (var line : out.strip().split("\\s+")) {
            counts.merge(line, 1, Integer::sum);
        }
        return counts;
    }
}
