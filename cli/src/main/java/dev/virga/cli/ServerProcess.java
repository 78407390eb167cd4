package dev.virga.cli;

import dev.virga.client.Json;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code virga server} in its own process for a benchmark (same JVM options and classes as this one), so its
 * CPU time is its own and not the simulated hosts' or the load generator's.
 */
final class ServerProcess implements AutoCloseable {
    private final Process process;
    private final URI url;
    private final Path log;

    private ServerProcess(Process process, URI url, Path log) {
        this.process = process;
        this.url = url;
        this.log = log;
    }

    /** Starts {@code virga server --data DIR --port 0} (with {@code VIRGA_DB=db}) and waits until it serves the API. */
    static ServerProcess start(Path dir, String db) throws IOException, InterruptedException {
        var java = ProcessHandle.current().info().command().orElse("java");
        var command = new ArrayList<String>();
        command.add(java);
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> !a.startsWith("-agentlib") && !a.startsWith("-javaagent")).forEach(command::add);
        // e.g. -XX:StartFlightRecording=filename=server.jfr to profile the server under the benchmark's load
        var extra = System.getenv().getOrDefault("VIRGA_BENCH_SERVER_OPTS", "").strip();
        if (!extra.isEmpty()) {
            command.addAll(List.of(extra.split("\\s+")));
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "server", "--data", dir.toString(), "--port", "0"));
        var log = dir.resolve("server.log");
        Files.createDirectories(dir);
        var builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        // the server's --db by its environment variable: a password stays out of the process list
        builder.environment().remove("VIRGA_DB");
        if (!db.isEmpty()) {
            builder.environment().put("VIRGA_DB", db);
        }
        var process = builder.start();
        var info = dir.resolve("server.json");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Files.exists(info)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.destroyForcibly().waitFor();
                throw new CliError("the server did not start (log: " + log + "):\n" + tail(log));
            }
            Thread.sleep(50);
        }
        var up = Json.mapper().readValue(info.toFile(), Home.UpInfo.class);
        return new ServerProcess(process, URI.create(up.url()), log);
    }

    URI url() {
        return url;
    }

    long pid() {
        return process.pid();
    }

    /** CPU time (user + system) the server process used so far. */
    Duration cpu() {
        return process.info().totalCpuDuration().orElseThrow(() -> new CliError(
                "cannot read the server's CPU time (no /proc?)"));
    }

    double rssMiB() {
        return MemoryBench.rssMiB(process.pid());
    }

    Path log() {
        return log;
    }

    private static String tail(Path log) {
        try {
            var lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
