package dev.virga.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virga.client.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A new user's path through the real CLI: launch from tiny, look at it, run commands in the guest through the real
 * qemu-guest-agent, read the console, stop, start, restart, pause, resume, delete. CLI → server → agent → QEMU → guest.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UserPathIT {
    @TempDir
    static Path home;
    static VirgaUp virga;

    @BeforeAll
    static void up() throws Exception {
        virga = VirgaUp.withTinyImage(home);
    }

    @AfterAll
    static void down() throws Exception {
        virga.close();
    }

    @Test
    @Order(1)
    void launchBootsARealGuestWhoseAgentAnswers() throws Exception {
        var launch = virga.cli("launch", "tiny", "web1", "--cpus", "2", "--memory", "192M");
        assertThat(launch.exit()).as(launch.toString()).isZero();
        assertThat(launch.out()).contains("web1 is running on local (tcg)");

        var info = json(virga.cli("info", "web1", "--format", "json"));
        assertThat(info.path("state").asText()).isEqualTo("running");
        assertThat(info.path("cpus").asInt()).isEqualTo(2);
        assertThat(info.path("memoryBytes").asLong()).isEqualTo(192L << 20);
        assertThat(info.path("launchMillis").asLong()).isPositive();
        var guest = info.path("guest");
        assertThat(guest.path("agentReady").asBoolean()).isTrue();
        assertThat(guest.path("agentVersion").asText()).startsWith("7.2");
        assertThat(guest.path("hostname").asText()).isEqualTo("web1");
        assertThat(guest.path("kernel").asText()).contains("cloud-amd64");

        var list = virga.cli("list");
        assertThat(list.out()).containsPattern("web1\\s+running\\s+tiny\\s+local\\s+2\\s+192MiB");
        // the disk is a linked clone: an overlay whose backing file is the image
        var disk = home.resolve("instances/web1/disk.qcow2");
        assertThat(Files.size(disk)).isLessThan(16L << 20);
    }

    @Test
    @Order(2)
    void execRunsInTheGuestAndPassesOutputAndExitCode() throws Exception {
        var r = virga.cli("exec", "web1", "--", "sh", "-c", "echo out; echo 'err \"quoted\"' >&2; exit 7");
        assertThat(r.exit()).isEqualTo(7);
        assertThat(r.out()).isEqualTo("out\n");
        assertThat(r.err()).isEqualTo("err \"quoted\"\n");

        var cpus = virga.cli("exec", "web1", "--", "grep", "-c", "^processor", "/proc/cpuinfo");
        assertThat(cpus.out().strip()).isEqualTo("2");

        var binary = virga.cli("exec", "web1", "--", "sh", "-c", "printf '\\000\\001\\377'");
        assertThat(binary.outBytes()).containsExactly(0, 1, 0xff);

        var stdin = virga.cliWithInput("from the host\n".getBytes(), "exec", "-i", "web1", "--", "cat");
        assertThat(stdin.out()).isEqualTo("from the host\n");

        var write = virga.cli("exec", "web1", "--", "sh", "-c", "echo kept > /root/data && sync");
        assertThat(write.exit()).isZero();
    }

    @Test
    @Order(3)
    void consoleLogShowsTheGuestsSerialOutput() throws Exception {
        var log = virga.cli("console", "web1", "--log");
        assertThat(log.exit()).isZero();
        assertThat(log.out()).contains("web1:");
    }

    @Test
    @Order(3)
    void theInteractiveConsoleIsAShellInTheGuest() throws Exception {
        var received = new StringBuffer();
        var closed = new java.util.concurrent.CompletableFuture<Void>();
        var ws = virga.client().console("web1", new java.net.http.WebSocket.Listener() {
            @Override
            public java.util.concurrent.CompletionStage<?> onBinary(java.net.http.WebSocket w, java.nio.ByteBuffer data,
                                                                     boolean last) {
                received.append(java.nio.charset.StandardCharsets.UTF_8.decode(data));
                w.request(1);
                return null;
            }

            @Override
            public java.util.concurrent.CompletionStage<?> onClose(java.net.http.WebSocket w, int code, String reason) {
                closed.complete(null);
                return null;
            }
        }).join();
        ws.sendBinary(java.nio.ByteBuffer.wrap("\necho console-$((6*7))\n".getBytes()), true).join();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20))
                .until(() -> received.toString().contains("console-42"));
        ws.sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "bye").join();
        assertThat(received.toString()).contains("console-42");
    }

    @Test
    @Order(4)
    void stopPowersTheGuestOffAndStartBringsItBackWithItsData() throws Exception {
        var stop = virga.cli("stop", "web1");
        assertThat(stop.exit()).as(stop.toString()).isZero();
        assertThat(virga.client().instance("web1").state().name()).isEqualTo("STOPPED");
        assertThat(virga.qemus()).isEmpty();
        assertThat(virga.cli("exec", "web1", "--", "true").err()).contains("stopped");

        var start = virga.cli("start", "web1");
        assertThat(start.exit()).as(start.toString()).isZero();
        assertThat(virga.cli("exec", "web1", "--", "cat", "/root/data").out()).isEqualTo("kept\n");
    }

    @Test
    @Order(5)
    void pauseFreezesAndResumeContinues() throws Exception {
        assertThat(virga.cli("pause", "web1").exit()).isZero();
        assertThat(virga.client().instance("web1").state().name()).isEqualTo("PAUSED");
        assertThat(virga.cli("resume", "web1").exit()).isZero();
        assertThat(virga.cli("exec", "web1", "--", "true").exit()).isZero();
    }

    @Test
    @Order(6)
    void restartRebootsTheGuest() throws Exception {
        var before = virga.cli("exec", "web1", "--", "cat", "/proc/sys/kernel/random/boot_id").out();
        assertThat(virga.cli("restart", "web1").exit()).isZero();
        var after = virga.cli("exec", "web1", "--", "cat", "/proc/sys/kernel/random/boot_id").out();
        assertThat(after).isNotBlank().isNotEqualTo(before);
    }

    @Test
    @Order(7)
    void deleteOfARunningVmNeedsForceAndThenRemovesEverything() throws Exception {
        var refused = virga.cli("delete", "web1");
        assertThat(refused.exit()).isNotZero();
        assertThat(refused.err()).contains("running").contains("--force");

        assertThat(virga.cli("delete", "web1", "--force").exit()).isZero();
        assertThat(virga.cli("list", "--format", "json").out().strip()).isEqualTo("[ ]");
        assertThat(home.resolve("instances/web1")).doesNotExist();
        assertThat(virga.qemus()).isEmpty();
        var events = virga.cli("events").out();
        assertThat(events).contains("instance-started  web1").contains("instance-deleted  web1");
    }

    private static JsonNode json(CliResult r) throws Exception {
        assertThat(r.exit()).as(r.toString()).isZero();
        return Json.mapper().readTree(r.out());
    }
}
