package dev.virga.qemu.qmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(20)
class QmpClientTest {
    private static final Duration CONNECT = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private Path socket() {
        return dir.resolve("qmp.sock");
    }

    /** The common script: echo, status, quit as QEMU does it, an error, a command that never answers. */
    private static void qemuLike(JsonNode request, FakeQmpServer.Connection c) throws Exception {
        switch (request.path("execute").asText()) {
            case "query-status" -> c.reply(request, "{\"status\": \"prelaunch\", \"singlestep\": false, \"running\": false}");
            case "echo" -> c.reply(request, request.path("arguments").toString());
            case "cont" -> {
                c.event("RESUME", "{}"); // QEMU sends the event before the reply
                c.reply(request, "{}");
            }
            case "quit" -> {
                c.event("SHUTDOWN", "{\"guest\": false, \"reason\": \"host-qmp-quit\"}");
                c.reply(request, "{}");
                c.close();
            }
            case "device_del" -> c.error(request, "DeviceNotFound", "Device 'nope' not found");
            case "hang-up" -> c.close();
            case "never" -> {
                // no reply at all
            }
            default -> c.error(request, "CommandNotFound", "The command " + request.path("execute").asText() + " has not been found");
        }
    }

    @Test
    void connectReadsGreetingNegotiatesCapabilitiesAndRunsCommands() throws Exception {
        try (var server = new FakeQmpServer(socket(), QmpClientTest::qemuLike);
             var qmp = QmpClient.connect(socket(), CONNECT)) {
            assertThat(qmp.version()).isEqualTo(new QmpVersion(7, 2, 22, "Debian 1:7.2+dfsg-7+deb12u18+b3"));
            assertThat(qmp.status()).isEqualTo("prelaunch");
            assertThat(qmp.execute("echo", Map.of("a", 1, "b", List.of("x", "y"))))
                    .isEqualTo(FakeQmpServer.JSON.readTree("{\"a\":1,\"b\":[\"x\",\"y\"]}"));
            assertThat(server.received.get(0).path("execute").asText()).isEqualTo("qmp_capabilities");
            assertThat(server.received).allSatisfy(r -> assertThat(r.path("id").asText()).isNotEmpty());
            assertThat(server.received.stream().map(r -> r.path("id").asText()).distinct()).hasSize(server.received.size());
            assertThat(qmp.isOpen()).isTrue();
        }
    }

    @Test
    void connectRetriesUntilQemuHasCreatedTheSocket() throws Exception {
        Thread late = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(300);
                new FakeQmpServer(socket(), QmpClientTest::qemuLike);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        try (var qmp = QmpClient.connect(socket(), CONNECT)) {
            assertThat(qmp.status()).isEqualTo("prelaunch");
        }
        late.join();
    }

