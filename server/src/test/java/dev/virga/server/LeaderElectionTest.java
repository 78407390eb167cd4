package dev.virga.server;

import static dev.virga.server.ControlPlane.errorShape;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.virga.api.OperationStatus;
import dev.virga.client.ApiException;
import dev.virga.client.VirgaClient;
import dev.virga.server.db.TestStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real servers on one PostgreSQL store (PostgreSQL run only; SQLite has one server): exactly one leads, the
 * standby serves reads and refuses writes with 503 naming the leader, and takes over when the leader goes or loses
 * its lock, doing what a starting server does.
 */
class LeaderElectionTest {
    private static final Duration TAKEOVER = Duration.ofSeconds(10);
    @TempDir
    Path dir;
    private TestStore store;
    private FakeAgent agent;
    private final List<VirgaServer> servers = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void openStore() {
        store = TestStore.postgres(dir);
        agent = new FakeAgent();
    }

    @AfterEach
    void stopAll() {
        servers.forEach(VirgaServer::close);
        agent.close();
        store.close();
    }

    private VirgaServer start(String name) {
        var server = VirgaServer.start(new ServerConfig(dir.resolve(name), store.jdbcUrl(), "127.0.0.1", 0,
                ControlPlane.RECONCILE));
        servers.add(server);
        server.startReconciling();
        return server;
    }

    @Test
    void oneLeadsTheStandbyServesReadsAndRefusesWritesNamingTheLeader() throws Exception {
        var leader = start("a");
        leader.attachHost("local", agent.url(), FakeAgent.TOKEN);
        var standby = start("b");

        assertThat(leader.leading()).isTrue();
        assertThat(standby.leading()).isFalse();
        assertThat(leader.reconciling()).isTrue();
        assertThat(standby.reconciling()).as("background work runs on the leader only").isFalse();
        var info = new VirgaClient(standby.url()).info();
        assertThat(info.leader()).isFalse();
        assertThat(info.leaderUrl()).isEqualTo(leader.url().toString());
        assertThat(new VirgaClient(leader.url()).info().leader()).isTrue();
        // reads come from the store
        assertThat(new VirgaClient(standby.url()).hosts()).singleElement()
                .satisfies(h -> assertThat(h.name()).isEqualTo("local"));

        for (var write : List.of(send(standby, "POST", "/1.0/hosts/tokens"),
                send(standby, "PUT", "/1.0/instances/vm1/state"), send(standby, "DELETE", "/1.0/images/tiny"),
                send(standby, "GET", "/1.0/events/stream"))) {
            var json = errorShape(write, 503);
            assertThat(json.get("error").asText()).contains("standby").contains(leader.url().toString());
            assertThat(json.get("details").get("leader").asText()).isEqualTo(leader.url().toString());
        }
        var console = new VirgaClient(standby.url()).console("vm1", new WebSocket.Listener() { });
        assertThatThrownBy(console::join).isInstanceOf(CompletionException.class)
                .cause().isInstanceOfSatisfying(WebSocketHandshakeException.class,
                        e -> assertThat(e.getResponse().statusCode()).isEqualTo(503));

        // a client that knows both servers moves on from the standby to the leader
        var both = new VirgaClient(List.of(standby.url(), leader.url()));
        assertThat(both.addJoinToken(Duration.ofMinutes(5)).token()).isNotBlank();
        assertThat(both.base()).isEqualTo(leader.url());
        // one that knows only the standby is told where the leader is
        assertThatThrownBy(() -> new VirgaClient(standby.url()).addJoinToken(Duration.ofMinutes(5)))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo(503);
                    assertThat(e.getMessage()).contains("the leader is " + leader.url());
                });
    }

    @Test
    void whenTheLeaderStopsTheStandbyTakesOverFailsWhatWasLeftRunningAndReconciles() {
        var first = start("a");
        first.attachHost("local", agent.url(), FakeAgent.TOKEN);
        var second = start("b");
        // an operation the leader was running when it went
        long now = System.currentTimeMillis();
        store.jdbi().useHandle(h -> h.execute("INSERT INTO operations (id, kind, target, status, created_at, "
                + "updated_at) VALUES ('left-running', 'launch', 'vm9', 'RUNNING', " + now + ", " + now + ")"));
        var client = new VirgaClient(List.of(first.url(), second.url()));
        assertThat(client.operation("left-running").status()).isEqualTo(OperationStatus.RUNNING);

        first.close();
        await().atMost(TAKEOVER).pollInterval(Duration.ofMillis(50)).until(second::leading);

        assertThat(client.info().leaderUrl()).isEqualTo(second.url().toString());
        assertThat(second.reconciling()).isTrue();
        var failed = client.operation("left-running");
        assertThat(failed.status()).isEqualTo(OperationStatus.FAILURE);
        assertThat(failed.error()).contains("interrupted");
        // the new leader's reconcile loop asks the host, and it takes writes
        int asked = agent.reportsAsked();
        await().atMost(TAKEOVER).until(() -> agent.reportsAsked() > asked + 1);
        assertThat(client.addJoinToken(Duration.ofMinutes(5)).token()).isNotBlank();
        assertThat(client.base()).isEqualTo(second.url());

        // the old leader, back, stands by and names the new one
        var again = start("a2");
        assertThat(again.leading()).isFalse();
        assertThat(new VirgaClient(again.url()).info().leaderUrl()).isEqualTo(second.url().toString());
    }

    @Test
    void aLeaderWhoseLockConnectionDiesStandsByAndTheOtherTakesOver() {
        var first = start("a");
        first.attachHost("local", agent.url(), FakeAgent.TOKEN);
        var second = start("b");

        // as when the network between the leader and PostgreSQL breaks: its session, and so the lock, is gone
        store.jdbi().useHandle(h -> h.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                + "WHERE application_name = 'virga-leader-lock' AND datname = current_database()"));

        await().atMost(TAKEOVER).pollInterval(Duration.ofMillis(50))
                .until(() -> second.leading() && !first.leading());
        errorShape(send(first, "POST", "/1.0/hosts/tokens"), 503);
        // only the new leader runs the reconcile loop
        assertThat(first.reconciling()).isFalse();
        assertThat(second.reconciling()).isTrue();
        assertThat(new VirgaClient(second.url()).addJoinToken(Duration.ofMinutes(5)).token()).isNotBlank();
    }

    private HttpResponse<String> send(VirgaServer server, String method, String path) {
        var request = HttpRequest.newBuilder(URI.create(server.url() + path)).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString("{}")).build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
