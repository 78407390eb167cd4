package dev.virga.it;

import dev.virga.client.ApiException;
import dev.virga.client.Json;
import dev.virga.client.VirgaClient;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code virga up} process (server + local agent + SQLite) on a fresh data directory, driven by the real CLI
 * in separate processes, as a user would. Closing it deletes every VM and checks that no QEMU of it is left.
 */
final class VirgaUp implements AutoCloseable {
    static final Path JAR = Path.of(System.getProperty("virga.jar", "../cli/target/virga.jar")).toAbsolutePath();
    private final Path home;
    private Process process;
    private VirgaClient client;

    private VirgaUp(Path home) {
        this.home = home;
    }

    /** A fresh home with the shared tiny image linked in, Virga started on it and the image registered. */
    static VirgaUp withTinyImage(Path home) throws Exception {
        SharedImage.linkInto(home);
        var up = new VirgaUp(home);
        up.start();
        // through the API: a CLI process for it would cost every test class a JVM start (the cluster tests run
        // `virga image build tiny`, DemoIT `virga demo`)
        var built = up.client.await(up.client.buildImage("tiny"), o -> { });
        if (built.status() != dev.virga.api.OperationStatus.SUCCESS) {
            up.close();
            throw new IllegalStateException("image build failed: " + built.error());
        }
        SharedImage.keepWarmStates(home);
        return up;
    }

    /** Starts {@code virga up --foreground} and waits until its API answers. */
    void start() throws Exception {
        var cmd = List.of(java(), "-XX:+UseSerialGC", "-cp", JAR.toString(), "dev.virga.cli.Main", "up", "--foreground",
                "--port", "0", "--accel", "tcg");
        var pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("virga.log").toFile()));
        pb.environment().put("VIRGA_HOME", home.toString());
        Files.deleteIfExists(home.resolve("up.json"));
        process = pb.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("virga up died: " + log());
            }
            var upFile = home.resolve("up.json");
            if (Files.exists(upFile)) {
                var url = Json.mapper().readTree(upFile.toFile()).path("url").asText();
                client = new VirgaClient(URI.create(url));
                try {
                    client.info();
                    return;
                } catch (ApiException e) {
                    // not yet
                }
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("virga up did not answer in 60 s: " + log());
    }

    /** kill -9 of the whole all-in-one (server and agent); its VMs must survive. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    VirgaClient client() {
        return client;
    }

    Path home() {
        return home;
    }

    long pid() {
        return process.pid();
    }

    /** A test's starting VM, launched through the API (the launch verb itself is tested through the CLI). */
    void launch(String name) {
        var op = client.await(client.launch(new dev.virga.api.LaunchRequest(name, "tiny", null, null, null)), o -> { });
        if (op.status() != dev.virga.api.OperationStatus.SUCCESS) {
            throw new AssertionError("launch " + name + " failed: " + op.error());
        }
    }

    /** {@code sh -c script} in a guest through the API (see {@link GuestExec}). */
    CliResult exec(String vm, String script) {
        return GuestExec.sh(client, vm, script);
    }

    /** Runs the real CLI in its own process against this Virga. */
    CliResult cli(String... args) throws IOException, InterruptedException {
        return cliWithInput(new byte[0], args);
    }

    /** CLI processes this Virga's test ran and their time: printed at close, so the budget stays visible. */
    private int cliCalls;
    private long cliNanos;

    CliResult cliWithInput(byte[] stdin, String... args) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        try {
            return runCli(stdin, args);
        } finally {
            cliCalls++;
            cliNanos += System.nanoTime() - t0;
        }
    }

    private CliResult runCli(byte[] stdin, String... args) throws IOException, InterruptedException {
        var cmd = new ArrayList<>(cliJava());
        cmd.addAll(List.of(args));
        var pb = new ProcessBuilder(cmd);
        pb.environment().put("VIRGA_HOME", home.toString());
        var p = pb.start();
        try (var in = p.getOutputStream()) {
            in.write(stdin);
        }
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException("virga " + String.join(" ", args) + " did not end in 5 minutes");
        }
        return new CliResult(p.exitValue(), out, new String(err));
    }

    String log() {
        try {
            return Files.readString(home.resolve("virga.log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /** QEMU processes whose command line mentions this home. */
    List<ProcessHandle> qemus() {
        return ProcessHandle.allProcesses().filter(p -> p.info().commandLine()
                .map(c -> c.contains("qemu-system") && c.contains(home + "/")).orElse(false)).toList();
    }

    /**
     * Between the tests of a class that shares this Virga: every instance deleted (its QEMU checked gone) and every
     * image but tiny, so the next test starts as on a fresh Virga, without the seconds a new one costs.
     */
    void reset() {
        deleteInstances();
        for (var image : client.images()) {
            if (!image.name().equals("tiny")) {
                client.deleteImage(image.name());
            }
        }
        var left = qemus();
        if (!left.isEmpty()) {
            throw new AssertionError(left.size() + " QEMU process(es) outlived the deletion of their instances");
        }
    }

    private void deleteInstances() {
        // copies first: a VM that is the base of copies refuses deletion until they are gone
        for (int round = 0; round < 5 && !client.instances().isEmpty(); round++) {
            for (var i : client.instances()) {
                try {
                    client.await(client.delete(i.name(), true), o -> { });
                } catch (ApiException e) {
                    // retried next round; what stays is caught by the QEMU check
                }
            }
        }
    }

    @Override
    public void close() throws Exception {
        System.out.printf("[it] %s: %d CLI processes, %.1f s%n", home.getFileName(), cliCalls, cliNanos / 1e9);
        try {
            if (process != null && process.isAlive() && client != null) {
                deleteInstances();
            }
        } finally {
            if (process != null) {
                process.destroy();
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
            var left = qemus();
            left.forEach(ProcessHandle::destroyForcibly);
            if (!left.isEmpty()) {
                throw new AssertionError(left.size() + " QEMU process(es) were left behind");
            }
        }
    }

    /** How the tests start the CLI: as ./virga does (serial GC, C1 only: a short-lived JVM). */
    static List<String> cliJava() {
        var cmd = new ArrayList<>(List.of(java(), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto"));
        cmd.addAll(CliArchive.options(JAR, java()));
        cmd.addAll(List.of("-jar", JAR.toString()));
        return cmd;
    }

    static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }
}
