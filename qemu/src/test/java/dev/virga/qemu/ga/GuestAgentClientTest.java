package dev.virga.qemu.ga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(20)
class GuestAgentClientTest {
    private static final Duration CONNECT = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private Path socket() {
        return dir.resolve("ga.sock");
    }

    /** A well-behaved agent, like qemu-ga for the commands the tests use. */
    private static void agentLike(JsonNode request, FakeGuestAgent.Connection c) {
        switch (request.path("execute").asText()) {
            case "guest-sync-delimited" -> FakeGuestAgent.answerSync(request, c);
            case "guest-ping" -> c.reply("{}");
            case "guest-get-time" -> c.reply("1700000000123456789");
            case "guest-info" -> c.reply("{\"version\": \"7.2.0\", \"supported_commands\": ["
                    + "{\"enabled\": true, \"name\": \"guest-ping\", \"success-response\": true},"
                    + "{\"enabled\": false, \"name\": \"guest-exec\", \"success-response\": true},"
                    + "{\"enabled\": true, \"name\": \"guest-shutdown\", \"success-response\": false}]}");
            case "guest-get-osinfo" -> c.reply("{\"kernel-release\": \"6.1.0-56-cloud-amd64\", \"machine\": \"x86_64\","
                    + " \"id\": \"virga-tiny\"}");
            case "guest-fsfreeze-status" -> c.reply("\"thawed\"");
            case "guest-fsfreeze-freeze", "guest-fsfreeze-thaw" -> c.reply("1");
            case "guest-shutdown" -> {
                // qemu-ga sends nothing on success
            }
            default -> c.error("CommandNotFound", "The command " + request.path("execute").asText() + " has not been found");
        }
    }

    @Test
    void connectSyncsPastStaleRepliesAndGarbageFromAnEarlierClient() throws Exception {
        byte[] stale = "{\"return\": 12345}\ngarbage}{ not json\n{\"return\": {\"half".getBytes(StandardCharsets.UTF_8);
        try (var agent = new FakeGuestAgent(socket(), GuestAgentClientTest::agentLike).staleOnConnect(stale);
             var ga = GuestAgentClient.connect(socket(), CONNECT)) {
            ga.ping();
            assertThat(ga.time()).isEqualTo(Instant.ofEpochSecond(1700000000L, 123456789));
            assertThat(agent.sentinelsReceived.get()).as("0xFF flush before the sync").isGreaterThanOrEqualTo(1);
            assertThat(agent.received).extracting(r -> r.path("execute").asText())
                    .containsExactly("guest-sync-delimited", "guest-ping", "guest-get-time");
        }
    }

    @Test
    void connectKeepsSyncingUntilTheAgentComesUpAndIgnoresTheQueuedSyncReplies() throws Exception {
        var queued = new CopyOnWriteArrayList<JsonNode>();
        try (var agent = new FakeGuestAgent(socket(), (request, c) -> {
            if (request.path("execute").asText().equals("guest-sync-delimited") && queued.size() < 2) {
                queued.add(request); // the guest is not reading yet
                return;
            }
            for (JsonNode old : queued) {
                FakeGuestAgent.answerSync(old, c); // ... then it answers everything that piled up, in order
            }
            queued.clear();
            agentLike(request, c);
        }); var ga = GuestAgentClient.connect(socket(), CONNECT)) {
            assertThat(ga.execute("guest-fsfreeze-status").asText()).isEqualTo("thawed");
            ga.ping();
            assertThat(agent.received.stream().filter(r -> r.path("execute").asText().equals("guest-sync-delimited")))
                    .hasSize(3);
        }
    }

