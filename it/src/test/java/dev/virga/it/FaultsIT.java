package dev.virga.it;

import dev.virga.agent.AgentPaths;
import dev.virga.api.InstanceState;
import dev.virga.api.LaunchRequest;
import dev.virga.api.OperationStatus;
import dev.virga.api.StateChange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Faults: QEMU refusing to start, QEMU killed, the guest powering off, the all-in-one killed (also mid-launch). */
class FaultsIT {
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

    @AfterEach
    void clean() throws Exception {
        virga.reset();
    }

    @Test
    void qemuThatCannotStartFailsTheLaunchWithQemusOwnWordsAndLeavesNothing() throws Exception {
        var client = virga.client();
        // damage on the host the control plane cannot know about: the image's kernel is gone
        var fingerprint = client.image("tiny").fingerprint();
        var kernel = home.resolve("images").resolve(fingerprint).resolve("vmlinux");
        // the other tests of this class share the image: the kernel comes back afterwards (it is a hard link)
        var kept = home.resolve("vmlinux.kept");
        Files.createLink(kept, kernel);
        Files.delete(kernel);
        dev.virga.api.Operation op;
        try {
            op = client.await(client.launch(new LaunchRequest("broken", "tiny", null, null, null)), o -> { });
        } finally {
            Files.move(kept, kernel);
        }
        assertThat(op.status()).isEqualTo(OperationStatus.FAILURE);
        assertThat(op.error()).contains("QEMU failed to start").contains("could not open kernel file");
        assertThat(client.instances()).isEmpty();
        assertThat(home.resolve("instances/broken")).doesNotExist();
        assertThat(AgentPaths.of(home).runDir("broken")).doesNotExist();
        assertThat(virga.qemus()).isEmpty();
        assertThat(virga.cli("events").out()).contains("instance-launch-failed  broken");
    }

    @Test
    void anImpossibleMemorySizeWaitsWithItsReasonOrIsRefusedAtOnceWithNoQueue() throws Exception {
        var client = virga.client();
        var refused = client.await(client.launch(new LaunchRequest("huge", "tiny", 1, "2048G", null, "", false,
                java.util.List.of(), "", true)), o -> { });
        assertThat(refused.status()).isEqualTo(OperationStatus.FAILURE);
        assertThat(refused.error()).startsWith("no host can take 'huge' now (--no-queue): local: not enough memory")
                .contains("2097152 MiB more asked");
        assertThat(client.instances()).isEmpty();

        // without --no-queue it waits (a bigger host may join), says why, and can be cancelled
        var waiting = client.launch(new LaunchRequest("huge", "tiny", 1, "2048G", null));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            var huge = client.instance("huge");
            assertThat(huge.state()).isEqualTo(InstanceState.PENDING);
            assertThat(huge.reason()).startsWith("waiting for capacity: local: not enough memory");
        });
        var cancel = virga.cli("operation", "cancel", waiting.id());
        assertThat(cancel.exit()).as(cancel.toString()).isZero();
        assertThat(cancel.out()).contains("cancelled");
        assertThat(client.instances()).isEmpty();
        assertThat(home.resolve("instances/huge")).doesNotExist();
        assertThat(virga.qemus()).isEmpty();
    }

    @Test
    void killingQemuIsNoticedWithinSecondsWithAnEvent() throws Exception {
        var client = virga.client();
        client.await(client.launch(new LaunchRequest("victim", "tiny", null, null, null)), o -> { });
        var qemu = virga.qemus().getFirst();
        qemu.destroyForcibly();
        await().atMost(Duration.ofSeconds(10)).until(() -> client.instance("victim").state() == InstanceState.ERROR);
        assertThat(client.instance("victim").reason()).isEqualTo("QEMU was killed by signal 9");
        assertThat(client.events(0)).anyMatch(e -> e.type().equals("instance-error") && e.target().equals("victim")
                && e.message().contains("signal 9"));
        // and it can be started again
        var start = client.await(client.changeState("victim", new StateChange("start", false, 0)), o -> { });
        assertThat(start.status()).as(start.error()).isEqualTo(OperationStatus.SUCCESS);
        assertThat(client.instance("victim").state()).isEqualTo(InstanceState.RUNNING);
    }

    @Test
    void aGuestThatPowersItselfOffIsStopped() throws Exception {
        var client = virga.client();
        client.await(client.launch(new LaunchRequest("quitter", "tiny", null, null, null)), o -> { });
        virga.cli("exec", "quitter", "--", "poweroff");
        await().atMost(Duration.ofSeconds(20)).until(() -> client.instance("quitter").state() == InstanceState.STOPPED);
        assertThat(client.instance("quitter").reason()).isEqualTo("the guest powered off");
        assertThat(virga.qemus()).isEmpty();
    }

    @Test
    void vmsSurviveAKilledAllInOneAndAreAdoptedAfterRestart() throws Exception {
        var client = virga.client();
        client.await(client.launch(new LaunchRequest("survivor", "tiny", null, null, null)), o -> { });
        var qemuPid = virga.qemus().getFirst().pid();
        virga.cli("exec", "survivor", "--", "sh", "-c", "echo before > /root/mark");

        virga.kill9();
        Thread.sleep(1000);
        assertThat(ProcessHandle.of(qemuPid).map(ProcessHandle::isAlive)).contains(true);

        virga.start();
        var again = virga.client();
        await().atMost(Duration.ofSeconds(10)).until(() -> again.instance("survivor").state() == InstanceState.RUNNING);
        var list = virga.cli("list");
        assertThat(list.out()).containsPattern("survivor\\s+running");
        assertThat(virga.cli("exec", "survivor", "--", "cat", "/root/mark").out()).isEqualTo("before\n");
        assertThat(virga.qemus()).extracting(ProcessHandle::pid).containsExactly(qemuPid);

        var stop = virga.cli("stop", "survivor");
        assertThat(stop.exit()).as(stop.toString()).isZero();
        assertThat(ProcessHandle.of(qemuPid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(again.instance("survivor").state()).isEqualTo(InstanceState.STOPPED);
    }

    @Test
    void aLaunchInterruptedByAKilledAllInOneIsNotStuckAfterRestart() throws Exception {
        var client = virga.client();
        client.launch(new LaunchRequest("torn", "tiny", null, null, null));
        // kill while the host is making the disk or booting the guest
        await().atMost(Duration.ofSeconds(30)).until(() -> client.instance("torn").state() == InstanceState.CREATING);
        Thread.sleep(700);
        virga.kill9();

        virga.start();
        var again = virga.client();
        await().atMost(Duration.ofSeconds(15)).until(() -> !again.instance("torn").state().transitional());
        var torn = again.instance("torn");
        assertThat(torn.state()).isIn(InstanceState.ERROR, InstanceState.RUNNING, InstanceState.STOPPED);
        if (torn.state() != InstanceState.RUNNING) {
            assertThat(virga.qemus()).isEmpty();
        }
        assertThat(again.operations()).allMatch(o -> o.status().done());
        var delete = again.await(again.delete("torn", true), o -> { });
        assertThat(delete.status()).isEqualTo(OperationStatus.SUCCESS);
        assertThat(home.resolve("instances/torn")).doesNotExist();
        assertThat(virga.qemus()).isEmpty();
        try (var dirs = Files.list(home.resolve("instances"))) {
            assertThat(dirs.toList()).isEmpty();
        }
    }
}