    @Test
    void connectTimesOutNamingTheSocket() {
        long start = System.nanoTime();
        assertThatThrownBy(() -> QmpClient.connect(socket(), Duration.ofMillis(200)))
                .isInstanceOf(QmpTimeoutException.class)
                .hasMessageContaining(socket().toString());
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void errorReplyBecomesCommandExceptionWithClassAndDescription() throws Exception {
        try (var server = new FakeQmpServer(socket(), QmpClientTest::qemuLike);
             var qmp = QmpClient.connect(socket(), CONNECT)) {
            assertThatThrownBy(() -> qmp.execute("device_del", Map.of("id", "nope")))
                    .isInstanceOfSatisfying(QmpCommandException.class, e -> {
                        assertThat(e.command()).isEqualTo("device_del");
                        assertThat(e.errorClass()).isEqualTo("DeviceNotFound");
                        assertThat(e.description()).isEqualTo("Device 'nope' not found");
                    })
                    .hasMessageContaining("device_del").hasMessageContaining("DeviceNotFound");
            assertThat(qmp.status()).isEqualTo("prelaunch"); // the connection is still fine
        }
    }

    @Test
    void eventThatArrivesBeforeTheReplyIsNotMissed() throws Exception {
        try (var server = new FakeQmpServer(socket(), QmpClientTest::qemuLike);
             var qmp = QmpClient.connect(socket(), CONNECT)) {
            List<QmpEvent> seen = new CopyOnWriteArrayList<>();
            var allEvents = new CountDownLatch(1);
            try (var subscription = qmp.onEvent(e -> {
                seen.add(e);
                allEvents.countDown();
            })) {
                EventWaiter resumed = qmp.expectEvent(e -> e.is("RESUME"));
                qmp.cont();
                QmpEvent event = resumed.await(Duration.ofSeconds(2));
                assertThat(event.name()).isEqualTo("RESUME");
                assertThat(event.timestamp()).isEqualTo(Instant.ofEpochSecond(1700000000, 250_000_000));
                assertThat(allEvents.await(2, TimeUnit.SECONDS)).isTrue();
                assertThat(seen).extracting(QmpEvent::name).containsExactly("RESUME");
            }
        }
    }

    @Test
    void listenersMayRunCommandsThemselves() throws Exception {
        try (var server = new FakeQmpServer(socket(), QmpClientTest::qemuLike);
             var qmp = QmpClient.connect(socket(), CONNECT)) {
            var statusFromListener = new java.util.concurrent.CompletableFuture<String>();
            qmp.onEvent(e -> statusFromListener.complete(qmp.status()));
            qmp.cont();
            assertThat(statusFromListener.get(2, TimeUnit.SECONDS)).isEqualTo("prelaunch");
        }
    }

    @Test
    void eofFailsPendingCallsAtOnceAndCompletesClosed() throws Exception {
        try (var server = new FakeQmpServer(socket(), QmpClientTest::qemuLike);
             var qmp = QmpClient.connect(socket(), CONNECT)) {
            Future<JsonNode> stuck = Executors.newVirtualThreadPerTaskExecutor().submit(() -> qmp.execute("never"));
            EventWaiter waiter = qmp.expectEvent(e -> e.is("NEVER"));
            Thread.sleep(100);
            long start = System.nanoTime();
            assertThatThrownBy(() -> qmp.execute("hang-up")).isInstanceOf(QmpClosedException.class);
            assertThatThrownBy(stuck::get).hasCauseInstanceOf(QmpClosedException.class);
            assertThatThrownBy(() -> waiter.await(Duration.ofSeconds(10))).isInstanceOf(QmpClosedException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
            qmp.closed().get(1, TimeUnit.SECONDS);
            assertThat(qmp.isOpen()).isFalse();
            assertThatThrownBy(qmp::status).isInstanceOf(QmpClosedException.class);
        }
    }

    @Test
    void quitToleratesEofRightAfterTheReplyAndEvenBeforeIt() throws Exception {
        try (var server = new FakeQmpServer(socket(), QmpClientTest::qemuLike);
             var qmp = QmpClient.connect(socket(), CONNECT)) {
            EventWaiter shutdown = qmp.expectEvent(e -> e.is("SHUTDOWN"));
            qmp.quit();
            assertThat(shutdown.await(Duration.ofSeconds(1)).data().path("reason").asText()).isEqualTo("host-qmp-quit");
            qmp.closed().get(2, TimeUnit.SECONDS);
        }
        try (var server = new FakeQmpServer(socket(), (request, c) -> c.close());
             var qmp = QmpClient.connect(socket(), CONNECT)) {
            qmp.quit(); // QEMU gone before it answered: still what quit asked for
            assertThat(qmp.isOpen()).isFalse();
        }
    }

    @Test
    void timeoutLeavesTheConnectionUsableAndDropsTheLateReply() throws Exception {
        var late = new CopyOnWriteArrayList<JsonNode>();
        try (var server = new FakeQmpServer(socket(), (request, c) -> {
            if (request.path("execute").asText().equals("slow")) {
                late.add(request);
            } else {
                for (JsonNode old : late) {
                    c.reply(old, "\"late\""); // the answer to the call that already timed out
                }
                late.clear();
                qemuLike(request, c);
            }
        }); var qmp = QmpClient.connect(socket(), CONNECT)) {
            assertThatThrownBy(() -> qmp.execute("slow", Map.of(), Duration.ofMillis(150)))
                    .isInstanceOf(QmpTimeoutException.class)
                    .hasMessageContaining("slow");
            assertThat(qmp.status()).isEqualTo("prelaunch");
        }
    }

    @Test
    void concurrentCallsEachGetTheirOwnReplyEvenWhenAnsweredOutOfOrder() throws Exception {
        try (var server = new FakeQmpServer(socket(), (request, c) -> {
            // answer each call after a random delay, from its own thread: replies come out of order
            Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(java.util.concurrent.ThreadLocalRandom.current().nextInt(4));
                } catch (InterruptedException e) {
                    return;
                }
                c.reply(request, request.path("arguments").toString());
            });
        }); var qmp = QmpClient.connect(socket(), CONNECT)) {
            int threads = 8;
            int calls = 40;
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    results.add(pool.submit(() -> {
                        for (int i = 0; i < calls; i++) {
                            JsonNode back = qmp.execute("echo", Map.of("thread", thread, "call", i));
                            assertThat(back.path("thread").asInt()).isEqualTo(thread);
                            assertThat(back.path("call").asInt()).isEqualTo(i);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : results) {
                    f.get(15, TimeUnit.SECONDS);
                }
            }
        }
    }

    @Test
    void readsObjectsSplitAcrossWritesSeveralPerWriteAndLargeOnes() throws Exception {
        String big = "x".repeat(3 * 1024 * 1024);
        try (var server = new FakeQmpServer(socket(), (request, c) -> {
            switch (request.path("execute").asText()) {
                case "split" -> {
                    String whole = FakeQmpServer.replyLine(request, "{\"text\": \"h\\u00e9llo \\\"quoted\\\" }{\"}");
                    for (int i = 0; i < whole.length(); i += 7) {
                        c.send(whole.substring(i, Math.min(whole.length(), i + 7)));
                        Thread.sleep(2);
                    }
                }
                case "bundle" -> c.send(FakeQmpServer.eventLine("A", "{\"n\": 1}") + FakeQmpServer.eventLine("B", "{}")
                        + FakeQmpServer.replyLine(request, "[1, 2, 3]"));
                case "big" -> c.reply(request, "{\"blob\": \"" + big + "\"}");
                default -> qemuLike(request, c);
            }
        }); var qmp = QmpClient.connect(socket(), CONNECT)) {
            assertThat(qmp.execute("split").path("text").asText()).isEqualTo("héllo \"quoted\" }{");
            EventWaiter b = qmp.expectEvent(e -> e.is("B"));
            assertThat(qmp.execute("bundle").toString()).isEqualTo("[1,2,3]");
            assertThat(b.await(Duration.ofSeconds(1)).name()).isEqualTo("B");
            assertThat(qmp.execute("big").path("blob").asText()).hasSize(big.length());
        }
    }

    @Test
    void awaitEventTimesOutWhenNothingMatches() throws Exception {
        try (var server = new FakeQmpServer(socket(), QmpClientTest::qemuLike);
             var qmp = QmpClient.connect(socket(), CONNECT)) {
            assertThatThrownBy(() -> qmp.awaitEvent(e -> e.is("NOTHING"), Duration.ofMillis(100)))
                    .isInstanceOf(QmpTimeoutException.class);
        }
    }

    @Test
    void closeEndsTheConnectionAndFailsLaterCalls() throws Exception {
        try (var server = new FakeQmpServer(socket(), QmpClientTest::qemuLike)) {
            var qmp = QmpClient.connect(socket(), CONNECT);
            qmp.close();
            qmp.closed().get(1, TimeUnit.SECONDS);
            assertThatThrownBy(qmp::status).isInstanceOf(QmpClosedException.class).hasMessageContaining("closed");
        }
    }

    @Test
    void interruptedCallerDoesNotBreakTheSharedConnection() throws Exception {
        try (var server = new FakeQmpServer(socket(), QmpClientTest::qemuLike);
             var qmp = QmpClient.connect(socket(), CONNECT)) {
            Thread caller = Thread.ofVirtual().start(() -> {
                Thread.currentThread().interrupt();
                try {
                    qmp.status();
                } catch (QmpException expected) {
                    // interrupted while waiting is fine
                }
            });
            caller.join();
            assertThat(qmp.status()).isEqualTo("prelaunch");
        }
    }
}
