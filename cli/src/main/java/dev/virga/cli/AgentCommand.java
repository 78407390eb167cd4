package dev.virga.cli;

import dev.virga.agent.AgentConfig;
import dev.virga.agent.VirgaAgent;
import dev.virga.agent.sim.SimulatedHosts;
import dev.virga.api.JoinRequest;
import dev.virga.api.Membership;
import dev.virga.client.Json;
import dev.virga.client.VirgaClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code virga agent}: one host joining a control plane. */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = {"Run a host agent in the foreground and join it to a control plane with a one-use token "
                + "(virga host add-token). It keeps DIR/membership.json and rejoins with it after a restart, so "
                + "--token is needed only the first time. Several agents may run on one machine (own --data).",
                "",
                "--simulate: a TEST AND PLANNING TOOL, not a hypervisor. One process plays --hosts N hosts with no "
                        + "QEMU: their VMs are records that start, stop and vanish at once, and every host reports "
                        + "its accelerator as 'simulated'. Each host joins with its own one-use token, one a line "
                        + "in --tokens-file (virga host add-token --count N > FILE). Simulated hosts keep nothing: "
                        + "after a restart they join again with new tokens and a new --name prefix. Use it to "
                        + "measure the scheduler and the control plane at scale (virga bench placement). There, "
                        + "--cpus and --memory are each simulated host's (default 16 and 64G) and --labels every "
                        + "host's."})
final class AgentCommand implements Callable<Integer> {
    private static final int SIMULATED_CPUS = 16;
    private static final long SIMULATED_MEMORY = 64 * dev.virga.api.Sizes.GIB;
    @Option(names = "--server", required = true, paramLabel = "URL[,URL...]", description = "the control plane's "
            + "URL; several servers on one PostgreSQL store comma-separated (join and rejoin go to the leader)")
    String server;
    @Option(names = "--token", description = "one-use join token (first start only)") String token;
    @Option(names = "--data", description = "this host's directory (images, instances); not with --simulate")
    Path data;
    @Option(names = "--simulate", description = "simulated hosts, a test and planning tool (see above)")
    boolean simulate;
    @Option(names = "--hosts", defaultValue = "1", description = "with --simulate: how many hosts (default 1)")
    int hosts;
    @Option(names = "--tokens-file", description = "with --simulate: one join token a line, one per host")
    Path tokensFile;
    @Option(names = "--name", description = "host name (default: the machine's hostname); with --simulate the "
            + "prefix of the hosts' names (default sim: sim-00001, sim-00002, ...)") String name;
    @Option(names = "--listen", defaultValue = "127.0.0.1", description = "address of the agent endpoint")
    String listen;
    @Option(names = "--port", defaultValue = "0", description = "port of the agent endpoint (0: any free)") int port;
    @Option(names = "--accel", defaultValue = "auto", description = "auto, tcg or kvm") String accel;
    @Option(names = "--labels", split = ",", paramLabel = "KEY=VALUE",
            description = "labels for placement constraints, e.g. rack=a,ssd=true") java.util.Map<String, String> labels;
    @Option(names = "--cpus", defaultValue = "0", description = "CPUs to offer to VMs (default: the machine's)")
    int cpus;
    @Option(names = "--memory", description = "memory to offer to VMs, e.g. 16G (default: the machine's; VMs never "
            + "start beyond the machine's real memory whatever this says)") String memory;

