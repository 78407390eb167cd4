package dev.virga.it;

import dev.virga.api.Host;
import dev.virga.client.Json;
import dev.virga.client.VirgaClient;
import dev.virga.server.db.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two real {@code virga server} processes on one PostgreSQL database, a real agent and the real CLI: one server
 * leads, the standby serves reads and refuses writes naming the leader; after a kill -9 of the leader the standby
 * leads within seconds, and a CLI and an agent that were given both URLs carry on.
 */
class LeaderFailoverIT {
    @TempDir
    Path dir;
    private final List<Process> processes = new ArrayList<>();
    private String db;

    @AfterEach
    void stop() throws Exception {
        for (var p : processes) {
            p.destroyForcibly();
            p.waitFor(20, TimeUnit.SECONDS);
        }
        if (db != null) {
            TestPostgres.drop(db);
        }
    }

    @Test
    void theStandbyTakesOverWhenTheLeaderIsKilledAndClientsWithBothUrlsCarryOn() throws Exception {
        db = TestPostgres.createDatabase();
        var a = server("a");
        var first = url("a");
        var b = server("b");
        var second = url("b");

        var infoA = new VirgaClient(URI.create(first)).info();
        var infoB = new VirgaClient(URI.create(second)).info();
        assertThat(infoA.leader()).isTrue();
        assertThat(infoB.leader()).isFalse();
        assertThat(infoB.leaderUrl()).isEqualTo(first);
        // the standby answers reads from the store and refuses writes, naming the leader
        assertThat(cli(second, "host", "list").exit()).isZero();
        var refused = post(second + "/1.0/hosts/tokens");
        assertThat(refused.statusCode()).isEqualTo(503);
        var error = Json.mapper().readTree(refused.body());
        assertThat(error.get("code").asInt()).isEqualTo(503);
        assertThat(error.get("error").asText()).contains("standby").contains(first);
        assertThat(error.get("details").get("leader").asText()).isEqualTo(first);
        var onlyStandby = cli(second, "host", "add-token");
        assertThat(onlyStandby.exit()).isEqualTo(1);
        assertThat(onlyStandby.err()).contains("the leader is " + first);

        // standby first: the CLI and the agent move on to the leader
        var both = second + "," + first;
        var token = cli(both, "host", "add-token");
        assertThat(token.exit()).as(token.toString()).isZero();
        start("agent", "--server", both, "--token", token.out().strip(), "--data", dir.resolve("h1").toString(),
                "--name", "h1", "--accel", "tcg");
        var reader = new VirgaClient(URI.create(second));
        await().atMost(Duration.ofSeconds(60)).until(() -> online(reader).contains("h1"));
        // the agent has the join's answer (its membership): the server may show it online before that, and a leader
        // killed before the agent read the answer loses it (the agent then exits, asking for a new token)
        await().atMost(Duration.ofSeconds(60)).until(() -> log("agent").contains("joined"));

        // kill -9 the leader: the standby leads within seconds
        long killed = System.nanoTime();
        a.destroyForcibly();
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50)).until(() -> reader.info().leader());
        System.out.printf("failover: standby leads %d ms after kill -9 of the leader%n",
                (System.nanoTime() - killed) / 1_000_000);
        assertThat(reader.info().leaderUrl()).isEqualTo(second);

        // a CLI given both URLs, the dead one first, keeps working: reads and writes
        var dead = first + "," + second;
        var list = cli(dead, "list");
        assertThat(list.exit()).as(list.toString()).isZero();
        assertThat(list.out()).startsWith("NAME");
        var again = cli(dead, "host", "add-token");
        assertThat(again.exit()).as(again.toString()).isZero();
        assertThat(again.out().strip()).matches("[0-9a-f]{48}");
        // the new leader polls the host: it stays online and is seen anew
        var seen = reader.hosts().getFirst().lastSeen();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> reader.hosts().getFirst().lastSeen().isAfter(seen));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("the new leader did not see h1 within 30 s (last seen " + seen + "); "
                    + "server log (both servers):\n" + tail(log("server")) + "\nagent log:\n" + tail(log("agent")), e);
        }
        assertThat(online(reader)).containsExactly("h1");

        // the old leader, restarted, stands by and names the new one
        server("a");
        var back = new VirgaClient(URI.create(url("a"))).info();
        assertThat(back.leader()).isFalse();
        assertThat(back.leaderUrl()).isEqualTo(second);
        b.destroy();
        assertThat(b.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    private static List<String> online(VirgaClient client) {
        return client.hosts().stream().filter(h -> h.state().equals("online")).map(Host::name).toList();
    }

    /** Starts {@code virga server} on the shared database and waits until it answers. */
    private Process server(String name) throws Exception {
        Files.deleteIfExists(dir.resolve(name).resolve("server.json"));
        var p = start("server", "--data", dir.resolve(name).toString(), "--port", "0", "--db", db);
        await().atMost(Duration.ofSeconds(60)).until(() -> !p.isAlive() || Files.exists(dir.resolve(name)
                .resolve("server.json")));
        assertThat(p.isAlive()).as("virga server %s: %s", name, log("server")).isTrue();
        return p;
    }

    private String url(String name) throws Exception {
        return Json.mapper().readTree(dir.resolve(name).resolve("server.json").toFile()).path("url").asText();
    }

    private static String tail(String log) {
        var lines = log.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size()));
    }

    private String log(String kind) {
        try {
            return Files.readString(dir.resolve(kind + ".log"));
        } catch (java.io.IOException e) {
            return "(no log)";
        }
    }

    private Process start(String... args) throws Exception {
        var cmd = new ArrayList<>(List.of(VirgaUp.java(), "-XX:+UseSerialGC", "-jar", VirgaUp.JAR.toString()));
        cmd.addAll(List.of(args));
        var p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(args[0] + ".log").toFile())).start();
        processes.add(p);
        return p;
    }

    private CliResult cli(String urls, String... args) throws Exception {
        var cmd = new ArrayList<>(List.of(VirgaUp.java(), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar",
                VirgaUp.JAR.toString()));
        cmd.addAll(List.of(args));
        var pb = new ProcessBuilder(cmd);
        pb.environment().put("VIRGA_URL", urls);
        var err = Files.createTempFile(dir, "err", ".txt");
        var p = pb.redirectError(err.toFile()).start();
        var out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        return new CliResult(p.exitValue(), out, Files.readString(err));
    }

    private static HttpResponse<String> post(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }
}
