package dev.virga.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A client given several servers moves on only when a server is down or is a standby, and stays with the leader. */
class FailoverTest {
    private static final String TOKEN_JSON = "{\"token\":\"t\",\"expiresAt\":\"2030-01-01T00:00:00Z\"}";
    private final List<HttpServer> servers = new CopyOnWriteArrayList<>();
    private final List<String> seen = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(s -> s.stop(0));
    }

    /** A server that answers every request with {@code status} and {@code body}, recording that it was asked. */
    private URI server(String name, int status, String body) throws IOException {
        var s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s.createContext("/", ex -> {
            seen.add(name + " " + ex.getRequestMethod() + " " + ex.getRequestURI());
            var bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(status, bytes.length);
            ex.getResponseBody().write(bytes);
            ex.close();
        });
        s.start();
        servers.add(s);
        return URI.create("http://127.0.0.1:" + s.getAddress().getPort());
    }

    private static URI nothingListening() throws IOException {
        try (var s = new ServerSocket(0)) {
            return URI.create("http://127.0.0.1:" + s.getLocalPort());
        }
    }

    private static String notLeader(URI leader) {
        return "{\"error\":\"this server is a standby; the leader is " + leader + "\",\"code\":503,"
                + "\"details\":{\"leader\":\"" + leader + "\"}}";
    }

    @Test
    void aDeadServerAndAStandbyArePassedOverAndTheLeaderIsKept() throws IOException {
        var dead = nothingListening();
        var leader = server("leader", 201, TOKEN_JSON);
        var standby = server("standby", 503, notLeader(leader));
        var client = new VirgaClient(List.of(dead, standby, leader));

        assertThat(client.addJoinToken(Duration.ofMinutes(1)).token()).isEqualTo("t");
        assertThat(client.base()).isEqualTo(leader);
        assertThat(client.addJoinToken(Duration.ofMinutes(1)).token()).isEqualTo("t");

        assertThat(seen).containsExactly("standby POST /1.0/hosts/tokens?ttl=60", "leader POST /1.0/hosts/tokens?ttl=60",
                "leader POST /1.0/hosts/tokens?ttl=60");
    }

    @Test
    void anotherErrorIsTheAnswerAndNoOtherServerIsAsked() throws IOException {
        var first = server("first", 503, "{\"error\":\"host h1 cannot be reached\",\"code\":503,\"details\":{}}");
        var second = server("second", 201, TOKEN_JSON);
        var client = new VirgaClient(List.of(first, second));

        assertThatThrownBy(() -> client.addJoinToken(Duration.ofMinutes(1))).isInstanceOfSatisfying(
                ApiException.class, e -> assertThat(e.getMessage()).isEqualTo("host h1 cannot be reached"));
        assertThat(seen).containsExactly("first POST /1.0/hosts/tokens?ttl=60");
    }

    @Test
    void withOneServerAStandbySaysWhereTheLeaderIs() throws IOException {
        var leader = URI.create("http://127.0.0.1:1");
        var client = new VirgaClient(List.of(server("standby", 503, notLeader(leader))));

        assertThatThrownBy(() -> client.addJoinToken(Duration.ofMinutes(1))).isInstanceOfSatisfying(
                ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo(503);
                    assertThat(e.getMessage()).contains("the leader is http://127.0.0.1:1");
                });
    }

    @Test
    void urlListsAreCheckedNamingTheOption() {
        assertThat(ServerUrls.parse("--url", " http://a:1 , http://b:2,")).containsExactly(URI.create("http://a:1"),
                URI.create("http://b:2"));
        assertThatThrownBy(() -> ServerUrls.parse("--url", "http://a:1,b:2"))
                .hasMessage("--url: 'b:2' is not http://HOST:PORT");
        assertThatThrownBy(() -> ServerUrls.parse("--server", " , ")).hasMessage("--server: no server URL given");
    }
}