    @Override
    public Integer call() throws Exception {
        if (simulate) {
            return simulate();
        }
        if (data == null) {
            throw new CliError("--data: required (the host's directory for images and instances)");
        }
        var servers = Home.servers("--server", server);
        var dir = data.toAbsolutePath();
        Files.createDirectories(dir);
        var membershipFile = dir.resolve("membership.json");
        var known = Files.exists(membershipFile)
                ? Json.mapper().readValue(membershipFile.toFile(), Membership.class) : null;
        var hostName = known != null ? known.name() : name != null ? name : localName();
        if (known == null && (token == null || token.isBlank())) {
            throw new CliError("--token: this host has not joined yet; get a token with `virga host add-token`");
        }
        var agentToken = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
        var agent = VirgaAgent.start(new AgentConfig(hostName, dir, listen, port, agentToken, accel, checkedLabels(),
                checkedCpus(), checkedMemory()));
        var client = new VirgaClient(servers);
        try {
            if (known != null) {
                client.rejoin(hostName, new JoinRequest(hostName, "", known.secret(), agent.url().toString(), agentToken));
            } else {
                var m = client.join(new JoinRequest(hostName, token, "", agent.url().toString(), agentToken));
                write(membershipFile, m);
            }
        } catch (RuntimeException e) {
            agent.close();
            throw e;
        }
        System.out.println("host " + hostName + " (" + agent.url() + ") joined " + client.base());
        var stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            agent.close();
            stop.countDown();
        }));
        stop.await();
        return 0;
    }

    private int simulate() throws InterruptedException {
        if (data != null) {
            throw new CliError("--data: simulated hosts keep nothing on disk; leave it out with --simulate");
        }
        List<String> tokens;
        if (tokensFile != null) {
            tokens = SimulatedJoin.readTokens(tokensFile, hosts);
        } else if (token != null && hosts == 1) {
            tokens = List.of(token);
        } else {
            throw new CliError("--tokens-file: " + hosts + " simulated hosts need one join token each "
                    + "(virga host add-token --count " + hosts + " > tokens.txt); --token alone serves --hosts 1");
        }
        // --cpus and --memory are each simulated host's (default 16 CPUs and 64 GiB), --labels every host's
        int hostCpus = checkedCpus() == 0 ? SIMULATED_CPUS : checkedCpus();
        long hostMemory = checkedMemory() == 0 ? SIMULATED_MEMORY : checkedMemory();
        SimulatedHosts sim;
        try {
            sim = SimulatedHosts.start(new SimulatedHosts.Config(name == null ? "sim" : name, hosts, hostCpus,
                    hostMemory, checkedLabels(), listen, port));
        } catch (IllegalArgumentException e) {
            throw new CliError(e.getMessage());
        }
        try {
            SimulatedJoin.join(new VirgaClient(Home.servers("--server", server)), sim.members(), tokens);
        } catch (RuntimeException e) {
            sim.close();
            throw e;
        }
        System.out.println(hosts + " SIMULATED hosts (" + name(sim) + ", a test and planning tool: no VM runs) "
                + "joined " + server);
        var stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            sim.close();
            stop.countDown();
        }));
        stop.await();
        return 0;
    }

    private static String name(SimulatedHosts sim) {
        var members = sim.members();
        return members.size() == 1 ? members.getFirst().name()
                : members.getFirst().name() + " .. " + members.getLast().name();
    }

    private java.util.Map<String, String> checkedLabels() {
        var out = new java.util.TreeMap<String, String>();
        if (labels == null) {
            return out;
        }
        labels.forEach((k, v) -> {
            if (!dev.virga.api.Labels.valid(k, v)) {
                throw new CliError("--labels: '" + k + "=" + v + "' is not a label (" + dev.virga.api.Labels.RULES
                        + ")");
            }
            if (k.equals("arch") || k.equals("name")) {
                throw new CliError("--labels: '" + k + "' is set by Virga itself (the host's " + k + ")");
            }
            out.put(k, v);
        });
        return out;
    }

    private int checkedCpus() {
        if (cpus < 0 || cpus > 4096) {
            throw new CliError("--cpus: " + cpus + " is out of range (0 = the machine's, up to 4096)");
        }
        return cpus;
    }

    private long checkedMemory() {
        if (memory == null || memory.isBlank()) {
            return 0;
        }
        try {
            return dev.virga.api.Sizes.parse(memory);
        } catch (IllegalArgumentException e) {
            throw new CliError("--memory: " + e.getMessage());
        }
    }

    private static void write(Path file, Membership m) throws IOException {
        // it holds the host's secret
        dev.virga.client.OwnerOnly.write(file, Json.mapper().writeValueAsBytes(m));
    }

    private static String localName() throws IOException {
        return Files.readString(Path.of("/etc/hostname")).strip().toLowerCase().replaceAll("[^a-z0-9-]", "-");
    }
}
