package dev.virga.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static dev.virga.it.GuestNet.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One tenant network across two real agents: each agent's switch reports its VXLAN endpoint, the server sends each
 * the MACs living behind the other, and guests on different hosts get their addresses and talk (ping, TCP with a
 * checksum, both ways); after a cold move puts both on one host they still do, and after a live move back.
 */
class OverlayIT {
    @TempDir
    Path dir;

    @Test
    void guestsOnTwoHostsShareOneNetwork() throws Exception {
        try (var cluster = Cluster.start(dir)) {
            var client = cluster.client;
            cluster.join("h1");
            cluster.join("h2");
            ok(cluster.cli("image", "build", "tiny"));
            ok(cluster.cli("network", "create", "wide", "--subnet", "10.30.0.0/24", "--gateway", "10.30.0.254"));
            ok(cluster.cli("launch", "tiny", "x1", "--target", "h1", "--network", "wide"));
            ok(cluster.cli("launch", "tiny", "x2", "--target", "h2", "--network", "wide"));
            assertThat(client.instance("x1").host()).isEqualTo("h1");
            assertThat(client.instance("x2").host()).isEqualTo("h2");
            assertThat(client.hosts()).allSatisfy(h -> assertThat(h.name()).isIn("h1", "h2"));
            for (var vm : new String[] {"x1", "x2"}) {
                var ip = client.instance(vm).nics().getFirst().ip();
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
                        assertThat(exec(cluster, vm, "ip -4 addr show dev eth1").out()).contains("inet " + ip + "/24"));
            }
            var x1 = client.instance("x1").nics().getFirst().ip();
            var x2 = client.instance("x2").nics().getFirst().ip();
            // the tables reach both switches within a reconcile pass or two
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
                    ping(cluster, "x1", x2));
            ping(cluster, "x2", x1);
            transfer(cluster, "x1", "x2", x2);
            transfer(cluster, "x2", "x1", x1);

            // both on one host now: still one segment
            var move = cluster.cli("move", "x2", "--target", "h1");
            assertThat(move.exit()).as(move.toString()).isZero();
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
                    ping(cluster, "x2", x1));
            assertThat(client.instance("x2").nics().getFirst().ip()).isEqualTo(x2);

            // and live back to h2: the guest keeps running, its NIC follows it, the hosts' tables follow the move
            ok(exec(cluster, "x2", "cat /proc/uptime > /tmp/before-live"));
            var live = cluster.cli("move", "x2", "--target", "h2", "--live");
            assertThat(live.exit()).as(live.toString()).isZero();
            assertThat(client.instance("x2").host()).isEqualTo("h2");
            assertThat(exec(cluster, "x2", "cat /tmp/before-live").exit()).as("not rebooted").isZero();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
                    ping(cluster, "x1", x2));
            transfer(cluster, "x2", "x1", x1);
            ok(cluster.cli("delete", "x1", "--force"));
            ok(cluster.cli("delete", "x2", "--force"));
            ok(cluster.cli("network", "delete", "wide"));
        }
    }
}
