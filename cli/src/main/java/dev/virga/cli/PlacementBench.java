package dev.virga.cli;

import dev.virga.api.LaunchRequest;
import dev.virga.api.OperationStatus;
import dev.virga.api.Sizes;
import dev.virga.client.ApiException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Placement through the real server and store: a {@code virga server} process, N simulated hosts joined with
 * tokens, and M launches through the public API, C at a time. Prints decisions per second and the latency of the
 * decision (as the launch operation's result reports it) and of the whole API launch.
 */
@Command(name = "placement", mixinStandardHelpOptions = true,
        description = {"Scheduler throughput and latency at scale, on SIMULATED hosts (a test and planning tool: "
                + "no VM runs). Starts a real `virga server` process (SQLite in a scratch directory, or --db), "
                + "--hosts simulated hosts in this process that join with one token each, builds tiny, and launches "
                + "--vms VMs through the public API, --concurrency at a time. Prints decisions/s, p50/p99 of the "
                + "placement decision (the launch result's placementMicros) and of the API launch (POST until the "
                + "operation ended), the server's CPU and how evenly the VMs were spread."})
final class PlacementBench implements Callable<Integer> {
    @Option(names = "--hosts", defaultValue = "100", description = "simulated hosts (default 100)") int hosts;
    @Option(names = "--vms", defaultValue = "1000", description = "launches measured (default 1000)") int vms;
    @Option(names = "--warmup", defaultValue = "100", description = "launches before measuring (default 100)")
    int warmup;
    @Option(names = "--concurrency", defaultValue = "8", description = "launches in flight (default 8)")
    int concurrency;
    @Option(names = "--db", defaultValue = "", description = "the server's --db (default: SQLite in a scratch dir)")
    String db;
    @Option(names = "--host-cpus", defaultValue = "16", description = "CPUs of each simulated host") int hostCpus;
    @Option(names = "--host-memory", defaultValue = "64G", description = "memory of each simulated host")
    String hostMemory;
    @Option(names = "--memory", defaultValue = "256M", description = "memory of each VM") String memory;
    @Option(names = "--keep", description = "keep the scratch directory (server log, database)") boolean keep;

    /** One measured launch. */
    record Sample(long apiMicros, long placementMicros, String host) {
    }

    @Override
    public Integer call() throws Exception {
        check();
        try (var cluster = SimulatedCluster.start(hosts, hostCpus, Sizes.parse(hostMemory), db, keep)) {
            double build = cluster.buildImage();
            run(cluster, "warm", warmup, new ConcurrentLinkedQueue<>(), new ConcurrentHashMap<>());
            var samples = new ConcurrentLinkedQueue<Sample>();
            var failures = new ConcurrentHashMap<String, Integer>();
            var cpu0 = cluster.server().cpu();
            long t0 = System.nanoTime();
            run(cluster, "vm", vms, samples, failures);
            double wall = SimulatedCluster.seconds(t0);
            double cpu = (cluster.server().cpu().toNanos() - cpu0.toNanos()) / 1e9;
            report(cluster, new ArrayList<>(samples), failures, wall, cpu, build);
        }
        return 0;
    }

    private void check() {
        if (hosts < 1 || hosts > dev.virga.agent.sim.SimulatedHosts.Config.MAX_HOSTS) {
            throw new CliError("--hosts: " + hosts + " is not between 1 and "
                    + dev.virga.agent.sim.SimulatedHosts.Config.MAX_HOSTS);
        }
        if (vms < 1 || vms > 1_000_000) {
            throw new CliError("--vms: " + vms + " is not between 1 and 1000000");
        }
        if (warmup < 0 || concurrency < 1 || concurrency > 256) {
            throw new CliError("--concurrency: " + concurrency + " is not between 1 and 256 (or --warmup < 0)");
        }
        try {
            Sizes.parse(hostMemory);
            Sizes.parse(memory);
        } catch (IllegalArgumentException e) {
            throw new CliError("--host-memory/--memory: " + e.getMessage());
        }
    }

    /** Launches {@code count} VMs named PREFIX-i, {@link #concurrency} at a time. */
    private void run(SimulatedCluster cluster, String prefix, int count, ConcurrentLinkedQueue<Sample> samples,
                     Map<String, Integer> failures) {
        var client = cluster.client();
        var next = new AtomicInteger();
        var done = new AtomicInteger();
        long t0 = System.nanoTime();
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < concurrency; c++) {
                threads.submit(() -> {
                    int i;
                    while ((i = next.getAndIncrement()) < count) {
                        var name = prefix + "-" + i;
                        long start = System.nanoTime();
                        try {
                            var op = client.await(client.launch(new LaunchRequest(name, "tiny", 1, memory, null)),
                                    o -> { });
                            long api = (System.nanoTime() - start) / 1_000;
                            if (op.status() == OperationStatus.SUCCESS) {
                                samples.add(new Sample(api, number(op.result().get("placementMicros")),
                                        String.valueOf(op.result().get("host"))));
                            } else {
                                failures.merge(reason(op.error()), 1, Integer::sum);
                            }
                        } catch (ApiException e) {
                            failures.merge(reason(e.getMessage()), 1, Integer::sum);
                        }
                        int n = done.incrementAndGet();
                        if (n % Math.max(1, count / 10) == 0) {
                            SimulatedCluster.say("%s: %d of %d launched, %.0f/s", prefix, n, count,
                                    n / SimulatedCluster.seconds(t0));
                        }
                    }
                });
            }
        }
    }

    private static String reason(String error) {
        var e = error == null ? "" : error;
        return e.length() > 80 ? e.substring(0, 80) + "..." : e;
    }

    private void report(SimulatedCluster cluster, List<Sample> samples, Map<String, Integer> failures, double wall,
                        double cpu, double build) {
        var api = samples.stream().mapToLong(Sample::apiMicros).sorted().toArray();
        var decision = samples.stream().mapToLong(Sample::placementMicros).sorted().toArray();
        var perHost = new TreeMap<String, Integer>();
        cluster.sim().vmsByHost().forEach(perHost::put);
        var counts = new ArrayList<>(perHost.values());
        Collections.sort(counts);
        var out = System.out;
        out.printf(Locale.ROOT, "%nplacement on %d SIMULATED hosts (%d CPUs, %s each), state: %s%n", hosts, hostCpus,
                hostMemory, SimulatedCluster.store(db));
        out.printf(Locale.ROOT, "launches measured: %d ok, %d failed (after %d warm-up), %d at a time, %s each%n",
                samples.size(), failures.values().stream().mapToInt(Integer::intValue).sum(), warmup, concurrency,
                memory);
        failures.forEach((why, n) -> out.printf(Locale.ROOT, "  failed %d x: %s%n", n, why));
        out.printf(Locale.ROOT, "throughput:          %.1f decisions/s (launches completed / wall time %.1f s)%n",
                samples.size() / wall, wall);
        out.printf(Locale.ROOT, "placement decision:  p50 %s   p99 %s   max %s%n", ms(decision, 0.50),
                ms(decision, 0.99), ms(decision, 1.0));
        out.printf(Locale.ROOT, "API launch:          p50 %s   p99 %s   max %s%n", ms(api, 0.50), ms(api, 0.99),
                ms(api, 1.0));
        out.printf(Locale.ROOT, "server CPU:          %.2f cores on average while launching (%.1f s CPU), RSS %.0f MiB%n",
                cpu / wall, cpu, cluster.server().rssMiB());
        out.printf(Locale.ROOT, "VMs per host:        min %d, median %d, max %d%n", counts.getFirst(),
                counts.get(counts.size() / 2), counts.getLast());
        out.printf(Locale.ROOT, "image build tiny on every host: %.1f s%n", build);
    }

    /** The q-quantile of sorted microseconds, in milliseconds. */
    static String ms(long[] sortedMicros, double q) {
        if (sortedMicros.length == 0) {
            return "n/a";
        }
        int i = (int) Math.ceil(q * sortedMicros.length) - 1;
        return String.format(Locale.ROOT, "%.2f ms", sortedMicros[Math.max(0, Math.min(i, sortedMicros.length - 1))]
                / 1000.0);
    }

    private static long number(Object o) {
        return o instanceof Number n ? n.longValue() : 0;
    }
}