    @Test
    void execRoundTripsBinaryStdinAndOutputThroughBase64() throws Exception {
        byte[] allBytes = new byte[256];
        for (int i = 0; i < allBytes.length; i++) {
            allBytes[i] = (byte) i;
        }
        var polls = new AtomicInteger();
        var exec = new CopyOnWriteArrayList<JsonNode>();
        try (var agent = new FakeGuestAgent(socket(), (request, c) -> {
            switch (request.path("execute").asText()) {
                case "guest-exec" -> {
                    exec.add(request.path("arguments"));
                    c.reply("{\"pid\": 4242}");
                }
                case "guest-exec-status" -> {
                    assertThat(request.path("arguments").path("pid").asInt()).isEqualTo(4242);
                    if (polls.incrementAndGet() < 3) {
                        c.reply("{\"exited\": false}");
                        return;
                    }
                    byte[] stdin = Base64.getDecoder().decode(exec.getFirst().path("input-data").asText());
                    var out = new ByteArrayOutputStream();
                    out.write(allBytes);
                    out.write(stdin);
                    c.reply("{\"exitcode\": 3, \"out-data\": \"" + Base64.getEncoder().encodeToString(out.toByteArray())
                            + "\", \"err-data\": \"" + Base64.getEncoder().encodeToString("warn\n".getBytes()) + "\", \"exited\": true}");
                }
                default -> agentLike(request, c);
            }
        }); var ga = GuestAgentClient.connect(socket(), CONNECT)) {
            byte[] stdin = {0, (byte) 0xFF, '\n', (byte) 0x80};
            ExecStatus status = ga.run(List.of("/bin/sh", "-c", "cat /dev/hw_random; cat"), stdin, Duration.ofSeconds(5));

            assertThat(status.exited()).isTrue();
            assertThat(status.exitCode()).isEqualTo(3);
            assertThat(status.signal()).isEqualTo(-1);
            assertThat(status.succeeded()).isFalse();
            var expected = new ByteArrayOutputStream();
            expected.write(allBytes);
            expected.write(stdin);
            assertThat(status.stdout()).isEqualTo(expected.toByteArray());
            assertThat(status.stderrText()).isEqualTo("warn\n");
            assertThat(polls.get()).isEqualTo(3);
            JsonNode args = exec.getFirst();
            assertThat(args.path("path").asText()).isEqualTo("/bin/sh");
            assertThat(args.path("arg").toString()).isEqualTo("[\"-c\",\"cat /dev/hw_random; cat\"]");
            assertThat(args.path("capture-output").asBoolean()).isTrue();
        }
    }

    @Test
    void runGivesUpNamingTheCommandWhenItNeverExits() throws Exception {
        try (var agent = new FakeGuestAgent(socket(), (request, c) -> {
            switch (request.path("execute").asText()) {
                case "guest-exec" -> c.reply("{\"pid\": 7}");
                case "guest-exec-status" -> c.reply("{\"exited\": false}");
                default -> agentLike(request, c);
            }
        }); var ga = GuestAgentClient.connect(socket(), CONNECT)) {
            assertThatThrownBy(() -> ga.run(List.of("sleep", "1000"), new byte[0], Duration.ofMillis(300)))
                    .isInstanceOf(GuestAgentTimeoutException.class)
                    .hasMessageContaining("[sleep, 1000]").hasMessageContaining("pid 7");
        }
    }

    @Test
    void errorReplyBecomesCommandExceptionWithClass() throws Exception {
        try (var agent = new FakeGuestAgent(socket(), GuestAgentClientTest::agentLike);
             var ga = GuestAgentClient.connect(socket(), CONNECT)) {
            assertThatThrownBy(() -> ga.execute("guest-file-open"))
                    .isInstanceOfSatisfying(GuestAgentCommandException.class, e -> {
                        assertThat(e.command()).isEqualTo("guest-file-open");
                        assertThat(e.errorClass()).isEqualTo("CommandNotFound");
                        assertThat(e.description()).contains("guest-file-open");
                    });
            ga.ping();
        }
    }

    @Test
    void infoOsInfoAndFreezeReadTheAgentsAnswers() throws Exception {
        try (var agent = new FakeGuestAgent(socket(), GuestAgentClientTest::agentLike);
             var ga = GuestAgentClient.connect(socket(), CONNECT)) {
            assertThat(ga.info()).isEqualTo(new GuestInfo("7.2.0", List.of("guest-ping", "guest-shutdown")));
            assertThat(ga.osInfo()).isEqualTo(new GuestOsInfo("virga-tiny", "", "", "", "", "6.1.0-56-cloud-amd64", "", "x86_64"));
            assertThat(ga.fsfreezeStatus()).isEqualTo("thawed");
            assertThat(ga.fsfreezeFreeze()).isEqualTo(1);
            assertThat(ga.fsfreezeThaw()).isEqualTo(1);
        }
    }

