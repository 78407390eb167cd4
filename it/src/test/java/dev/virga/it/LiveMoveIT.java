package dev.virga.it;

import dev.virga.api.InstanceState;
import dev.virga.api.MoveRequest;
import dev.virga.api.Operation;
import dev.virga.api.OperationStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Live moves between two real agents with a real guest that counts in memory and appends each number to a file on
 * its disk: the count goes on across a move without a gap or a repeat, and each failure (a cancel, the destination
 * QEMU killed in the disk phase and in the memory phase, the destination agent killed) leaves the VM running on
 * its source with its data, nothing on the destination, and a retry that succeeds. One cluster and one VM for the
 * class: each test starts and ends with the VM running and counting.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LiveMoveIT {
    private static final String COUNT = "/root/count";
    /** Slow enough that a move is caught in the phase a test wants (128 MiB of memory takes minutes). */
    private static final long SLOW = 1L << 20;
    private Path dir;
    private Cluster cluster;

    @BeforeAll
    void startCluster() throws Exception {
        dir = Files.createTempDirectory("livemove");
        cluster = Cluster.start(dir);
        cluster.join("h1");
        cluster.join("h2");
        assertThat(cluster.cli("image", "build", "tiny").exit()).isZero();
        var launch = cluster.cli("launch", "tiny", "vm", "--target", "h1");
        assertThat(launch.exit()).as(launch.toString()).isZero();
        exec("printf A > /root/before && sync");
        assertThat(cluster.cli("snapshot", "create", "vm", "s1").exit()).isZero();
        // the counter: its number lives in the guest's memory, each value is appended to a file on its disk
        exec("setsid sh -c 'i=0; while true; do i=$((i+1)); echo $i >> " + COUNT + "; sleep 0.05; done' "
                + "</dev/null >/dev/null 2>&1 &");
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> count().size() > 5);
    }

    @AfterAll
    void stopCluster() throws Exception {
        cluster.close();
    }

    @Test
    @Order(1)
    void badRequestsAreRefused() throws Exception {
        var same = cluster.cli("move", "vm", "--live", "--target", "h1");
        assertThat(same.exit()).isEqualTo(1);
        assertThat(same.err()).contains("target: 'vm' is already on h1");
        assertThat(cluster.cli("move", "vm", "--live", "--target", "nope").err()).contains("host 'nope' not found");
        assertThat(cluster.cli("move", "vm", "--live", "--downtime-ms", "-5").err())
                .contains("downtimeLimitMillis: must be between 1 and 600000 ms");
        assertThat(cluster.cli("move", "vm", "--live", "--bandwidth", "10K").err())
                .contains("bandwidthBytesPerSecond: must be at least 1 MiB/s");
        assertThat(cluster.client.instance("vm").state()).isEqualTo(InstanceState.RUNNING);
        assertThat(cluster.client.instance("vm").host()).isEqualTo("h1");
    }

    @Test
    @Order(2)
    void theGuestKeepsCountingAcrossALiveMove() throws Exception {
        var before = count();
        var move = cluster.cli("move", "vm", "--live", "--downtime-ms", "50");
        assertThat(move.exit()).as(move.toString()).isZero();
        assertThat(move.out()).contains("vm moved live from h1 to h2").contains("downtime");
        var vm = cluster.client.instance("vm");
        assertThat(vm.host()).isEqualTo("h2");
        assertThat(vm.state()).isEqualTo(InstanceState.RUNNING);
        // the guest agent answers on the new host, the disk has everything, and the count goes on
        int last = before.getLast();
        await().atMost(Duration.ofSeconds(30)).until(() -> count().getLast() > last + 20);
        assertConsecutive(count());
        assertThat(exec("cat /root/before")).isEqualTo("A");
        assertThat(cluster.client.snapshots("vm")).extracting(s -> s.name()).containsExactly("s1");
        assertNothingOn("h1");
        var op = cluster.client.operations().stream().filter(o -> o.kind().equals("move")).toList().getLast();
        assertThat(op.result()).containsKeys("downtimeMillis", "memoryBytes", "diskBytes");
    }

    @Test
    @Order(3)
    void aCancelledMoveLeavesItRunningAndARetrySucceeds() throws Exception {
        var op = startSlowMove();
        waitForPhase(op, "memory:");
        var cancel = cluster.cli("operation", "cancel", op.id());
        assertThat(cancel.exit()).as(cancel.toString()).isZero();
        var done = cluster.client.waitFor(op.id(), Duration.ofMinutes(2));
        assertThat(done.status()).isEqualTo(OperationStatus.CANCELLED);
        assertStillOnWithNothingOn("h2", "h1");
        retryTo("h1");
    }

    @Test
    @Order(4)
    void theDestinationQemuKilledInTheDiskPhase() throws Exception {
        // something for the mirror to copy slowly: 16 MiB written since the snapshot
        exec("dd if=/dev/urandom of=/root/big bs=1M count=16 2>/dev/null && sync");
        var op = startSlowMove();
        waitForPhase(op, "disk: ");
        // the mirror is under way (some of its 16 MiB copied, at 1 MiB/s)
        await().atMost(Duration.ofMinutes(1)).until(() -> cluster.client.operation(op.id()).progress()
                .matches("disk: [1-9][0-9.]* MiB of .*"));
        killQemuOf("h2");
        var done = cluster.client.waitFor(op.id(), Duration.ofMinutes(2));
        assertThat(done.status()).isEqualTo(OperationStatus.FAILURE);
        assertThat(done.error()).contains("live move of vm to h2 failed").contains("mirror")
                .contains("it keeps running on h1");
        assertStillOnWithNothingOn("h1", "h2");
        retryTo("h2");
    }

    @Test
    @Order(5)
    void theDestinationQemuKilledInTheMemoryPhase() throws Exception {
        var op = startSlowMove();
        waitForPhase(op, "memory:");
        killQemuOf("h1");
        var done = cluster.client.waitFor(op.id(), Duration.ofMinutes(2));
        assertThat(done.status()).isEqualTo(OperationStatus.FAILURE);
        assertThat(done.error()).contains("the memory copy failed").contains("it keeps running on h2");
        assertStillOnWithNothingOn("h2", "h1");
        retryTo("h1");
    }

    @Test
    @Order(6)
    void theDestinationAgentKilled() throws Exception {
        var op = startSlowMove();
        waitForPhase(op, "memory:");
        cluster.kill("h2");
        var done = cluster.client.waitFor(op.id(), Duration.ofMinutes(2));
        assertThat(done.status()).isEqualTo(OperationStatus.FAILURE);
        assertThat(done.error()).contains("its agent on h2 stopped answering").contains("it keeps running on h1");
        assertThat(cluster.client.instance("vm").host()).isEqualTo("h1");
        assertThat(cluster.client.instance("vm").state()).isEqualTo(InstanceState.RUNNING);
        // the agent comes back: it ends the QEMU that waited for the migration and the partial copy is removed
        cluster.restart("h2");
        await().atMost(Duration.ofSeconds(60)).until(() -> cluster.online().contains("h2"));
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertNothingOn("h2"));
        assertStillOnWithNothingOn("h1", "h2");
        retryTo("h2");
    }

    @Test
    @Order(7)
    void aHostWithoutTheImageGetsItOnceThenTheVmMovesThere() throws Exception {
        cluster.joinWithoutImages("h3");
        var fingerprint = cluster.client.image("tiny").fingerprint();
        assertThat(Files.exists(dir.resolve("h3/images/" + fingerprint))).isFalse();
        var move = cluster.cli("move", "vm", "--live", "--target", "h3");
        assertThat(move.exit()).as(move.toString()).isZero();
        assertThat(cluster.client.instance("vm").host()).isEqualTo("h3");
        assertThat(Files.isDirectory(dir.resolve("h3/images/" + fingerprint))).isTrue();
        int last = count().getLast();
        await().atMost(Duration.ofSeconds(30)).until(() -> count().getLast() > last + 10);
        assertConsecutive(count());
        // a second VM there uses the copy already made: the image went over once
        var launch = cluster.cli("launch", "tiny", "second", "--target", "h3");
        assertThat(launch.exit()).as(launch.toString()).isZero();
        assertThat(cluster.client.events(0).stream().filter(e -> e.type().equals("image-copied")).toList())
                .singleElement().satisfies(e -> assertThat(e.message()).contains("to h3"));
        assertThat(cluster.client.await(cluster.client.delete("second", true), o -> { }).status())
                .isEqualTo(OperationStatus.SUCCESS);
    }

    @Test
    @Order(8)
    void evacuateMovesARunningVmLive() throws Exception {
        var from = cluster.client.instance("vm").host();
        int last = count().getLast();
        var evacuate = cluster.cli("host", "evacuate", from);
        assertThat(evacuate.exit()).as(evacuate.toString()).isZero();
        var vm = cluster.client.instance("vm");
        assertThat(vm.host()).isNotEqualTo(from);
        assertThat(vm.state()).isEqualTo(InstanceState.RUNNING);
        // live, not stop/start: the count went on without restarting from 1
        await().atMost(Duration.ofSeconds(30)).until(() -> count().getLast() > last + 10);
        assertConsecutive(count());
        assertThat(cluster.client.events(0).stream().filter(e -> e.type().equals("instance-moved")).toList()
                .getLast().message()).contains("moved live from " + from);
        assertNothingOn(from);
    }

    private Operation startSlowMove() {
        return cluster.client.move("vm", new MoveRequest("", false, true, 0, SLOW, false));
    }

    private void waitForPhase(Operation op, String phase) {
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100)).until(() -> {
            var now = cluster.client.operation(op.id());
            assertThat(now.status()).as(now.toString()).isEqualTo(OperationStatus.RUNNING);
            return now.progress().startsWith(phase);
        });
    }

    /** kill -9 of the QEMU of vm on {@code host} (found by its disk path under that host's data directory). */
    private void killQemuOf(String host) {
        Predicate<String> ours = c -> c.contains("qemu-system") && c.contains(dir.resolve(host + "/instances/vm")
                .toString());
        var qemu = ProcessHandle.allProcesses().filter(p -> p.info().commandLine().map(ours::test).orElse(false))
                .toList();
        assertThat(qemu).hasSize(1);
        qemu.getFirst().destroyForcibly();
    }

    private void assertStillOnWithNothingOn(String host, String other) throws Exception {
        var vm = cluster.client.instance("vm");
        assertThat(vm.host()).isEqualTo(host);
        await().atMost(Duration.ofSeconds(30)).until(() -> cluster.client.instance("vm").state()
                == InstanceState.RUNNING);
        int last = count().getLast();
        await().atMost(Duration.ofSeconds(30)).until(() -> count().getLast() > last + 10);
        assertConsecutive(count());
        assertNothingOn(other);
    }

    private void retryTo(String host) throws Exception {
        var retry = cluster.cli("move", "vm", "--live");
        assertThat(retry.exit()).as(retry.toString()).isZero();
        assertThat(cluster.client.instance("vm").host()).isEqualTo(host);
        int last = count().getLast();
        await().atMost(Duration.ofSeconds(30)).until(() -> count().getLast() > last + 10);
        assertConsecutive(count());
        assertNothingOn(host.equals("h1") ? "h2" : "h1");
    }

    private void assertNothingOn(String host) {
        assertThat(Files.exists(dir.resolve(host + "/instances/vm"))).as("instance directory on " + host).isFalse();
        var qemu = ProcessHandle.allProcesses().filter(p -> p.info().commandLine()
                .map(c -> c.contains("qemu-system") && c.contains(dir.resolve(host + "/instances/vm").toString()))
                .orElse(false)).toList();
        assertThat(qemu).as("QEMU of vm on " + host).isEmpty();
    }

    /** The numbers the guest has written so far. */
    private List<Integer> count() throws Exception {
        var out = exec("cat " + COUNT);
        if (out.isBlank()) {
            throw new AssertionError(String.format("%s on %s is empty; the guest's console ends:%n%s", COUNT,
                    cluster.client.instance("vm").host(), consoleTail()));
        }
        var lines = Arrays.stream(out.split("\n")).map(String::strip).filter(s -> !s.isEmpty()).toList();
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).matches("[0-9]+")) {
                // a corrupt file (seen once in CI: a run of NUL bytes): where it is and what the guest's kernel
                // printed, the clues to the open defect written down in docs/design.md
                throw new AssertionError(String.format("line %d of %d of %s on %s is not a number (%d bytes, %d NUL);"
                        + " the guest's console ends:%n%s", i + 1, lines.size(), COUNT,
                        cluster.client.instance("vm").host(), out.length(), out.chars().filter(c -> c == 0).count(),
                        consoleTail()));
            }
        }
        return lines.stream().map(Integer::valueOf).toList();
    }

    private String consoleTail() {
        var log = new String(cluster.client.consoleLog("vm"), java.nio.charset.StandardCharsets.UTF_8);
        return log.substring(Math.max(0, log.length() - 3000));
    }

    /** 1, 2, 3, ... with no number missing or written twice. */
    private static void assertConsecutive(List<Integer> numbers) {
        for (int i = 0; i < numbers.size(); i++) {
            assertThat(numbers.get(i)).as("line %d of the count", i + 1).isEqualTo(i + 1);
        }
    }

    private String exec(String script) throws Exception {
        var r = cluster.exec("vm", script);
        assertThat(r.exit()).as(r.toString()).isZero();
        return r.out();
    }
}
