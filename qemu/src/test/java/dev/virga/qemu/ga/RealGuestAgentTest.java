package dev.virga.qemu.ga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client against the real qemu-ga (package qemu-guest-agent, when installed), run on this host
 * in unix-listen mode. Everything that could disturb the host is blocked with -b, and this test
 * only reads or runs harmless commands.
 */
@Timeout(30)
class RealGuestAgentTest {
    private static final Path QEMU_GA = Path.of("/usr/sbin/qemu-ga");
    private static final String BLOCKED = String.join(",", "guest-shutdown", "guest-suspend-disk", "guest-suspend-ram",
            "guest-suspend-hybrid", "guest-fsfreeze-freeze", "guest-fsfreeze-freeze-list", "guest-fsfreeze-thaw",
            "guest-set-time", "guest-set-user-password", "guest-set-vcpus", "guest-set-memory-blocks", "guest-fstrim",
            "guest-ssh-add-authorized-keys", "guest-ssh-remove-authorized-keys", "guest-file-open", "guest-file-write");

    @TempDir
    Path dir;

    private Process agent;

    @AfterEach
    void stopAgent() throws InterruptedException {
        if (agent != null) {
            agent.destroy();
            agent.waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void talksToTheRealQemuGuestAgent() throws Exception {
        assertThat(Files.isExecutable(QEMU_GA)).as("qemu-guest-agent must be installed (./virga test installs it)").isTrue();
        Path socket = dir.resolve("ga.sock");
        agent = new ProcessBuilder(QEMU_GA.toString(), "-m", "unix-listen", "-p", socket.toString(), "-t", dir.toString(),
                "-f", dir.resolve("qga.pid").toString(), "-l", dir.resolve("qga.log").toString(), "-b", BLOCKED).start();

        try (var ga = GuestAgentClient.awaitReady(socket, Duration.ofSeconds(10))) {
            ga.ping();
            assertThat(ga.info().version()).startsWith("7.");
            assertThat(ga.info().enabledCommands()).contains("guest-exec", "guest-ping").doesNotContain("guest-shutdown");
            assertThat(ga.osInfo().kernelRelease()).isNotEmpty();
            assertThat(Duration.between(ga.time(), Instant.now()).abs()).isLessThan(Duration.ofSeconds(5));
            assertThat(ga.fsfreezeStatus()).isEqualTo("thawed");

            byte[] stdin = new byte[256];
            for (int i = 0; i < stdin.length; i++) {
                stdin[i] = (byte) i;
            }
            ExecStatus cat = ga.run(List.of("/bin/sh", "-c", "cat; echo oops >&2; exit 3"), stdin, Duration.ofSeconds(10));
            assertThat(cat.exited()).isTrue();
            assertThat(cat.exitCode()).isEqualTo(3);
            assertThat(cat.signal()).isEqualTo(-1);
            assertThat(cat.stdout()).isEqualTo(stdin);
            assertThat(new String(cat.stderr(), StandardCharsets.UTF_8)).isEqualTo("oops\n");

            ExecStatus killed = ga.run(List.of("/bin/sh", "-c", "kill -9 $$"), new byte[0], Duration.ofSeconds(10));
            assertThat(killed.signal()).isEqualTo(9);

            // A blocked command answers CommandNotFound "Command ... has been disabled". guest-shutdown is
            // never sent here, blocked or not: this agent runs on the host.
            assertThatThrownBy(() -> ga.execute("guest-set-time"))
                    .isInstanceOfSatisfying(GuestAgentCommandException.class,
                            e -> assertThat(e.description()).contains("disabled"));
            ga.ping();
        }
        // a second client after the first one left: stale bytes must not matter
        try (var ga = GuestAgentClient.connect(socket, Duration.ofSeconds(5))) {
            ga.ping();
        }
    }
}
