package dev.virga.it;

import dev.virga.api.Nic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static dev.virga.it.GuestNet.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tenant networks end to end on one real agent with real guests: addresses by DHCP from the host's switch, ping and
 * a checksummed TCP transfer both ways, two tenants' overlapping subnets that never exchange a frame, a guest that
 * forges its address or MAC gets nothing through, and a kill -9 of the agent that the guests' connectivity survives.
 */
class TenantNetworkIT {
    @TempDir
    Path dir;

    @Test
    void guestsOnOneNetworkTalkAndNothingElseGetsThrough() throws Exception {
        try (var cluster = Cluster.start(dir)) {
            var client = cluster.client;
            cluster.join("h1");
            ok(cluster.cli("image", "build", "tiny"));
            ok(cluster.cli("network", "create", "blue", "--subnet", "10.20.0.0/24"));
            ok(cluster.cli("network", "create", "red", "--subnet", "10.20.0.0/24", "--project", "other"));
            int published = freePort();
            // a bad forward is refused before anything is made
            var bad = cluster.cli("launch", "tiny", "bad", "--publish", "70000:80");
            assertThat(bad.exit()).isEqualTo(1);
            assertThat(bad.err()).contains("publish").contains("host port 70000 is not in 1..65535");
            ok(cluster.cli("launch", "tiny", "a1", "--network", "blue", "--publish",
                    "127.0.0.1:" + published + ":8080"));
            ok(cluster.cli("launch", "tiny", "a2", "--network", "blue:10.20.0.2"));
            // the other tenant's VM has the address a1 has in blue
            ok(cluster.cli("launch", "tiny", "b1", "--network", "red:10.20.0.1"));

            var a1 = client.instance("a1").nics().getFirst();
            assertThat(a1.ip()).isEqualTo("10.20.0.1");
            var info = cluster.cli("info", "a1");
            assertThat(info.out()).contains("NIC eth1:").contains("blue").contains(a1.mac()).contains("10.20.0.1")
                    .contains("Published:   127.0.0.1:" + published + "->8080/tcp");
            // the host port is a1's on h1: another VM asking for it has no host
            var clash = cluster.cli("launch", "tiny", "a3", "--no-queue", "--publish",
                    published + ":22");
            assertThat(clash.exit()).isEqualTo(1);
            assertThat(clash.err()).contains("host port already published here: 127.0.0.1:" + published
                    + "->8080/tcp of a1");
            assertThat(client.instances()).extracting(dev.virga.api.Instance::name).doesNotContain("bad", "a3");
            for (var vm : new String[] {"a1", "a2", "b1"}) {
                Nic nic = client.instance(vm).nics().getFirst();
                // the guest's eth1 has the server's address for it, by DHCP from the switch, and the provider NIC
                // keeps eth0 (no tenant default route)
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
                        assertThat(exec(cluster, vm, "ip -4 addr show dev eth1").out())
                                .contains("inet " + nic.ip() + "/24"));
                assertThat(exec(cluster, vm, "cat /sys/class/net/eth1/address").out().strip()).isEqualTo(nic.mac());
                assertThat(exec(cluster, vm, "ip route").out()).doesNotContain("default via 10.20.");
            }

            // the provider NIC: a published port reaches a1's service; a2 reaches the host (outbound NAT)
            ok(exec(cluster, "a1", "(nc -ll -p 8080 -e /bin/hostname) > /dev/null 2>&1 < /dev/null &"));
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                    assertThat(readFrom(published)).isEqualTo("a1"));
            assertThat(exec(cluster, "a2", "ip route").out()).contains("default via 10.0.2.2 dev eth0");
            try (var listener = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                var got = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try (var s = listener.accept()) {
                        return new String(s.getInputStream().readAllBytes()).strip();
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                ok(exec(cluster, "a2", "echo outbound-from-a2 | nc 10.0.2.2 " + listener.getLocalPort()));
                assertThat(got.get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("outbound-from-a2");
            }

            ping(cluster, "a1", "10.20.0.2", true);
            ping(cluster, "a2", "10.20.0.1", true);
            transfer(cluster, "a1", "a2", "10.20.0.2");
            transfer(cluster, "a2", "a1", "10.20.0.1");

            // a copy of the running a2 is on blue too, with a NIC of its own: it boots (not from a2's memory, which
            // holds a2's addresses) and gets its own address by DHCP
            var copied = cluster.cli("copy", "a2", "a2c");
            assertThat(copied.exit()).as(copied.toString()).isZero();
            Nic copyNic = client.instance("a2c").nics().getFirst();
            assertThat(copyNic.network()).isEqualTo("blue");
            assertThat(copyNic.ip()).isNotIn("10.20.0.1", "10.20.0.2");
            assertThat(copyNic.mac()).isNotEqualTo(client.instance("a2").nics().getFirst().mac());
            assertThat(client.instance("a2c").published()).isEmpty();
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
                    assertThat(exec(cluster, "a2c", "ip -4 addr show dev eth1").out())
                            .contains("inet " + copyNic.ip() + "/24"));
            ping(cluster, "a2c", "10.20.0.1", true);
            ping(cluster, "a2", "10.20.0.1", true);
            ok(cluster.cli("delete", "a2c", "--force"));

            // overlapping subnets of two tenants: b1 (red 10.20.0.1) reaches nobody in blue, and blue's broadcasts
            // never reach it
            ping(cluster, "b1", "10.20.0.2", false);
            long b1Before = rxPackets(cluster, "b1");
            long a2Before = rxPackets(cluster, "a2");
            assertThat(exec(cluster, "a1", "arping -c 3 -w 5 -I eth1 10.20.0.99").exit()).isNotZero();
            assertThat(rxPackets(cluster, "a2")).as("blue's broadcasts reach blue").isGreaterThan(a2Before);
            assertThat(rxPackets(cluster, "b1")).as("blue's broadcasts never reach red").isEqualTo(b1Before);

            // a2 forging another address: nothing of it arrives at a1; with its own address again it works
            long a1Before = rxPackets(cluster, "a1");
            ok(exec(cluster, "a2", "ifconfig eth1 10.20.0.77 netmask 255.255.255.0"));
            ping(cluster, "a2", "10.20.0.1", false);
            assertThat(rxPackets(cluster, "a1")).as("frames from a forged address").isEqualTo(a1Before);
            ok(exec(cluster, "a2", "ifconfig eth1 10.20.0.2 netmask 255.255.255.0"));
            ping(cluster, "a2", "10.20.0.1", true);
            // ... or a forged MAC
            var a2Mac = client.instance("a2").nics().getFirst().mac();
            ok(exec(cluster, "a2", "ip link set eth1 address 02:00:00:00:00:99"));
            ping(cluster, "a2", "10.20.0.1", false);
            ok(exec(cluster, "a2", "ip link set eth1 address " + a2Mac));
            ping(cluster, "a2", "10.20.0.1", true);

            // kill -9 the agent (its switch dies with it) and start it again: the same guests talk again
            cluster.kill("h1");
            cluster.restart("h1");
            await().atMost(Duration.ofSeconds(120)).until(() -> cluster.online().contains("h1"));
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
                    ping(cluster, "a1", "10.20.0.2", true));
            transfer(cluster, "a2", "a1", "10.20.0.1");
            assertThat(exec(cluster, "a1", "cat /proc/uptime").exit()).isZero();
            assertThat(readFrom(published)).as("the published port lives in QEMU: the agent's restart keeps it")
                    .isEqualTo("a1");
            assertThat(client.instance("a1").nics().getFirst()).isEqualTo(a1);

            // a network in use stays; its addresses go with the instances
            var refused = cluster.cli("network", "delete", "blue");
            assertThat(refused.exit()).isEqualTo(1);
            assertThat(refused.err()).contains("in use by a1, a2");
            for (var vm : new String[] {"a1", "a2", "b1"}) {
                ok(cluster.cli("delete", vm, "--force"));
            }
            ok(cluster.cli("network", "delete", "blue"));
            assertThat(client.network("red").nics()).isEmpty();
        }
    }

    private static int freePort() throws java.io.IOException {
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** What a connection to the host's loopback port reads until the other side closes. */
    private static String readFrom(int port) throws java.io.IOException {
        try (var s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(20_000);
            return new String(s.getInputStream().readAllBytes()).strip();
        }
    }

    private static long rxPackets(Cluster cluster, String vm) throws Exception {
        return Long.parseLong(exec(cluster, vm, "cat /sys/class/net/eth1/statistics/rx_packets").out().strip());
    }
}
