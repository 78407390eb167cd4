package dev.virga.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.virga.api.LaunchRequest;
import dev.virga.client.Json;
import dev.virga.client.VirgaClient;
import dev.virga.qemu.ga.GuestAgentClient;
import dev.virga.qemu.img.QemuImg;
import dev.virga.qemu.qmp.QmpClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.Callable;

/**
 * Launches N VMs one at a time through the API and, after each, boots the same guest with the exact QEMU command
 * line Virga generated (on a fresh overlay of the same image) without Virga: the difference is the control plane.
 */
@Command(name = "launch", mixinStandardHelpOptions = true,
        description = {"Launch --count VMs one at a time; for each: API request -> QEMU started and -> guest agent "
                + "ready. Then the same guest by its bare QEMU command line -> guest agent ready. Prints medians and "
                + "the Virga / bare ratio."})
final class LaunchBench implements Callable<Integer> {
    @Option(names = "--count", defaultValue = "5", description = "launches (default 5)") int count;
    @Option(names = "--image", defaultValue = "tiny") String image;
    @Option(names = "--memory", defaultValue = "256M") String memory;

    record Sample(long apiToQemu, long apiToReady, long bareToQemu, long bareToReady) {
    }

    @Override
    public Integer call() throws Exception {
        if (count < 1 || count > 100) {
            throw new CliError("--count: " + count + " is not between 1 and 100");
        }
        var home = Home.resolve();
        var up = home.running().orElseThrow(() -> new CliError("start Virga first: ./virga up"));
        var client = new VirgaClient(URI.create(up.url()));
        var samples = new ArrayList<Sample>();
        String accel = "";
        for (int i = 1; i <= count; i++) {
            var name = "bench-" + i;
            var op = client.await(client.launch(new LaunchRequest(name, image, 1, memory, "")), o -> { });
            if (op.status() != dev.virga.api.OperationStatus.SUCCESS) {
                throw new CliError("launch " + name + " failed: " + op.error());
            }
            accel = String.valueOf(op.result().get("accelerator"));
            long total = number(op.result().get("launchMillis"));
            long agentStart = number(op.result().get("qemuStartedMillis"));
            long agentReady = number(op.result().get("guestReadyMillis"));
            var dir = home.dir().resolve("instances").resolve(name);
            List<String> argv = Json.mapper().readValue(dir.resolve("qemu.argv.json").toFile(), new TypeReference<>() { });
            var base = new QemuImg().info(dir.resolve("disk.qcow2"), true).backingFile().orElseThrow();
            ApiOptions.await(client, client.delete(name, true), "delete " + name);
            var bare = bare(argv, dir, Path.of(base));
            var s = new Sample(total - (agentReady - agentStart), total, bare[0], bare[1]);
            samples.add(s);
            System.out.printf(Locale.ROOT, "%-9s virga: qemu %5d ms, ready %5d ms | bare: qemu %5d ms, ready %5d ms%n",
                    name, s.apiToQemu(), s.apiToReady(), s.bareToQemu(), s.bareToReady());
        }
        report(samples, accel);
        return 0;
    }

    /** Runs Virga's command line by hand, with every path moved to a scratch directory. Returns {qemu, ready} ms. */
    private static long[] bare(List<String> argv, Path instanceDir, Path base) throws IOException, InterruptedException {
        var scratch = Files.createTempDirectory(Path.of("/tmp"), "vb");
        var runDir = Path.of(pathAfter(argv, "-pidfile")).getParent();
        var args = argv.stream().map(a -> a.replace(instanceDir.toString(), scratch.toString())
                .replace(runDir.toString(), scratch.toString())).toList();
        new QemuImg().createOverlay(base, "qcow2", scratch.resolve("disk.qcow2"), OptionalLong.empty());
        Process qemu = null;
        try {
            long t0 = System.nanoTime();
            qemu = new ProcessBuilder(args).redirectErrorStream(true)
                    .redirectOutput(scratch.resolve("qemu.log").toFile()).start();
            try (var qmp = QmpClient.connect(scratch.resolve("qmp.sock"), Duration.ofSeconds(20))) {
                qmp.cont();
                long started = millis(t0);
                try (var ga = GuestAgentClient.awaitReady(scratch.resolve("ga.sock"), Duration.ofSeconds(180))) {
                    ga.ping();
                }
                long ready = millis(t0);
                qmp.quit();
                return new long[] {started, ready};
            }
        } finally {
            if (qemu != null) {
                qemu.destroyForcibly();
                qemu.waitFor();
            }
            try (var files = Files.walk(scratch)) {
                for (var f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    private static String pathAfter(List<String> argv, String option) {
        return argv.get(argv.indexOf(option) + 1);
    }

    private static void report(List<Sample> samples, String accel) {
        long vq = median(samples.stream().mapToLong(Sample::apiToQemu).toArray());
        long vr = median(samples.stream().mapToLong(Sample::apiToReady).toArray());
        long bq = median(samples.stream().mapToLong(Sample::bareToQemu).toArray());
        long br = median(samples.stream().mapToLong(Sample::bareToReady).toArray());
        System.out.println();
        System.out.printf(Locale.ROOT, "accelerator: %s, launches: %d (medians)%n", accel, samples.size());
        System.out.printf(Locale.ROOT, "API request -> QEMU started:       virga %5d ms   bare %5d ms%n", vq, bq);
        System.out.printf(Locale.ROOT, "API request -> guest agent ready:  virga %5d ms   bare %5d ms   ratio %.2f%n",
                vr, br, br == 0 ? 0.0 : (double) vr / br);
        System.out.printf(Locale.ROOT, "control-plane overhead (ready):    %d ms%n", vr - br);
    }

    static long median(long[] values) {
        var v = values.clone();
        java.util.Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static long number(Object o) {
        return o instanceof Number n ? n.longValue() : 0;
    }

    private static long millis(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
