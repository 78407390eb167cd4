package dev.virga.it;

import dev.virga.api.Operation;
import dev.virga.api.OperationStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Warm launches on real guests: VMs resumed from the tiny image's warm state (made by {@code image build tiny}) each
 * have their own hostname, MACs, tenant address, machine-id, random numbers and clock; what the state cannot give
 * boots and says why; a bigger disk and published ports work on a resumed guest.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WarmLaunchIT {
    @TempDir
    static Path home;
    VirgaUp virga;

    @BeforeAll
    void up() throws Exception {
        virga = VirgaUp.withTinyImage(home);
    }

    @AfterAll
    void down() throws Exception {
        virga.close();
    }

    @Test
    @Order(1)
    void tenVmsFromOneWarmImageNeverShareAnIdentity() throws Exception {
        var info = virga.cli("image", "info", "tiny");
        assertThat(info.out()).as(info.toString()).contains("Warm:").contains("local").contains("256MiB");
        ok(virga.cli("network", "create", "warmnet", "--subnet", "10.31.0.0/24"));
        // ten 1-vCPU VMs on this 2-core host: more than the default 4 vCPUs per core
        ok(virga.cli("config", "set", "scheduler.cpu_ratio", "8"));
        var names = new ArrayList<String>();
        var ops = new LinkedHashMap<String, Operation>();
        // five at a time through the API (the CLI's launch is UserPathIT's and the tests below), then awaited
        for (int i = 1; i <= 10; i++) {
            var name = "w" + i;
            names.add(name);
            ops.put(name, virga.client().launch(new dev.virga.api.LaunchRequest(name, "tiny", null, null, null, "",
                    false, List.of(), "", false, List.of("warmnet"))));
            if (i % 5 == 0) {
                for (var vm : names.subList(i - 5, i)) {
                    ops.put(vm, virga.client().waitFor(ops.get(vm).id(), Duration.ofMinutes(3)));
                }
            }
        }
        var seen = new LinkedHashMap<String, List<String>>();
        for (var vm : names) {
            var op = ops.get(vm);
            assertThat(op.status()).as(vm + ": " + op.error()).isEqualTo(OperationStatus.SUCCESS);
            assertThat(op.result()).as(vm + " " + op.result()).containsEntry("boot", "warm");
            System.out.printf("[warm] %s launch %s ms (agent: qemu %s ms, ready %s ms)%n", vm,
                    op.result().get("launchMillis"), op.result().get("qemuStartedMillis"),
                    op.result().get("guestReadyMillis"));
            var instance = virga.client().instance(vm);
            // what the guest agent says of the guest, as for a booted VM
            assertThat(instance.guest().os()).as(vm + " " + instance.guest()).startsWith("Virga tiny");
            assertThat(instance.guest().kernel()).as(vm + " " + instance.guest()).isNotEmpty();
            assertThat(instance.guest().hostname()).isEqualTo(vm);
            var nic = instance.nics().getFirst();
            var out = exec(vm, "hostname; cat /etc/machine-id; cat /sys/class/net/eth0/address; "
                    + "cat /sys/class/net/eth1/address; ip -4 -o addr show dev eth1 | awk '{print $4}'; "
                    + "ip -4 -o addr show dev eth0 | awk '{print $4}'; "
                    + "head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \\n'; echo; date +%s");
            var lines = out.lines().toList();
            assertThat(lines).as(vm + ": " + out).hasSize(8);
            assertThat(lines.get(0)).isEqualTo(vm);
            assertThat(lines.get(1)).matches("[0-9a-f]{32}");
            assertThat(lines.get(3)).isEqualTo(nic.mac());
            assertThat(lines.get(4)).isEqualTo(nic.ip() + "/24");
            // the provider NIC leased its address from the VM's own user-mode NAT, with the VM's MAC
            assertThat(lines.get(5)).isEqualTo("10.0.2.15/24");
            assertThat(Long.parseLong(lines.get(7))).isCloseTo(System.currentTimeMillis() / 1000,
                    org.assertj.core.data.Offset.offset(5L));
            seen.put(vm, lines);
        }
        for (int field : new int[] {0, 1, 2, 3, 4, 6}) {
            var values = new HashSet<String>();
            seen.values().forEach(l -> values.add(l.get(field)));
            assertThat(values).as("field " + field + " of " + seen).hasSize(10);
        }
        // the provider MAC is the one Virga gives the VM (as on a cold boot), not the saved guest's
        var w1 = ops.get("w1");
        assertThat(seen.get("w1").get(2)).startsWith("52:54:00:");
        assertThat(w1.result()).doesNotContainKey("bootReason");
        // two resumed guests talk over their tenant network
        var ip2 = virga.client().instance("w2").nics().getFirst().ip();
        var ping = virga.cli("exec", "w1", "--", "ping", "-c", "2", "-W", "3", ip2);
        assertThat(ping.exit()).as(ping.toString()).isZero();
        for (var vm : names.subList(2, names.size())) {
            ok(virga.cli("delete", vm, "--force"));
        }
    }

    @Test
    @Order(2)
    void aResumedGuestKeepsItsIdentityAcrossAColdRestart() throws Exception {
        var before = exec("w1", "cat /etc/machine-id; hostname");
        ok(virga.cli("restart", "w1"));
        assertThat(exec("w1", "cat /etc/machine-id; hostname")).isEqualTo(before);
        assertThat(exec("w1", "cat /proc/cmdline")).doesNotContain("virga.warm").contains("virga.hostname=w1");
    }

    @Test
    @Order(3)
    void aBiggerDiskAndPublishedPortsWorkOnAResumedGuest() throws Exception {
        int port = freePort();
        var launch = virga.cli("launch", "tiny", "big", "--disk", "1G", "--publish", "127.0.0.1:" + port + ":8080");
        ok(launch);
        assertThat(launch.out()).contains("from the warm state");
        // the filesystem grows with the disk in the background (resize2fs), as on a cold boot
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> assertThat(Long.parseLong(exec("big", "df -k / | awk 'NR==2 {print $2}'")
                        .strip())).isGreaterThan(900_000));
        ok(virga.cli("exec", "big", "--", "sh", "-c",
                "(echo hello-from-big | nc -l -p 8080) > /dev/null 2>&1 < /dev/null &"));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> {
                    try (var s = new java.net.Socket("127.0.0.1", port)) {
                        s.setSoTimeout(5000);
                        assertThat(new String(s.getInputStream().readAllBytes()).strip()).isEqualTo("hello-from-big");
                    }
                });
        ok(virga.cli("delete", "big", "--force"));
    }

    @Test
    @Order(4)
    void whatTheWarmStateCannotGiveBootsAndSaysWhy() throws Exception {
        var other = virga.cli("launch", "tiny", "c1", "--memory", "192M");
        ok(other);
        assertThat(other.out()).contains("booted (the warm states of image tiny are for 1 vCPU/256 MiB, not 1 vCPU/192 MiB)");
        var forced = launch("c2", "--cold");
        assertThat(forced.result()).containsEntry("boot", "cold").containsEntry("bootReason", "asked for a cold boot");
        var bad = virga.cli("image", "warm", "tiny", "--memory", "0");
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).contains("memory").contains("out of range");
        var badCpus = virga.cli("image", "warm", "tiny", "--cpus", "0");
        assertThat(badCpus.exit()).isEqualTo(1);
        assertThat(badCpus.err()).contains("cpus").contains("out of range");
        ok(virga.cli("image", "unwarm", "tiny"));
        assertThat(virga.cli("image", "info", "tiny").out()).contains("Warm:        no");
        var cold = launch("c3", "");
        assertThat(cold.result()).containsEntry("boot", "cold");
        assertThat(String.valueOf(cold.result().get("bootReason"))).contains("has no warm state on this host");
        // warming again makes launches resume again
        ok(virga.cli("image", "warm", "tiny"));
        assertThat(launch("c4", "").result()).containsEntry("boot", "warm");
        for (var vm : List.of("c1", "c2", "c3", "c4")) {
            ok(virga.cli("delete", vm, "--force"));
        }
    }

    private Operation launch(String name, String flag) throws Exception {
        var args = new ArrayList<>(List.of("launch", "tiny", name, "--no-wait"));
        if (!flag.isEmpty()) {
            args.add(flag);
        }
        ok(virga.cli(args.toArray(String[]::new)));
        var op = virga.client().operations().stream().filter(o -> o.target().equals(name)
                && o.kind().equals("launch")).findFirst().orElseThrow();
        var done = virga.client().waitFor(op.id(), Duration.ofMinutes(3));
        assertThat(done.status()).as(done.error()).isEqualTo(OperationStatus.SUCCESS);
        return done;
    }

    /** Through the API (see GuestExec); the CLI's exec is the ping's above and UserPathIT's. */
    private String exec(String vm, String script) throws Exception {
        var r = virga.exec(vm, script);
        assertThat(r.exit()).as(r.toString()).isZero();
        return r.out().strip();
    }

    private static void ok(CliResult r) {
        assertThat(r.exit()).as(r.toString()).isZero();
    }

    private static int freePort() throws Exception {
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
