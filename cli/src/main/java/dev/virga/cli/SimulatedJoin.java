package dev.virga.cli;

import dev.virga.agent.sim.SimulatedHosts;
import dev.virga.api.JoinRequest;
import dev.virga.client.ApiException;
import dev.virga.client.VirgaClient;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * Simulated hosts join a control plane the way real agents do: each through {@code POST /1.0/hosts/join} with its
 * own one-use token (there is no shortcut around the join).
 */
final class SimulatedJoin {
    /** Joins in flight at once: enough to join 10,000 hosts in seconds, few enough not to swamp the server. */
    private static final int PARALLEL = 16;

    private SimulatedJoin() {
    }

    /** One token a line (blank lines and lines starting with # are skipped), as `virga host add-token --count N` prints. */
    static List<String> readTokens(Path file, int needed) {
        List<String> tokens;
        try {
            tokens = Files.readAllLines(file).stream().map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        } catch (IOException e) {
            throw new CliError("--tokens-file: cannot read " + file + ": " + e.getMessage());
        }
        if (tokens.size() < needed) {
            throw new CliError("--tokens-file: " + file + " has " + tokens.size() + " tokens, " + needed
                    + " hosts need one each (virga host add-token --count " + needed + " > " + file + ")");
        }
        return tokens.subList(0, needed);
    }

    /** Issues one join token per host through the API (what an operator does with `virga host add-token`). */
    static List<String> issueTokens(VirgaClient client, int count) {
        var tokens = new ArrayList<String>(count);
        for (int i = 0; i < count; i++) {
            tokens.add(client.addJoinToken(java.time.Duration.ofHours(1)).token());
        }
        return tokens;
    }

    /** Host i joins with token i; fails naming the first host the server refused. */
    static void join(VirgaClient client, List<SimulatedHosts.Member> members, List<String> tokens) {
        var gate = new Semaphore(PARALLEL);
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            var joins = new ArrayList<Future<?>>(members.size());
            for (int i = 0; i < members.size(); i++) {
                var m = members.get(i);
                var token = tokens.get(i);
                joins.add(threads.submit(() -> {
                    gate.acquireUninterruptibly();
                    try {
                        client.join(new JoinRequest(m.name(), token, "", m.url().toString(), m.agentToken()));
                    } catch (ApiException e) {
                        throw new CliError("simulated host " + m.name() + " could not join: " + e.getMessage());
                    } finally {
                        gate.release();
                    }
                }));
            }
            for (var j : joins) {
                j.get();
            }
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliError("interrupted while joining");
        }
    }
}
