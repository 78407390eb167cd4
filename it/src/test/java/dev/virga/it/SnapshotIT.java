package dev.virga.it;

import dev.virga.api.InstanceState;
import dev.virga.api.LaunchRequest;
import dev.virga.api.OperationStatus;
import dev.virga.api.SnapshotRequest;
import dev.virga.api.StateChange;
import dev.virga.client.ApiException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/** Snapshots on real guests: what the guest sees after restore, memory state, merging, faults and bad input. */
class SnapshotIT {
    @TempDir
    static Path home;
    static VirgaUp virga;

    /** One Virga for the class (a new one per test cost ~10 s); each test gets fresh instances. */
    @BeforeAll
    static void up() throws Exception {
        virga = VirgaUp.withTinyImage(home);
    }

    @AfterAll
    static void down() throws Exception {
        virga.close();
    }

    @BeforeEach
    void fresh() throws Exception {
        virga.launch("vm");
    }

    @AfterEach
    void clean() throws Exception {
        virga.reset();
    }

    @Test
    void restoreBringsBackWhatWasWrittenBeforeAndDropsWhatCameAfter() throws Exception {
        write("/root/before", "A");
        var snap = virga.cli("snapshot", "create", "vm", "s1");
        assertThat(snap.exit()).as(snap.toString()).isZero();
        assertThat(snap.out()).contains("snapshot s1 of vm taken (live, quiesced)");
        write("/root/after", "B");
        write("/root/before", "A2");

        var refused = virga.cli("snapshot", "restore", "vm", "s1");
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("'vm' is running").contains("--force");
        assertThat(read("/root/after")).isEqualTo("B");

        var restore = virga.cli("snapshot", "restore", "vm", "s1", "--force");
        assertThat(restore.exit()).as(restore.toString()).isZero();
        assertThat(read("/root/before")).isEqualTo("A");
        assertThat(virga.cli("exec", "vm", "--", "test", "-e", "/root/after").exit()).isEqualTo(1);

        // offline: snapshot a stopped VM, change, restore, start
        stop();
        assertThat(virga.cli("snapshot", "create", "vm", "cold").out()).contains("(offline)");
        start();
        write("/root/before", "C");
        stop();
        assertThat(virga.cli("snapshot", "restore", "vm", "cold").exit()).isZero();
        assertThat(virga.client().instance("vm").state()).isEqualTo(InstanceState.STOPPED);
        start();
        assertThat(read("/root/before")).isEqualTo("A");
        assertChainIsSound();
    }

    @Test
    void aStatefulRestoreResumesTheGuestsMemoryFromTheSnapshot() throws Exception {
        var counter = virga.cli("exec", "vm", "--", "sh", "-c", "setsid sh -c 'i=0; while true; do i=$((i+1)); "
                + "echo $i > /run/counter; sleep 0.1; done' </dev/null >/dev/null 2>&1 &");
        assertThat(counter.exit()).isZero();
        await().atMost(Duration.ofSeconds(10)).until(() -> counter() > 5);

        var snap = virga.cli("snapshot", "create", "vm", "mem", "--stateful");
        assertThat(snap.exit()).as(snap.toString()).isZero();
        assertThat(snap.out()).contains("with memory");
        long atSnapshot = counter();
        await().atMost(Duration.ofSeconds(30)).until(() -> counter() > atSnapshot + 30);
        long later = counter();
        // /run is a tmpfs: the counter lives only in guest memory

        var restore = virga.cli("snapshot", "restore", "vm", "mem", "--force");
        assertThat(restore.exit()).as(restore.toString()).isZero();
        long resumed = counter();
        assertThat(resumed).isLessThan(later).isGreaterThanOrEqualTo(atSnapshot - 20);
        await().atMost(Duration.ofSeconds(10)).until(() -> counter() > resumed);
        assertThat(virga.client().instance("vm").state()).isEqualTo(InstanceState.RUNNING);
        var list = virga.client().snapshots("vm");
        assertThat(list).singleElement().satisfies(s -> {
            assertThat(s.stateful()).isTrue();
            assertThat(s.sizeBytes()).isGreaterThan(1L << 20);
        });
    }

