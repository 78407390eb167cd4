package dev.virga.cli;

import dev.virga.agent.AgentConfig;
import dev.virga.agent.VirgaAgent;
import dev.virga.client.ApiException;
import dev.virga.client.VirgaClient;
import dev.virga.server.ServerConfig;
import dev.virga.server.VirgaServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code virga up}: the embedded default, a control plane and one local agent in one JVM, SQLite state. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = {"Start Virga on this machine: control plane + local host + SQLite, data in $VIRGA_HOME "
                + "(default ./var). Listens on 127.0.0.1 only.",
                "Runs in the background (log in $VIRGA_HOME/virga.log) unless --foreground."})
final class UpCommand implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "" + Home.DEFAULT_PORT, description = "API port (0: any free port)")
    int port;
    @Option(names = "--foreground", description = "run in this process until interrupted") boolean foreground;
    @Option(names = "--accel", defaultValue = "auto", description = "auto (probe KVM, else TCG), tcg or kvm")
    String accel;
    @Option(names = "--hosts", defaultValue = "1", description = "hosts to run in this process (1..8): local, then "
            + "local-2, local-3, ... each with its own data directory under $VIRGA_HOME/hosts/ and an equal share of "
            + "this machine's CPUs and memory; a cluster on one machine for trying placement. Hosts made once are "
            + "started again by every later up.")
    int hosts;

    @Override
    public Integer call() throws Exception {
        if (hosts < 1 || hosts > 8) {
            throw new CliError("--hosts: " + hosts + " is not between 1 and 8");
        }
        var home = Home.resolve();
        var running = home.running();
        if (running.isPresent()) {
            System.out.println("Virga is already up at " + running.get().url() + " (pid " + running.get().pid() + ")");
            return 0;
        }
        if (foreground) {
            runHere(home);
            return 0;
        }
        var info = startInBackground(home, port, accel, hosts);
        System.out.println("Virga is up at " + info.url() + " (pid " + info.pid() + ", data " + home.dir()
                + ", log " + home.logFile() + ")");
        return 0;
    }

    private void runHere(Home home) throws InterruptedException {
        var server = VirgaServer.start(ServerConfig.local(home.dir(), port));
        var token = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
        var others = extraHosts(home, hosts);
        // several hosts on one machine share it: each offers its share of the CPUs and memory
        int share = others.size() + 1;
        int cpus = share == 1 ? 0 : Math.max(1, Runtime.getRuntime().availableProcessors() / share);
        long memory = share == 1 ? 0 : dev.virga.agent.vm.Admission.machineMemory() / share;
        var agent = VirgaAgent.start(new AgentConfig("local", home.dir(), "127.0.0.1", 0, token, accel,
                java.util.Map.of(), cpus, memory));
        server.attachHost("local", agent.url(), token);
        var extra = new ArrayList<VirgaAgent>();
        for (var name : others) {
            var t = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
            var a = VirgaAgent.start(new AgentConfig(name, home.dir().resolve("hosts").resolve(name), "127.0.0.1", 0,
                    t, accel, java.util.Map.of(), cpus, memory));
            server.attachHost(name, a.url(), t);
            extra.add(a);
        }
        server.startReconciling();
        home.writeUp(new Home.UpInfo(server.url().toString(), ProcessHandle.current().pid()));
        var stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            agent.close();
            extra.forEach(VirgaAgent::close);
            try {
                Files.deleteIfExists(home.upFile());
            } catch (IOException e) {
                // a stale up.json is recognised by its dead pid
            }
            stop.countDown();
        }));
        System.out.println("Virga is up at " + server.url() + " (data " + home.dir() + "); Ctrl-C stops it "
                + "(VMs keep running and are adopted at the next start)");
        stop.await();
    }

    /** local-2 .. local-N, plus every host an earlier up made (its directory under hosts/). */
    static java.util.List<String> extraHosts(Home home, int hosts) {
        var names = new java.util.TreeSet<String>();
        for (int k = 2; k <= hosts; k++) {
            names.add("local-" + k);
        }
        var dir = home.dir().resolve("hosts");
        if (Files.isDirectory(dir)) {
            try (var list = Files.list(dir)) {
                list.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                        .filter(n -> n.matches("local-[0-9]+")).forEach(names::add);
            } catch (IOException e) {
                throw new CliError("cannot list " + dir + ": " + e.getMessage());
            }
        }
        return java.util.List.copyOf(names);
    }

    /** Starts {@code virga up --foreground} detached from this terminal and waits until its API answers. */
    static Home.UpInfo startInBackground(Home home, int port, String accel, int hosts)
            throws IOException, InterruptedException {
        Files.createDirectories(home.dir());
        var javaBin = ProcessHandle.current().info().command().orElse("java");
        var jar = Path.of(UpCommand.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        var cmd = new ArrayList<String>();
        cmd.add("setsid");
        cmd.add(javaBin);
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-Xss512k");
        cmd.add("-cp");
        cmd.add(jar.toString());
        cmd.add(Main.class.getName());
        cmd.addAll(java.util.List.of("up", "--foreground", "--port", String.valueOf(port), "--accel", accel,
                "--hosts", String.valueOf(hosts)));
        dev.virga.client.OwnerOnly.directory(home.dir());
        dev.virga.client.OwnerOnly.file(home.logFile());
        var pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(home.logFile().toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("VIRGA_HOME", home.dir().toString());
        var process = pb.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new CliError("virga up exited at once (code " + process.exitValue() + "); see "
                        + home.logFile() + ":\n" + tail(home.logFile()));
            }
            var up = home.up().filter(u -> u.pid() == process.pid());
            if (up.isPresent() && answers(up.get().url())) {
                return up.get();
            }
            Thread.sleep(200);
        }
        process.destroy();
        throw new CliError("virga up did not answer within 90 s; see " + home.logFile());
    }

    private static boolean answers(String url) {
        try {
            new VirgaClient(URI.create(url)).info();
            return true;
        } catch (ApiException e) {
            return false;
        }
    }

    static String tail(Path log) {
        try {
            var lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }
}
