package dev.virga.agent.sim;

import dev.virga.api.Sizes;
import dev.virga.client.Json;
import io.javalin.Javalin;
import io.javalin.json.JavalinJackson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * N simulated hosts served by one web server on one port (a test and planning tool: see the package). Host
 * {@code NAME} answers the agent endpoint at {@code http://HOST:PORT/sim/NAME} with its own random bearer token;
 * each joins a control plane like a real agent would, with its own join token.
 */
public final class SimulatedHosts implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SimulatedHosts.class);
    private final Map<String, SimulatedHost> hosts;
    private final List<String> order;
    private final Javalin app;
    private final String bindHost;
    private final AtomicLong reports = new AtomicLong();

    /**
     * How to simulate.
     *
     * @param prefix      host names are PREFIX-00001, PREFIX-00002, ... (a valid host name once numbered)
     * @param count       how many hosts
     * @param cpus        CPUs each host reports
     * @param memoryBytes memory each host reports
     * @param labels      labels every host reports (for placement constraints)
     */
    public record Config(String prefix, int count, int cpus, long memoryBytes, Map<String, String> labels,
                         String bindHost, int port) {
        public static final int MAX_HOSTS = 100_000;

        public Config(String prefix, int count, int cpus, long memoryBytes, String bindHost, int port) {
            this(prefix, count, cpus, memoryBytes, Map.of(), bindHost, port);
        }

        public Config {
            labels = labels == null ? Map.of() : Map.copyOf(labels);
            if (prefix == null || !prefix.matches("[a-z]([a-z0-9-]*[a-z0-9])?") || prefix.length() > 50) {
                throw new IllegalArgumentException("--name: '" + prefix + "' is not a valid host name prefix "
                        + "(lowercase letters, digits and '-', at most 50 characters)");
            }
            if (count < 1 || count > MAX_HOSTS) {
                throw new IllegalArgumentException("--hosts: " + count + " is not between 1 and " + MAX_HOSTS);
            }
            if (cpus < 1 || cpus > 4096) {
                throw new IllegalArgumentException("--host-cpus: " + cpus + " is not between 1 and 4096");
            }
            if (memoryBytes < 64 * Sizes.MIB) {
                throw new IllegalArgumentException("--host-memory: " + Sizes.format(memoryBytes)
                        + " is less than 64 MiB");
            }
        }

        /** {@code count} hosts of 16 CPUs and 64 GiB on 127.0.0.1, any free port. */
        public static Config of(String prefix, int count) {
            return new Config(prefix, count, 16, 64 * Sizes.GIB, "127.0.0.1", 0);
        }
    }

    /** What one simulated host needs to join: its name, its agent endpoint and the token to present there. */
    public record Member(String name, URI url, String agentToken) {
    }

    private SimulatedHosts(Config config) {
        this.bindHost = config.bindHost();
        var random = new SecureRandom();
        var made = new LinkedHashMap<String, SimulatedHost>();
        for (int i = 1; i <= config.count(); i++) {
            var name = String.format("%s-%05d", config.prefix(), i);
            var token = new byte[16];
            random.nextBytes(token);
            made.put(name, new SimulatedHost(name, HexFormat.of().formatHex(token), config.cpus(),
                    config.memoryBytes(), config.labels(), reports));
        }
        this.hosts = Map.copyOf(made);
        this.order = List.copyOf(made.keySet());
        this.app = Javalin.create(cfg -> {
            cfg.showJavalinBanner = false;
            cfg.useVirtualThreads = true;
            cfg.jsonMapper(new JavalinJackson(Json.mapper(), true));
        });
        SimRoutes.install(app, hosts);
        app.start(config.bindHost(), config.port());
        LOG.info("{} simulated hosts ({} CPUs, {} each) listening on {}/sim/ -- a test and planning tool, no VM runs",
                config.count(), config.cpus(), Sizes.format(config.memoryBytes()), base());
    }

    public static SimulatedHosts start(Config config) {
        return new SimulatedHosts(config);
    }

    /** Every host, in name order. */
    public List<Member> members() {
        var list = new ArrayList<Member>(order.size());
        for (var name : order) {
            list.add(new Member(name, URI.create(base() + "/sim/" + name), hosts.get(name).token()));
        }
        return list;
    }

    /**
     * Host {@code name} stops answering (503, as an agent that is gone), or answers again: for planning what the
     * control plane does when hosts fail.
     */
    public void outage(String name, boolean down) {
        var host = hosts.get(name);
        if (host == null) {
            throw new IllegalArgumentException("host: no simulated host '" + name + "'");
        }
        host.down(down);
    }

    /** How many host reports (heartbeats) were answered so far, over all hosts. */
    public long reportsAnswered() {
        return reports.get();
    }

    /** How many VMs the simulated hosts hold, by host. */
    public Map<String, Integer> vmsByHost() {
        var counts = new LinkedHashMap<String, Integer>();
        for (var name : order) {
            counts.put(name, hosts.get(name).vmCount());
        }
        return counts;
    }

    private String base() {
        return "http://" + bindHost + ":" + app.port();
    }

    @Override
    public void close() {
        app.stop();
    }
}