    @Test
    void deletingSnapshotsMergesLayersSoTheChainStaysShort() throws Exception {
        for (var name : List.of("a", "b", "c")) {
            write("/root/" + name, name);
            assertThat(virga.cli("snapshot", "create", "vm", name).exit()).isZero();
        }
        assertThat(layers()).hasSize(4);
        // delete while running (live merge), then one while stopped (offline rebase)
        assertThat(virga.cli("snapshot", "delete", "vm", "b").exit()).isZero();
        assertThat(virga.cli("snapshot", "delete", "vm", "a").exit()).isZero();
        stop();
        assertThat(virga.cli("snapshot", "delete", "vm", "c").exit()).isZero();
        assertThat(layers()).hasSize(1);
        assertThat(virga.client().snapshots("vm")).isEmpty();
        start();
        assertThat(read("/root/a") + read("/root/b") + read("/root/c")).isEqualTo("abc");
        assertChainIsSound();
    }

    @Test
    void killingTheAllInOneInTheMiddleLeavesASoundChainAndAThawedGuest() throws Exception {
        write("/root/keep", "K");
        for (int round = 0; round < 2; round++) {
            var name = "k" + round;
            virga.client().createSnapshot("vm", new SnapshotRequest(name, false));
            Thread.sleep(round * 150L);
            virga.kill9();
            virga.start();
            var again = virga.client();
            await().atMost(Duration.ofSeconds(15)).until(() -> again.instance("vm").state() == InstanceState.RUNNING);
            assertThat(read("/root/keep")).isEqualTo("K");
            assertThat(virga.cli("exec", "vm", "--", "sh", "-c", "echo w > /root/w && sync").exit())
                    .as("the guest's filesystem is writable (not left frozen)").isZero();
            assertChainIsSound();
        }
        // deleting, killed half-way: a second delete (or the restart) finishes it
        assertThat(virga.cli("snapshot", "create", "vm", "d").exit()).isZero();
        virga.client().deleteSnapshot("vm", "d");
        virga.kill9();
        virga.start();
        var again = virga.client();
        await().atMost(Duration.ofSeconds(15)).until(() -> again.instance("vm").state() == InstanceState.RUNNING);
        if (again.snapshots("vm").stream().anyMatch(s -> s.name().equals("d"))) {
            var op = again.await(again.deleteSnapshot("vm", "d"), o -> { });
            assertThat(op.status()).as(op.error()).isEqualTo(OperationStatus.SUCCESS);
        }
        assertThat(read("/root/keep")).isEqualTo("K");
        assertChainIsSound();
    }

    @Test
    void killingTheAllInOneDuringARestoreLeavesAUsableVm() throws Exception {
        write("/root/f", "A");
        assertThat(virga.cli("snapshot", "create", "vm", "m", "--stateful").exit()).isZero();
        write("/root/f", "B");
        virga.client().restoreSnapshot("vm", "m", true);
        Thread.sleep(400);
        virga.kill9();
        virga.start();
        var again = virga.client();
        await().atMost(Duration.ofSeconds(20)).until(() -> !again.instance("vm").state().transitional());
        if (again.instance("vm").state() != InstanceState.RUNNING) {
            start();
        }
        assertThat(read("/root/f")).isIn("A", "B");
        assertChainIsSound();
        // and the snapshot still restores
        var r = again.await(again.restoreSnapshot("vm", "m", true), o -> { });
        assertThat(r.status()).as(r.error()).isEqualTo(OperationStatus.SUCCESS);
        assertThat(read("/root/f")).isEqualTo("A");
    }

