package dev.virga.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.virga.api.LaunchRequest;
import dev.virga.api.Operation;
import dev.virga.api.Sizes;
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
 * Launch latency through the API: warm launches (the image's warm state resumed) against cold ones (booted), one at
 * a time and several at once, and against the bare QEMU command line Virga generated, booted by hand without Virga;
 * plus the resident memory of a resumed and a booted guest's QEMU.
 */
@Command(name = "launch", mixinStandardHelpOptions = true,
        description = {"Launch --count VMs one at a time from the warm state (API request -> guest agent ready), then "
                + "--count booted (--cold), then boot the same guest --count times by its bare QEMU command line; "
                + "then --parallel warm and --parallel cold launches at once. Prints medians, ratios and the QEMU "
                + "RSS of a resumed and a booted guest. Needs the image warm for the shape (virga image warm)."})
final class LaunchBench implements Callable<Integer> {
    @Option(names = "--count", defaultValue = "5", description = "launches of each kind, one at a time (default 5)")
    int count;
    @Option(names = "--parallel", defaultValue = "5", description = "launches at once, of each kind (default 5)")
    int parallel;
    @Option(names = "--image", defaultValue = "tiny") String image;
    @Option(names = "--memory", defaultValue = "256M") String memory;

    /** One launch: API request to guest agent ready, and the agent's part of it. */
    record Sample(long apiToReady, long agentToQemu, long agentToReady, String boot) {
    }

    @Override
    public Integer call() throws Exception {
        if (count < 1 || count > 100) {
            throw new CliError("--count: " + count + " is not between 1 and 100");
        }
        if (parallel < 0 || parallel > 20) {
            throw new CliError("--parallel: " + parallel + " is not between 0 and 20");
        }
        var home = Home.resolve();
        var up = home.running().orElseThrow(() -> new CliError("start Virga first: ./virga up"));
        var client = new VirgaClient(URI.create(up.url()));
        long mem = Sizes.parse(memory);
        if (client.warmStates(image).stream().noneMatch(w -> w.cpus() == 1 && w.memoryBytes() == mem)) {
            throw new CliError("image " + image + " has no warm state for 1 vCPU, " + Sizes.format(mem)
                    + ": run  virga image warm " + image + " --memory " + memory);
        }
        var warm = new ArrayList<Sample>();
        var cold = new ArrayList<Sample>();
        long[] warmRss = {};
        long[] coldRss = {};
        List<String> argv = List.of();
        Path coldDir = null;
        Path base = null;
        for (int i = 1; i <= count; i++) {
            var w = launch(client, "bench-warm-" + i, false);
            warm.add(w);
            if (i == count) {
                warmRss = rss(home.dir(), "bench-warm-" + i);
            }
            delete(client, "bench-warm-" + i);
            var name = "bench-cold-" + i;
            var c = launch(client, name, true);
            cold.add(c);
            if (i == count) {
                coldRss = rss(home.dir(), name);
            }
            coldDir = home.dir().resolve("instances").resolve(name);
            argv = Json.mapper().readValue(coldDir.resolve("qemu.argv.json").toFile(), new TypeReference<>() { });
            base = Path.of(new QemuImg().info(coldDir.resolve("disk.qcow2"), true).backingFile().orElseThrow());
            delete(client, name);
            System.out.printf(Locale.ROOT, "%-3d warm %5d ms (agent: qemu %4d, ready %4d) | cold %5d ms (agent: qemu "
                    + "%4d, ready %5d)%n", i, w.apiToReady(), w.agentToQemu(), w.agentToReady(), c.apiToReady(),
                    c.agentToQemu(), c.agentToReady());
        }
        var bare = new ArrayList<long[]>();
        for (int i = 0; i < count; i++) {
            bare.add(bare(argv, coldDir, base));
        }
        var warmAtOnce = atOnce(client, "bench-pw-", false);
        var coldAtOnce = atOnce(client, "bench-pc-", true);
        report(warm, cold, bare, warmAtOnce, coldAtOnce, warmRss, coldRss, client.hosts().getFirst().accelerator());
        return 0;
    }

    private Sample launch(VirgaClient client, String name, boolean coldBoot) {
        var op = client.await(client.launch(request(name, coldBoot)), o -> { });
        if (op.status() != dev.virga.api.OperationStatus.SUCCESS) {
            throw new CliError("launch " + name + " failed: " + op.error());
        }
        var boot = String.valueOf(op.result().get("boot"));
        if (!boot.equals(coldBoot ? "cold" : "warm")) {
            throw new CliError("launch " + name + " was " + boot + ", not " + (coldBoot ? "cold" : "warm") + ": "
                    + op.result().get("bootReason"));
        }
        return sample(op);
    }

    private LaunchRequest request(String name, boolean coldBoot) {
        return new LaunchRequest(name, image, 1, memory, "", "", false, List.of(), "", false, List.of(), List.of(),
                coldBoot);
    }

    private static Sample sample(Operation op) {
        return new Sample(number(op.result().get("launchMillis")), number(op.result().get("qemuStartedMillis")),
                number(op.result().get("guestReadyMillis")), String.valueOf(op.result().get("boot")));
    }

    /** {@link #parallel} launches sent together; each one's API request to guest agent ready. */
    private List<Sample> atOnce(VirgaClient client, String prefix, boolean coldBoot) {
        var ops = new ArrayList<Operation>();
        for (int i = 1; i <= parallel; i++) {
            ops.add(client.launch(request(prefix + i, coldBoot)));
        }
        var out = new ArrayList<Sample>();
        for (var op : ops) {
            var done = client.await(op, o -> { });
            if (done.status() != dev.virga.api.OperationStatus.SUCCESS) {
                throw new CliError("launch " + op.target() + " failed: " + done.error());
            }
            out.add(sample(done));
        }
        for (var op : ops) {
            delete(client, op.target());
        }
        return out;
    }

    private static void delete(VirgaClient client, String name) {
        ApiOptions.await(client, client.delete(name, true), "delete " + name);
    }

    /**
     * The QEMU of {@code name} a few seconds after it was ready (the guest idle): {VmRSS, RssAnon, RssFile} in KiB.
     * A resumed guest's RAM pages it only read are the warm state's file pages, shared with every VM resumed from it.
     */
    private static long[] rss(Path home, String name) throws IOException, InterruptedException {
        Thread.sleep(3000);
        var dir = home.resolve("instances").resolve(name).toString();
        var qemu = ProcessHandle.allProcesses().filter(p -> p.info().commandLine()
                .map(c -> c.contains("qemu-system") && c.contains(dir + "/")).orElse(false)).findFirst()
                .orElseThrow(() -> new CliError("no QEMU of " + name + " found"));
        long[] out = new long[3];
        for (var line : Files.readAllLines(Path.of("/proc", String.valueOf(qemu.pid()), "status"))) {
            var kib = line.replaceAll("[^0-9]", "");
            if (line.startsWith("VmRSS:")) {
                out[0] = Long.parseLong(kib);
            } else if (line.startsWith("RssAnon:")) {
                out[1] = Long.parseLong(kib);
            } else if (line.startsWith("RssFile:")) {
                out[2] = Long.parseLong(kib);
            }
        }
        return out;
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

    private void report(List<Sample> warm, List<Sample> cold, List<long[]> bare, List<Sample> warmAtOnce,
                        List<Sample> coldAtOnce, long[] warmRss, long[] coldRss, String accel) {
        long w = median(warm.stream().mapToLong(Sample::apiToReady).toArray());
        long c = median(cold.stream().mapToLong(Sample::apiToReady).toArray());
        long b = median(bare.stream().mapToLong(x -> x[1]).toArray());
        System.out.println();
        System.out.printf(Locale.ROOT, "accelerator: %s, image %s, 1 vCPU, %s; medians of %d%n", accel, image, memory,
                warm.size());
        System.out.printf(Locale.ROOT, "API request -> guest agent ready, one at a time:  warm %5d ms  cold %5d ms  "
                + "bare QEMU boot %5d ms%n", w, c, b);
        System.out.printf(Locale.ROOT, "  cold / warm %.1fx   bare boot / warm %.1fx   warm: agent %d ms of it (QEMU "
                + "running after %d ms)%n", (double) c / w, (double) b / w,
                median(warm.stream().mapToLong(Sample::agentToReady).toArray()),
                median(warm.stream().mapToLong(Sample::agentToQemu).toArray()));
        if (parallel > 0) {
            System.out.printf(Locale.ROOT, "%d at once: warm median %5d ms, slowest %5d ms | cold median %5d ms, "
                    + "slowest %5d ms%n", parallel, median(warmAtOnce.stream().mapToLong(Sample::apiToReady).toArray()),
                    warmAtOnce.stream().mapToLong(Sample::apiToReady).max().orElse(0),
                    median(coldAtOnce.stream().mapToLong(Sample::apiToReady).toArray()),
                    coldAtOnce.stream().mapToLong(Sample::apiToReady).max().orElse(0));
        }
        System.out.printf(Locale.ROOT, "QEMU RSS 3 s after ready: warm %d MiB (anonymous %d, file %d: the warm state's "
                + "pages, shared) | cold %d MiB (anonymous %d, file %d)%n", warmRss[0] >> 10, warmRss[1] >> 10,
                warmRss[2] >> 10, coldRss[0] >> 10, coldRss[1] >> 10, coldRss[2] >> 10);
        System.out.println("Firecracker's own snapshot-load baseline: 9 ms for 2 vCPU/256 MiB (m5d.metal, KVM; "
                + "tests/integration_tests/performance/test_snapshot_perf.py); this warm launch includes the "
                + "control plane, the guest agent and the identity step, under " + accel);
    }

    static long median(long[] values) {
        var v = values.clone();
        java.util.Arrays.sort(v);
        return v.length == 0 ? 0 : v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static long number(Object o) {
        return o instanceof Number n ? n.longValue() : 0;
    }

    private static long millis(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
