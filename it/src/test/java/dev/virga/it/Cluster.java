package dev.virga.it;

import dev.virga.api.Host;
import dev.virga.client.Json;
import dev.virga.client.VirgaClient;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A control plane ({@code virga server}) and hosts ({@code virga agent}) as separate real processes on this
 * machine, each host with its own data directory, and the real CLI in further processes.
 */
final class Cluster implements AutoCloseable {
    private final Path dir;
    private final List<Process> processes = new ArrayList<>();
    private final Map<String, Process> agents = new LinkedHashMap<>();
    final String url;
    final VirgaClient client;

    private Cluster(Path dir, String url) {
        this.dir = dir;
        this.url = url;
        this.client = new VirgaClient(URI.create(url));
    }

    /** Starts {@code virga server} over {@code dir/server} and waits until it answers. */
    static Cluster start(Path dir) throws Exception {
        var processes = new ArrayList<Process>();
        processes.add(process(dir, "server", "--data", dir.resolve("server").toString(), "--port", "0"));
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(dir.resolve("server/server.json")));
        var url = Json.mapper().readTree(dir.resolve("server/server.json").toFile()).path("url").asText();
        var cluster = new Cluster(dir, url);
        cluster.processes.addAll(processes);
        return cluster;
    }

    /** Joins a host {@code name} with a fresh token (the tiny image pre-linked into its data directory). */
    Process join(String name, String... extra) throws Exception {
        SharedImage.linkInto(dir.resolve(name));
        return joinWithoutImages(name, extra);
    }

    /** Joins a host {@code name} that holds no image (the control plane must copy one there to use it). */
    Process joinWithoutImages(String name, String... extra) throws Exception {
        var data = dir.resolve(name);
        var token = cli("host", "add-token").out().strip();
        var args = new ArrayList<>(List.of("agent", "--server", url, "--token", token, "--data", data.toString(),
                "--name", name, "--accel", "tcg"));
        args.addAll(List.of(extra));
        var p = process(dir, args.toArray(String[]::new));
        processes.add(p);
        agents.put(name, p);
        await().atMost(Duration.ofSeconds(60)).until(() -> online().contains(name));
        return p;
    }

    /** Starts the agent of a host that joined before (it rejoins with its secret). */
    Process restart(String name) throws Exception {
        var p = process(dir, "agent", "--server", url, "--data", dir.resolve(name).toString(), "--accel", "tcg");
        processes.add(p);
        agents.put(name, p);
        return p;
    }

    /** kill -9 of a host's agent (its VMs keep running). */
    void kill(String name) throws InterruptedException {
        var p = agents.get(name);
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
    }

    /** {@code sh -c script} in a guest through the API (see {@link GuestExec}). */
    CliResult exec(String vm, String script) {
        return GuestExec.sh(client, vm, script);
    }

    List<String> online() {
        return client.hosts().stream().filter(h -> h.state().equals("online")).map(Host::name).toList();
    }

    /** CLI processes this cluster's test ran and their time: printed at close, so the budget stays visible. */
    private int cliCalls;
    private long cliNanos;

    CliResult cli(String... args) throws Exception {
        long t0 = System.nanoTime();
        try {
            return runCli(args);
        } finally {
            cliCalls++;
            cliNanos += System.nanoTime() - t0;
        }
    }

    private CliResult runCli(String... args) throws Exception {
        var cmd = new ArrayList<>(VirgaUp.cliJava());
        cmd.addAll(List.of(args));
        var pb = new ProcessBuilder(cmd);
        pb.environment().put("VIRGA_URL", url);
        var err = Files.createTempFile(dir, "err", ".txt");
        var p = pb.redirectError(err.toFile()).start();
        var out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        return new CliResult(p.exitValue(), out, Files.readString(err));
    }

    private static Process process(Path dir, String... args) throws Exception {
        var cmd = new ArrayList<>(List.of(VirgaUp.java(), "-XX:+UseSerialGC", "-jar", VirgaUp.JAR.toString()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(args[0] + ".log").toFile())).start();
    }

    /** Stops every process; fails if a QEMU of this cluster is left behind. */
    @Override
    public void close() throws Exception {
        System.out.printf("[it] cluster %s: %d CLI processes, %.1f s%n", dir.getFileName(), cliCalls, cliNanos / 1e9);
        try {
            // a test that failed half-way leaves VMs: delete them through the API while the hosts still answer
            var ops = client.instances().stream().map(i -> client.delete(i.name(), true)).toList();
            ops.forEach(op -> client.waitFor(op.id(), Duration.ofSeconds(60)));
        } catch (RuntimeException e) {
            // the server may be the thing that failed; the QEMU check below still runs
        }
        for (var p : processes) {
            p.destroy();
            p.waitFor(20, TimeUnit.SECONDS);
        }
        var left = ProcessHandle.allProcesses().filter(p -> p.info().commandLine()
                .map(c -> c.contains("qemu-system") && c.contains(dir + "/")).orElse(false)).toList();
        left.forEach(ProcessHandle::destroyForcibly);
        assertThat(left).as("QEMU left behind").isEmpty();
    }
}