    @Test
    void killingQemuDuringALiveMergeLeavesASoundChainAndTheDeleteFinishes() throws Exception {
        assertThat(virga.cli("snapshot", "create", "vm", "s1").exit()).isZero();
        // a layer with real data, so the merge has something to copy
        write("/root/big", "x");
        var fill = virga.cli("exec", "vm", "--", "sh", "-c", "dd if=/dev/urandom of=/root/big bs=1M count=48 && sync");
        assertThat(fill.exit()).as(fill.toString()).isZero();
        var sum = virga.cli("exec", "vm", "--", "md5sum", "/root/big").out();
        assertThat(virga.cli("snapshot", "create", "vm", "s2").exit()).isZero();
        virga.client().deleteSnapshot("vm", "s2");
        Thread.sleep(150);
        virga.qemus().forEach(ProcessHandle::destroyForcibly);
        var client = virga.client();
        await().atMost(Duration.ofSeconds(20)).until(() -> client.operations().stream().allMatch(o -> o.status().done()));
        await().atMost(Duration.ofSeconds(10)).until(() -> !client.instance("vm").state().transitional()
                && client.instance("vm").state() != InstanceState.RUNNING);
        assertChainIsSound();
        start();
        assertThat(client.snapshots("vm")).extracting(s -> s.name()).containsExactly("s1");
        var again = virga.cli("exec", "vm", "--", "md5sum", "/root/big");
        assertThat(again.out()).as(again.toString()).isEqualTo(sum);
        assertThat(layers()).hasSize(2);
    }

    @Test
    void badRequestsAreRefusedClearly() throws Exception {
        var client = virga.client();
        assertThat(virga.cli("snapshot", "create", "vm", "s").exit()).isZero();
        assertError(() -> client.createSnapshot("vm", new SnapshotRequest("s", false)), 409,
                "snapshot 's' of 'vm' already exists");
        assertError(() -> client.createSnapshot("vm", new SnapshotRequest("Bad Name", false)), 400,
                "name: 'Bad Name' is not a valid name");
        assertError(() -> client.createSnapshot("ghost", new SnapshotRequest("s", false)), 404,
                "instance 'ghost' not found");
        assertError(() -> client.restoreSnapshot("vm", "nope", true), 404, "snapshot 'vm/nope' not found");
        assertError(() -> client.deleteSnapshot("vm", "nope"), 404, "snapshot 'vm/nope' not found");
        stop();
        assertError(() -> client.createSnapshot("vm", new SnapshotRequest("m", true)), 409,
                "a stateful snapshot saves the memory of a running instance");
        assertThat(client.snapshots("vm")).extracting(s -> s.name()).containsExactly("s");
        assertChainIsSound();
    }

    private void assertError(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, int code, String message) {
        var e = catchThrowableOfType(ApiException.class, call);
        assertThat(e).as("expected a " + code).isNotNull();
        assertThat(e.code()).isEqualTo(code);
        assertThat(e.getMessage()).contains(message);
    }

    private void write(String file, String content) throws Exception {
        var r = virga.exec("vm", "printf %s '" + content + "' > " + file + " && sync");
        assertThat(r.exit()).as(r.toString()).isZero();
    }

    private String read(String file) throws Exception {
        var r = virga.exec("vm", "cat " + file);
        assertThat(r.exit()).as(r.toString()).isZero();
        return r.out();
    }

    private long counter() throws Exception {
        var r = virga.exec("vm", "cat /run/counter");
        return r.exit() == 0 ? Long.parseLong(r.out().strip()) : -1;
    }

    private void stop() throws Exception {
        var r = virga.client().await(virga.client().changeState("vm", new StateChange("stop", false, 0)), o -> { });
        assertThat(r.status()).as(r.error()).isEqualTo(OperationStatus.SUCCESS);
    }

    private void start() throws Exception {
        var r = virga.client().await(virga.client().changeState("vm", new StateChange("start", false, 0)), o -> { });
        assertThat(r.status()).as(r.error()).isEqualTo(OperationStatus.SUCCESS);
    }

    private List<Path> layers() throws Exception {
        try (var files = Files.list(home.resolve("instances/vm"))) {
            return files.filter(f -> f.toString().endsWith(".qcow2")).toList();
        }
    }

    /** Every layer passes qemu-img check and every backing file exists. */
    private void assertChainIsSound() throws Exception {
        for (var layer : layers()) {
            var p = new ProcessBuilder("qemu-img", "check", "-U", layer.toString()).redirectErrorStream(true).start();
            var out = new String(p.getInputStream().readAllBytes());
            // 3 = leaked clusters only (wasted space, as a running QEMU can leave); 2 would be corruption
            assertThat(p.waitFor()).as(layer + ": " + out).isIn(0, 3);
        }
    }
}
