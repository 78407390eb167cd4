package dev.virga.cli;

import dev.virga.api.ExecRequest;
import dev.virga.api.LaunchRequest;
import dev.virga.api.SnapshotRequest;
import dev.virga.client.VirgaClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * The pause a live snapshot causes, as the guest sees it: a guest program spins on its monotonic clock and logs
 * every gap over 1 ms; the largest gap in a window with a snapshot is compared with windows without one (the same
 * guest-agent calls happen in both, so only the snapshot differs). Needs gcc on the host to build the probe.
 */
@Command(name = "snapshot", mixinStandardHelpOptions = true,
        description = "Largest guest-visible stall during a live snapshot vs without, median over --count rounds.")
final class SnapshotBench implements Callable<Integer> {
    @Option(names = "--count", defaultValue = "20") int count;

    @Override
    public Integer call() throws Exception {
        var up = Home.resolve().running().orElseThrow(() -> new CliError("start Virga first: ./virga up"));
        var client = new VirgaClient(URI.create(up.url()));
        var probe = buildProbe();
        ApiOptions.await(client, client.launch(new LaunchRequest("snap-bench", "tiny", 1, "256M", "")), "launch");
        try {
            run(client, new ExecRequest(List.of("sh", "-c", "cat > /run/gapwatch && chmod +x /run/gapwatch"),
                    Base64.getEncoder().encodeToString(probe), 60));
            run(client, new ExecRequest(List.of("sh", "-c",
                    "setsid /run/gapwatch >> /run/gaps 2>/dev/null </dev/null &"), "", 10));
            Thread.sleep(2000);
            var with = new long[count];
            var without = new long[count];
            for (int i = 0; i < count; i++) {
                var name = "b" + i;
                without[i] = window(client, () -> Thread.sleep(300));
                with[i] = window(client, () -> ApiOptions.await(client,
                        client.createSnapshot("snap-bench", new SnapshotRequest(name, false)), "snapshot"));
            }
            System.out.printf(Locale.ROOT, "largest guest-visible stall, median of %d windows (1 ms resolution of "
                    + "the probe's threshold):%n", count);
            System.out.printf(Locale.ROOT, "  with a live snapshot (quiesced):  %6.1f ms (max %.1f ms)%n",
                    LaunchBench.median(with) / 1000.0, java.util.Arrays.stream(with).max().orElse(0) / 1000.0);
            System.out.printf(Locale.ROOT, "  same window, no snapshot:         %6.1f ms (max %.1f ms)%n",
                    LaunchBench.median(without) / 1000.0, java.util.Arrays.stream(without).max().orElse(0) / 1000.0);
        } finally {
            for (var s : client.snapshots("snap-bench")) {
                client.await(client.deleteSnapshot("snap-bench", s.name()), o -> { });
            }
            client.await(client.delete("snap-bench", true), o -> { });
        }
        return 0;
    }

    /** Something done while the probe watches. */
    @FunctionalInterface
    interface Action {
        void run() throws Exception;
    }

    /** Clears the gap log, does {@code action}, returns the largest gap (µs) the probe logged meanwhile. */
    private static long window(VirgaClient client, Action action) throws Exception {
        run(client, new ExecRequest(List.of("sh", "-c", ": > /run/gaps"), "", 10));
        action.run();
        var out = run(client, new ExecRequest(List.of("sh", "-c", "sort -n /run/gaps | tail -1"), "", 10));
        return out.isBlank() ? 0 : Long.parseLong(out.strip());
    }

    private static String run(VirgaClient client, ExecRequest request) {
        var r = client.exec("snap-bench", request);
        if (r.exitCode() != 0) {
            throw new CliError("guest command " + request.command() + " failed: "
                    + new String(Base64.getDecoder().decode(r.stderrBase64())));
        }
        return new String(Base64.getDecoder().decode(r.stdoutBase64()));
    }

    private static byte[] buildProbe() throws IOException, InterruptedException {
        var dir = Files.createTempDirectory("gapwatch");
        try (var src = SnapshotBench.class.getResourceAsStream("gapwatch.c")) {
            Files.write(dir.resolve("gapwatch.c"), src.readAllBytes());
        }
        var p = new ProcessBuilder("gcc", "-O2", "-static", "-o", dir.resolve("gapwatch").toString(),
                dir.resolve("gapwatch.c").toString()).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new CliError("cannot build the guest probe: gcc -static failed (install gcc and libc6-dev)");
        }
        var bytes = Files.readAllBytes(dir.resolve("gapwatch"));
        Files.delete(dir.resolve("gapwatch"));
        Files.delete(dir.resolve("gapwatch.c"));
        Files.delete(dir);
        return bytes;
    }
}
