package dev.virga.agent.vm;

import dev.virga.api.GuestDetails;
import dev.virga.qemu.ga.GuestAgentClient;
import dev.virga.qemu.ga.GuestAgentException;

import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Function;

/**
 * The one connection to a VM's guest agent. QEMU's chardev accepts a single client, so every user of the guest
 * agent (readiness, exec, details) goes through here, one call at a time; a broken connection is re-made.
 */
final class GuestLink implements AutoCloseable {
    private final Path socket;
    private GuestAgentClient client;

    GuestLink(Path socket) {
        this.socket = socket;
    }

    /** Connected by {@link #connectEarly()} and not yet answered on. */
    private boolean early;

    /**
     * Connects before the guest runs (see {@link GuestAgentClient#open}); {@link #awaitReady} then waits on this
     * connection first.
     */
    synchronized void connectEarly() {
        closeClient();
        client = GuestAgentClient.open(socket, Duration.ofSeconds(5));
        early = true;
    }

    /** Waits until the guest agent answers, up to {@code deadline}. */
    synchronized void awaitReady(Duration deadline) {
        if (early && client != null) {
            early = false;
            try {
                client.execute("guest-ping", java.util.Map.of(), deadline);
                return;
            } catch (GuestAgentException e) {
                // the saved guest's agent did not take it up: a fresh connection, as for a boot
            }
        }
        closeClient();
        client = GuestAgentClient.awaitReady(socket, deadline);
    }

    synchronized <T> T call(Function<GuestAgentClient, T> action) {
        if (client == null) {
            client = GuestAgentClient.connect(socket, Duration.ofSeconds(5));
        }
        try {
            return action.apply(client);
        } catch (GuestAgentException e) {
            // the connection may be out of step (a timed-out reply arriving late): start afresh next time
            closeClient();
            throw e;
        }
    }

    /** What the guest says about itself; unknown fields stay empty. */
    GuestDetails details() {
        return call(ga -> {
            var info = ga.info();
            var os = ga.osInfo();
            String hostname;
            try {
                hostname = ga.execute("guest-get-host-name").path("host-name").asText("");
            } catch (GuestAgentException e) {
                hostname = "";
            }
            long offset;
            try {
                long before = System.currentTimeMillis();
                long guest = ga.time().toEpochMilli();
                offset = guest - (before + System.currentTimeMillis()) / 2;
            } catch (GuestAgentException e) {
                offset = 0;
            }
            return new GuestDetails(true, info.version(), os.prettyName().isEmpty() ? os.name() : os.prettyName(),
                    os.kernelRelease(), hostname, offset);
        });
    }

    /** The guest's clock minus this host's, in ms (one {@code guest-get-time}). */
    long clockOffsetMillis() {
        return call(ga -> {
            long before = System.currentTimeMillis();
            long guest = ga.time().toEpochMilli();
            return guest - (before + System.currentTimeMillis()) / 2;
        });
    }

    private void closeClient() {
        early = false;
        if (client != null) {
            client.close();
            client = null;
        }
    }

    @Override
    public synchronized void close() {
        closeClient();
    }
}
