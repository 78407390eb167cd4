package dev.virga.cli;

import dev.virga.agent.AgentConfig;
import dev.virga.agent.VirgaAgent;
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
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code virga agent}: one host joining a control plane. */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = {"Run a host agent in the foreground and join it to a control plane with a one-use token "
                + "(virga host add-token). It keeps DIR/membership.json and rejoins with it after a restart, so "
                + "--token is needed only the first time. Several agents may run on one machine (own --data)."})
final class AgentCommand implements Callable<Integer> {
    @Option(names = "--server", required = true, paramLabel = "URL[,URL...]", description = "the control plane's "
            + "URL; several servers on one PostgreSQL store comma-separated (join and rejoin go to the leader)")
    String server;
    @Option(names = "--token", description = "one-use join token (first start only)") String token;
    @Option(names = "--data", required = true, description = "this host's directory (images, instances)") Path data;
    @Option(names = "--name", description = "host name (default: the machine's hostname)") String name;
    @Option(names = "--listen", defaultValue = "127.0.0.1", description = "address of the agent endpoint")
    String listen;
    @Option(names = "--port", defaultValue = "0", description = "port of the agent endpoint (0: any free)") int port;
    @Option(names = "--accel", defaultValue = "auto", description = "auto, tcg or kvm") String accel;

    @Override
    public Integer call() throws Exception {
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
        var agent = VirgaAgent.start(new AgentConfig(hostName, dir, listen, port, agentToken, accel));
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

    private static void write(Path file, Membership m) throws IOException {
        var tmp = file.resolveSibling("membership.json.tmp");
        Files.write(tmp, Json.mapper().writeValueAsBytes(m));
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static String localName() throws IOException {
        return Files.readString(Path.of("/etc/hostname")).strip().toLowerCase().replaceAll("[^a-z0-9-]", "-");
    }
}
