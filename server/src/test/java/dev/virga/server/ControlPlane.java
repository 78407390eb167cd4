package dev.virga.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virga.api.Event;
import dev.virga.api.Instance;
import dev.virga.api.LaunchRequest;
import dev.virga.api.Operation;
import dev.virga.api.OperationStatus;
import dev.virga.client.Json;
import dev.virga.client.VirgaClient;
import dev.virga.server.db.TestStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;
import org.jdbi.v3.core.Jdbi;

/**
 * A real server (a fresh {@link TestStore}: SQLite in a temporary directory, or a new PostgreSQL database in the
 * PostgreSQL run; HTTP on a free port, reconciling every 200 ms) attached to one {@link FakeAgent} as host
 * {@code local}, with the {@code tiny} image built through the public API.
 */
final class ControlPlane implements AutoCloseable {
    static final Duration RECONCILE = Duration.ofMillis(200);
    private final Path dir;
    private final TestStore store;
    final FakeAgent agent;
    private VirgaServer server;
    private VirgaClient client;
    private final HttpClient raw = HttpClient.newHttpClient();

    private ControlPlane() throws IOException {
        dir = Files.createTempDirectory("virga-server-test");
        store = TestStore.create(dir);
        agent = new FakeAgent();
    }

    static ControlPlane start() throws IOException {
        var plane = new ControlPlane();
        try {
            plane.startServer();
            plane.server.attachHost("local", plane.agent.url(), FakeAgent.TOKEN);
            plane.server.startReconciling();
            var built = plane.client.await(plane.client.buildImage("tiny"), op -> { });
            assertThat(built.status()).as(built.error()).isEqualTo(OperationStatus.SUCCESS);
            return plane;
        } catch (RuntimeException | Error e) {
            plane.close();
            throw e;
        }
    }

    private void startServer() {
        server = VirgaServer.start(new ServerConfig(dir, store.jdbcUrl(), "127.0.0.1", 0, RECONCILE));
        client = new VirgaClient(server.url());
    }

    /** Stops the server and starts a new one over the same data directory, as after a crash or an upgrade. */
    void restart() {
        stop();
        startAgain();
    }

    /** Only stops the server (to change its store behind its back before {@link #startAgain()}). */
    void stop() {
        server.close();
    }

    void startAgain() {
        startServer();
        server.startReconciling();
    }

    /** Attaches the fake agent once more, under another host name and with {@code token}. */
    void attachAgain(String host, String token) {
        server.attachHost(host, agent.url(), token);
    }

    VirgaClient client() {
        return client;
    }

    /** The server's store, opened as a second process would (only while the server is stopped, for writes). */
    Jdbi store() {
        return store.jdbi();
    }

    VirgaServer server() {
        return server;
    }

    /**
     * Launches {@code name} from tiny through the public API, waits until the launch ends successfully and the
     * reconcile loop has seen the result (see {@link #settle()}).
     */
    Instance launched(String name) {
        var done = client.await(client.launch(new LaunchRequest(name, "tiny", null, null, null)), op -> { });
        assertThat(done.status()).as("launch of %s: %s", name, done.error()).isEqualTo(OperationStatus.SUCCESS);
        settle();
        return client.instance(name);
    }

    /**
     * Waits until a reconcile pass that asked the host after this call has been applied. Needed after an operation
     * because a pass that asked before the operation ended may apply its stale report afterwards (the main-code
     * bug {@link StaleReportTest} shows); on a loaded machine that made an instance an error for one period.
     */
    void settle() {
        int asked = agent.reportsAsked();
        await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10))
                .until(() -> agent.reportsAsked() >= asked + 2);
    }

    /**
     * Waits for the event {@code type} on {@code target} (an event is written just after the change it reports, and
     * an operation's end event just after the operation ended).
     */
    Event event(String type, String target) {
        return event(type, target, 0);
    }

    /** The first event {@code type} on {@code target} with an id above {@code after}, once it is there. */
    Event event(String type, String target, long after) {
        return await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20))
                .until(() -> client.events(after).stream()
                        .filter(e -> e.type().equals(type) && e.target().equals(target)).findFirst(),
                        Optional::isPresent)
                .orElseThrow();
    }

    Operation ended(Operation op) {
        return client.await(op, o -> { });
    }

    HttpResponse<String> http(String method, String path, String body) {
        var request = HttpRequest.newBuilder(server.url().resolve(path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))
                .build();
        try {
            return raw.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Checks that {@code response} is the one error shape with {@code code}, and returns it. */
    static JsonNode errorShape(HttpResponse<String> response, int code) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(code);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/json"));
        JsonNode json;
        try {
            json = Json.mapper().readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + response.body(), e);
        }
        var fields = new ArrayList<String>();
        json.fieldNames().forEachRemaining(fields::add);
        assertThat(fields).containsExactlyInAnyOrder("error", "code", "details");
        assertThat(json.get("code").asInt()).isEqualTo(code);
        assertThat(json.get("error").asText()).isNotBlank();
        assertThat(json.get("details").isObject()).isTrue();
        assertThat(response.body()).as("no stack trace on the wire").doesNotContain("\tat ", "Exception");
        return json;
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
        agent.close();
        store.close();
        // the reconcile loop and operations end on their own threads; a late write may recreate a file, so retry
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).ignoreExceptions()
                .until(this::deleteDir);
    }

    private boolean deleteDir() throws IOException {
        if (!Files.exists(dir)) {
            return true;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (var p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
        return !Files.exists(dir);
    }
}
