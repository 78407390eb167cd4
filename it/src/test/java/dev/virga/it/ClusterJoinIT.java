package dev.virga.it;

import dev.virga.api.Host;
import dev.virga.api.LaunchRequest;
import dev.virga.api.OperationStatus;
import dev.virga.client.Json;
import dev.virga.client.VirgaClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A control plane and two hosts as separate real processes on this machine: hosts join with one-use tokens, a
 * killed agent goes offline and comes back with its secret, and a VM launches on a joined host.
 */
class ClusterJoinIT {
    @TempDir
    Path dir;
    final List<Process> processes = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (var p : processes) {
            p.destroy();
            p.waitFor(20, TimeUnit.SECONDS);
        }
        var left = ProcessHandle.allProcesses().filter(p -> p.info().commandLine()
                .map(c -> c.contains("qemu-system") && c.contains(dir + "/")).orElse(false)).toList();
        left.forEach(ProcessHandle::destroyForcibly);
        assertThat(left).as("QEMU left behind").isEmpty();
    }

    @Test
    void hostsJoinWithOneUseTokensGoOfflineAndComeBack() throws Exception {
        var server = start("server", "--data", dir.resolve("server").toString(), "--port", "0");
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(dir.resolve("server/server.json")));
        var url = Json.mapper().readTree(dir.resolve("server/server.json").toFile()).path("url").asText();
        var client = new VirgaClient(URI.create(url));

        var token = cli(url, "host", "add-token");
        assertThat(token.exit()).isZero();
        var t1 = token.out().strip();
        var t2 = cli(url, "host", "add-token").out().strip();
        var h1 = start("agent", "--server", url, "--token", t1, "--data", dir.resolve("h1").toString(), "--name", "h1",
                "--accel", "tcg");
        start("agent", "--server", url, "--token", t2, "--data", dir.resolve("h2").toString(), "--name", "h2",
                "--accel", "tcg");
        await().atMost(Duration.ofSeconds(60)).until(() -> online(client).size() == 2);
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(dir.resolve("h1/membership.json")));

        // a used token and a made-up one are refused, and nothing joins
        var reused = cli(url, "agent", "--server", url, "--token", t1, "--data", dir.resolve("h3").toString(),
                "--name", "h3", "--accel", "tcg");
        assertThat(reused.exit()).isEqualTo(1);
        assertThat(reused.err()).contains("token: the join token is unknown, already used or expired");
        var bogus = cli(url, "agent", "--server", url, "--token", "bogus", "--data", dir.resolve("h4").toString(),
                "--name", "h4", "--accel", "tcg");
        assertThat(bogus.exit()).isEqualTo(1);
        assertThat(client.hosts()).extracting(Host::name).containsExactly("h1", "h2");

        // a VM on a joined host, through the public API
        SharedImage.linkInto(dir.resolve("h1"));
        SharedImage.linkInto(dir.resolve("h2"));
        var build = cli(url, "image", "build", "tiny");
        assertThat(build.exit()).as(build.toString()).isZero();
        var launch = client.await(client.launch(new LaunchRequest("vm1", "tiny", null, null, "")), o -> { });
        assertThat(launch.status()).as(launch.error()).isEqualTo(OperationStatus.SUCCESS);
        assertThat(client.instance("vm1").host()).isEqualTo("h1");
        assertThat(String.valueOf(launch.result().get("placement"))).startsWith("h1: score").contains("h2: score");
        assertThat(cli(url, "exec", "vm1", "--", "hostname").out()).isEqualTo("vm1\n");

        // the default weight spreads: two equal hosts take turns
        var ops = List.of("vm2", "vm3", "vm4").stream()
                .map(n -> client.launch(new LaunchRequest(n, "tiny", null, null, ""))).toList();
        for (var op : ops) {
            var done = client.await(op, o -> { });
            assertThat(done.status()).as(done.error()).isEqualTo(OperationStatus.SUCCESS);
        }
        assertThat(client.instances()).extracting(i -> i.host()).containsExactlyInAnyOrder("h1", "h1", "h2", "h2");
        for (var n : List.of("vm2", "vm3", "vm4")) {
            assertThat(client.await(client.delete(n, true), o -> { }).status()).isEqualTo(OperationStatus.SUCCESS);
        }

        // explainable placement: a dry run makes nothing; --target places explicitly
        var dry = cli(url, "launch", "tiny", "probe", "--dry-run");
        assertThat(dry.exit()).as(dry.toString()).isZero();
        assertThat(dry.out()).containsPattern("h1\\s+fits, score").containsPattern("h2\\s+fits, score")
                .contains("probe would go to h2");
        var huge = cli(url, "launch", "tiny", "probe", "--memory", "4096G", "--dry-run");
        assertThat(huge.exit()).isEqualTo(1);
        assertThat(huge.out()).contains("rejected: not enough memory").contains("no host can take probe");
        assertThat(client.instances()).extracting(i -> i.name()).containsExactly("vm1");
        var targeted = cli(url, "launch", "tiny", "pinned", "--target", "h1");
        assertThat(targeted.exit()).as(targeted.toString()).isZero();
        assertThat(client.instance("pinned").host()).isEqualTo("h1");
        var nowhere = cli(url, "launch", "tiny", "lost", "--target", "nope");
        assertThat(nowhere.exit()).isEqualTo(1);
        assertThat(nowhere.err()).contains("host 'nope' not found");
        assertThat(client.await(client.delete("pinned", true), o -> { }).status()).isEqualTo(OperationStatus.SUCCESS);

        // kill -9 the agent: its host goes offline, its VM keeps running; restarted, it rejoins by its secret
        h1.destroyForcibly();
        h1.waitFor(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(5)).until(() -> !online(client).contains("h1"));
        var again = start("agent", "--server", url, "--data", dir.resolve("h1").toString(), "--accel", "tcg");
        await().atMost(Duration.ofSeconds(60)).until(() -> online(client).contains("h1"));
        assertThat(again.isAlive()).isTrue();
        assertThat(cli(url, "exec", "vm1", "--", "hostname").out()).isEqualTo("vm1\n");
        assertThat(client.await(client.delete("vm1", true), o -> { }).status()).isEqualTo(OperationStatus.SUCCESS);
        server.destroy();
    }

    private static List<String> online(VirgaClient client) {
        return client.hosts().stream().filter(h -> h.state().equals("online")).map(Host::name).toList();
    }

    private Process start(String... args) throws Exception {
        var cmd = new ArrayList<>(List.of(VirgaUp.java(), "-XX:+UseSerialGC", "-jar", VirgaUp.JAR.toString()));
        cmd.addAll(List.of(args));
        var p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(args[0] + ".log").toFile())).start();
        processes.add(p);
        return p;
    }

    private CliResult cli(String url, String... args) throws Exception {
        var cmd = new ArrayList<>(List.of(VirgaUp.java(), "-jar", VirgaUp.JAR.toString()));
        cmd.addAll(List.of(args));
        var pb = new ProcessBuilder(cmd);
        pb.environment().put("VIRGA_URL", url);
        var err = Files.createTempFile(dir, "err", ".txt");
        var p = pb.redirectError(err.toFile()).start();
        var out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        return new CliResult(p.exitValue(), out, Files.readString(err));
    }
}