    @Test
    void shutdownDoesNotWaitForAReplyThatNeverComesAndTheNextCallResyncs() throws Exception {
        try (var agent = new FakeGuestAgent(socket(), GuestAgentClientTest::agentLike);
             var ga = GuestAgentClient.connect(socket(), CONNECT)) {
            long start = System.nanoTime();
            ga.shutdown("powerdown");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
            ga.ping();
            assertThat(agent.received).extracting(r -> r.path("execute").asText())
                    .containsExactly("guest-sync-delimited", "guest-shutdown", "guest-sync-delimited", "guest-ping");
            assertThat(agent.received.get(1).path("arguments").path("mode").asText()).isEqualTo("powerdown");
        }
    }

    @Test
    void shutdownReportsARefusal() throws Exception {
        try (var agent = new FakeGuestAgent(socket(), (request, c) -> {
            if (request.path("execute").asText().equals("guest-shutdown")) {
                c.error("GenericError", "shutdown not permitted");
            } else {
                agentLike(request, c);
            }
        }); var ga = GuestAgentClient.connect(socket(), CONNECT)) {
            assertThatThrownBy(() -> ga.shutdown("reboot"))
                    .isInstanceOf(GuestAgentCommandException.class).hasMessageContaining("not permitted");
            assertThatThrownBy(() -> ga.shutdown("explode"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("explode");
        }
    }

    @Test
    void aLateReplyAfterATimeoutIsNotTakenForTheNextAnswer() throws Exception {
        try (var agent = new FakeGuestAgent(socket(), (request, c) -> {
            if (request.path("execute").asText().equals("guest-slow")) {
                Thread.ofVirtual().start(() -> {
                    try {
                        Thread.sleep(300);
                    } catch (InterruptedException e) {
                        return;
                    }
                    c.reply("\"late\"");
                });
            } else {
                agentLike(request, c);
            }
        }); var ga = GuestAgentClient.connect(socket(), CONNECT)) {
            assertThatThrownBy(() -> ga.execute("guest-slow", java.util.Map.of(), Duration.ofMillis(100)))
                    .isInstanceOf(GuestAgentTimeoutException.class).hasMessageContaining("guest-slow");
            Thread.sleep(400); // the late reply is now buffered on our side
            assertThat(ga.time()).isEqualTo(Instant.ofEpochSecond(1700000000L, 123456789));
        }
    }

    @Test
    void connectionClosedByQemuFailsCallsWithoutWaitingForTheTimeout() throws Exception {
        try (var agent = new FakeGuestAgent(socket(), (request, c) -> {
            if (request.path("execute").asText().equals("guest-ping")) {
                c.close();
            } else {
                agentLike(request, c);
            }
        }); var ga = GuestAgentClient.connect(socket(), CONNECT)) {
            long start = System.nanoTime();
            assertThatThrownBy(ga::ping).isExactlyInstanceOf(GuestAgentException.class).hasMessageContaining("closed");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        }
    }

    @Test
    void awaitReadyGivesUpAtTheDeadlineNamingTheSocket() {
        long start = System.nanoTime();
        assertThatThrownBy(() -> GuestAgentClient.awaitReady(socket(), Duration.ofMillis(500)))
                .isInstanceOf(GuestAgentTimeoutException.class)
                .hasMessageContaining(socket().toString());
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    void awaitReadyReconnectsUntilTheAgentAnswers() throws Exception {
        long start = System.nanoTime();
        // silent at first, for longer than one try, so awaitReady has to reconnect
        try (var agent = new FakeGuestAgent(socket(), (request, c) -> {
            if (System.nanoTime() - start > 2_300_000_000L) {
                agentLike(request, c);
            }
        }); var ga = GuestAgentClient.awaitReady(socket(), Duration.ofSeconds(10))) {
            ga.ping();
            assertThat(agent.connections.size()).isGreaterThanOrEqualTo(2);
        }
    }
}
