package dev.virga.cli;

import dev.virga.agent.sim.SimulatedHosts;
import dev.virga.api.Sizes;
import dev.virga.client.VirgaClient;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * For the scale benchmarks: a real server process (SQLite in a scratch directory unless {@code db} says otherwise)
 * and N simulated hosts in this process, joined through the public API with one token each, all online.
 */
final class SimulatedCluster implements AutoCloseable {
    private final Path dir;
    private final boolean keep;
    private ServerProcess server;
    private SimulatedHosts sim;
    private VirgaClient client;

    private SimulatedCluster(Path dir, boolean keep) {
        this.dir = dir;
        this.keep = keep;
    }

    static SimulatedCluster start(int hosts, int hostCpus, long hostMemory, String db, boolean keep)
            throws IOException, InterruptedException {
        var cluster = new SimulatedCluster(Files.createTempDirectory("virga-bench-"), keep);
        try {
            cluster.boot(hosts, hostCpus, hostMemory, db);
            return cluster;
        } catch (RuntimeException | IOException | InterruptedException e) {
            cluster.close();
            throw e;
        }
    }

    private void boot(int hosts, int hostCpus, long hostMemory, String db) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        server = ServerProcess.start(dir.resolve("server"), db);
        client = new VirgaClient(server.url());
        say("server up at %s (pid %d, state %s) in %.1f s", server.url(), server.pid(),
                SimulatedCluster.store(db), seconds(t0));
        sim = SimulatedHosts.start(new SimulatedHosts.Config("sim", hosts, hostCpus, hostMemory, "127.0.0.1", 0));
        long t1 = System.nanoTime();
        var tokens = SimulatedJoin.issueTokens(client, hosts);
        SimulatedJoin.join(client, sim.members(), tokens);
        say("%d simulated hosts (%d CPUs, %s each) joined in %.1f s", hosts, hostCpus, Sizes.format(hostMemory),
                seconds(t1));
        long t2 = System.nanoTime();
        long online;
        while ((online = client.hosts().stream().filter(h -> "online".equals(h.state())).count()) < hosts) {
            if (seconds(t2) > 120) {
                throw new CliError("only " + online + " of " + hosts + " hosts came online within 120 s");
            }
            Thread.sleep(200);
        }
        say("all %d online after %.1f s more", hosts, seconds(t2));
    }

    /** Builds the tiny image on every host (each simulated host answers at once) and returns how long it took. */
    double buildImage() {
        long t0 = System.nanoTime();
        ApiOptions.await(client, client.buildImage("tiny"), "image build tiny");
        double s = seconds(t0);
        say("image tiny on %d hosts in %.1f s", sim.members().size(), s);
        return s;
    }

    ServerProcess server() {
        return server;
    }

    SimulatedHosts sim() {
        return sim;
    }

    VirgaClient client() {
        return client;
    }

    /** The store as the figures name it: SQLite, or the JDBC URL with its password hidden. */
    static String store(String db) {
        return db.isEmpty() ? "SQLite" : db.replaceAll("(?i)(password=)[^&;]*", "$1***");
    }

    static void say(String format, Object... args) {
        System.err.printf(Locale.ROOT, "-- " + format + "%n", args);
    }

    static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
        if (sim != null) {
            sim.close();
        }
        if (keep) {
            say("kept %s (server log: server/server.log)", dir);
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (var p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            say("could not remove %s: %s", dir, e.getMessage());
        }
    }
}
