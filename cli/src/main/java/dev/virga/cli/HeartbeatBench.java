package dev.virga.cli;

import dev.virga.api.LaunchRequest;
import dev.virga.api.Sizes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The cost of liveness: a {@code virga server} process polls every host each second (the reconcile loop is the
 * heartbeat). Measures the server's CPU time over wall time while N simulated hosts answer.
 */
@Command(name = "heartbeat", mixinStandardHelpOptions = true,
        description = {"Server CPU with --hosts SIMULATED hosts (a test and planning tool: no VM runs) reporting "
                + "every second: a real `virga server` process (SQLite in a scratch directory, or --db), the hosts "
                + "joined with one token each, optionally --vms VMs spread over them (each report lists its host's "
                + "VMs); then --seconds of idle cluster. Prints the server's CPU time / wall time and how many "
                + "heartbeats per second it really made."})
final class HeartbeatBench implements Callable<Integer> {
    @Option(names = "--hosts", defaultValue = "1000", description = "simulated hosts (default 1000)") int hosts;
    @Option(names = "--seconds", defaultValue = "60", description = "measured seconds (default 60)") int seconds;
    @Option(names = "--vms", defaultValue = "0", description = "VMs launched first (default 0)") int vms;
    @Option(names = "--db", defaultValue = "", description = "the server's --db (default: SQLite in a scratch dir)")
    String db;
    @Option(names = "--keep", description = "keep the scratch directory (server log, database)") boolean keep;

    @Override
    public Integer call() throws Exception {
        if (hosts < 1 || hosts > dev.virga.agent.sim.SimulatedHosts.Config.MAX_HOSTS) {
            throw new CliError("--hosts: " + hosts + " is not between 1 and "
                    + dev.virga.agent.sim.SimulatedHosts.Config.MAX_HOSTS);
        }
        if (seconds < 5 || seconds > 3600) {
            throw new CliError("--seconds: " + seconds + " is not between 5 and 3600");
        }
        if (vms < 0 || vms > 1_000_000) {
            throw new CliError("--vms: " + vms + " is not between 0 and 1000000");
        }
        try (var cluster = SimulatedCluster.start(hosts, 16, 64 * Sizes.GIB, db, keep)) {
            if (vms > 0) {
                cluster.buildImage();
                launch(cluster);
            }
            Thread.sleep(3_000);
            var server = cluster.server();
            var cpu0 = server.cpu();
            long beats0 = cluster.sim().reportsAnswered();
            long t0 = System.nanoTime();
            Thread.sleep(seconds * 1000L);
            double wall = SimulatedCluster.seconds(t0);
            double cpu = (server.cpu().toNanos() - cpu0.toNanos()) / 1e9;
            long beats = cluster.sim().reportsAnswered() - beats0;
            var out = System.out;
            out.printf(Locale.ROOT, "%nheartbeat: %d SIMULATED hosts, %d VMs, state: %s, %.0f s measured%n", hosts,
                    vms, SimulatedCluster.store(db), wall);
            out.printf(Locale.ROOT, "server CPU:     %.1f %% of one core (%.1f s CPU in %.1f s)%n",
                    100 * cpu / wall, cpu, wall);
            out.printf(Locale.ROOT, "heartbeats:     %.0f/s answered (%d hosts every second would be %d/s), "
                    + "%.0f us of server CPU each%n", beats / wall, hosts, hosts, beats == 0 ? 0 : 1e6 * cpu / beats);
            out.printf(Locale.ROOT, "server RSS:     %.0f MiB%n", server.rssMiB());
        }
        return 0;
    }

    private void launch(SimulatedCluster cluster) {
        var client = cluster.client();
        var next = new AtomicInteger();
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < 8; c++) {
                threads.submit(() -> {
                    int i;
                    while ((i = next.getAndIncrement()) < vms) {
                        ApiOptions.await(client, client.launch(new LaunchRequest("vm-" + i, "tiny", 1, "256M", null)),
                                "launch vm-" + i);
                    }
                });
            }
        }
        SimulatedCluster.say("%d VMs launched", vms);
    }
}
