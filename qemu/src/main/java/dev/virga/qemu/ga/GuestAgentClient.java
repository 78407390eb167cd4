package dev.virga.qemu.ga;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.virga.qemu.ga.AgentConnection.Closed;
import dev.virga.qemu.ga.AgentConnection.Frame;
import dev.virga.qemu.ga.AgentConnection.Message;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection to a guest agent through QEMU's chardev socket.
 *
 * <p>Thread-safe: calls are serialised, since the protocol matches replies to requests by order
 * only. When a reply may be out of step (a timeout, a shutdown) the next call first re-syncs.
 */
public final class GuestAgentClient implements AutoCloseable {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private static final Logger log = LoggerFactory.getLogger(GuestAgentClient.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Set<String> SHUTDOWN_MODES = Set.of("powerdown", "reboot", "halt");
    // guest-shutdown answers only on failure, and a failure comes back at once; silence means accepted.
    private static final Duration SHUTDOWN_ERROR_WAIT = Duration.ofSeconds(1);
    // The agent may be busy syncing disks for fsfreeze; give it longer than an ordinary command.
    private static final Duration FREEZE_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration FIRST_SYNC_WAIT = Duration.ofMillis(200);
    private static final Duration MAX_SYNC_WAIT = Duration.ofSeconds(1);
    private static final Duration AWAIT_READY_TRY = Duration.ofSeconds(2);
    /** Polls are cheap and a guest command often ends within a few hundred ms: find out within 50 ms. */
    private static final Duration MAX_POLL_BACKOFF = Duration.ofMillis(50);

    private final AgentConnection connection;
    private final ReentrantLock lock = new ReentrantLock();
    private boolean needsSync = true; // guarded by lock

    private GuestAgentClient(AgentConnection connection) {
        this.connection = connection;
    }

    /**
     * Connects and synchronises with {@code guest-sync-delimited}, re-sending the sync with a new
     * random id until {@code timeout}, because the agent in the guest may not be running yet.
     *
     * @throws GuestAgentTimeoutException when the agent did not answer in time
     */
    public static GuestAgentClient connect(Path socket, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        var client = new GuestAgentClient(AgentConnection.open(socket, deadline, MAPPER));
        try {
            client.lock.lock();
            try {
                client.sync(deadline, timeout);
            } finally {
                client.lock.unlock();
            }
            return client;
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /**
     * Connects without waiting for the agent to answer; the first command synchronises. For a guest about to be
     * resumed from a saved state whose agent had a host connected: connected before the state loads, the guest's
     * port never sees the host go away (a qemu-ga that saw it would poll for the host again only every 0.5 s).
     */
    public static GuestAgentClient open(Path socket, Duration timeout) {
        return new GuestAgentClient(AgentConnection.open(socket, System.nanoTime() + timeout.toNanos(), MAPPER));
    }

    /**
     * Waits until the guest agent answers, reconnecting now and then (a fresh connection sheds
     * requests queued while the guest was not reading), for at most {@code deadline}.
     *
     * @throws GuestAgentTimeoutException naming the socket and the last failure
     */
    public static GuestAgentClient awaitReady(Path socket, Duration deadline) {
        long end = System.nanoTime() + deadline.toNanos();
        GuestAgentException last;
        do {
            Duration left = Duration.ofNanos(end - System.nanoTime());
            try {
                return connect(socket, left.compareTo(AWAIT_READY_TRY) < 0 ? left : AWAIT_READY_TRY);
            } catch (GuestAgentException e) {
                last = e;
                log.debug("guest agent on {} not ready yet: {}", socket, e.getMessage());
            }
            sleep(Duration.ofMillis(100));
        } while (System.nanoTime() - end < 0);
        throw new GuestAgentTimeoutException("the guest agent on " + socket + " did not answer within " + deadline
                + ": " + last.getMessage(), last);
    }

    public JsonNode execute(String command) {
        return execute(command, Map.of(), DEFAULT_TIMEOUT);
    }

    public JsonNode execute(String command, Map<String, ?> arguments) {
        return execute(command, arguments, DEFAULT_TIMEOUT);
    }

    /**
     * Runs any guest-agent command and returns its {@code return} member.
     *
     * @throws GuestAgentCommandException when the agent answers with an error
     * @throws GuestAgentTimeoutException when it does not answer within {@code timeout}
     */
    public JsonNode execute(String command, Map<String, ?> arguments, Duration timeout) {
        ObjectNode args = MAPPER.valueToTree(arguments);
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            if (needsSync) {
                sync(deadline, timeout);
            }
            connection.discardPending();
            connection.send(request(command, args, false));
            JsonNode reply = awaitMessage(deadline);
            if (reply == null) {
                needsSync = true; // its reply may still come and must not be taken for the next one's
                throw new GuestAgentTimeoutException("guest agent command '" + command + "' not answered within "
                        + timeout + " on " + connection.socket());
            }
            return unwrap(command, reply);
        } finally {
            lock.unlock();
        }
    }

    public void ping() {
        execute("guest-ping");
    }

    public GuestInfo info() {
        JsonNode info = execute("guest-info");
        List<String> enabled = new ArrayList<>();
        for (JsonNode command : info.path("supported_commands")) {
            if (command.path("enabled").asBoolean(true)) {
                enabled.add(command.path("name").asText());
            }
        }
        return new GuestInfo(info.path("version").asText(""), enabled);
    }

    public GuestOsInfo osInfo() {
        JsonNode os = execute("guest-get-osinfo");
        return new GuestOsInfo(os.path("id").asText(""), os.path("name").asText(""), os.path("pretty-name").asText(""),
                os.path("version").asText(""), os.path("version-id").asText(""), os.path("kernel-release").asText(""),
                os.path("kernel-version").asText(""), os.path("machine").asText(""));
    }

    /** The guest's clock ({@code guest-get-time}, nanoseconds since the epoch). */
    public Instant time() {
        long nanos = execute("guest-get-time").asLong();
        return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }

    /**
     * Starts {@code argv} in the guest ({@code guest-exec}) and returns its pid.
     *
     * @param stdin bytes fed to the process's standard input; empty for none
     * @param captureOutput keep stdout and stderr for {@link #execStatus}
     */
    public int exec(List<String> argv, byte[] stdin, boolean captureOutput) {
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("guest-exec needs a program: argv is empty");
        }
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("path", argv.getFirst());
        args.put("arg", argv.subList(1, argv.size()));
        if (stdin.length > 0) {
            args.put("input-data", Base64.getEncoder().encodeToString(stdin));
        }
        args.put("capture-output", captureOutput);
        JsonNode reply = execute("guest-exec", args);
        if (!reply.path("pid").isInt()) {
            throw new GuestAgentException("guest-exec of " + argv + " returned no pid: " + reply);
        }
        return reply.get("pid").asInt();
    }

    /**
     * {@code guest-exec-status}. Note that qemu-ga forgets a process once it has reported it exited,
     * so asking again about that pid is an error.
     */
    public ExecStatus execStatus(int pid) {
        return execStatus(pid, DEFAULT_TIMEOUT);
    }

    private ExecStatus execStatus(int pid, Duration timeout) {
        JsonNode s = execute("guest-exec-status", Map.of("pid", pid), timeout);
        boolean exited = s.path("exited").asBoolean(false);
        return new ExecStatus(exited, s.has("exitcode") ? s.get("exitcode").asInt() : -1,
                s.has("signal") ? s.get("signal").asInt() : -1, decode(s, "out-data"), decode(s, "err-data"),
                s.path("out-truncated").asBoolean(false) || s.path("err-truncated").asBoolean(false));
    }

    /**
     * Runs {@code argv} to completion, capturing its output, polling with back-off.
     *
     * @throws GuestAgentTimeoutException naming the command when it is still running after {@code timeout}
     */
    public ExecStatus run(List<String> argv, byte[] stdin, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int pid = exec(argv, stdin, true);
        Duration backoff = Duration.ofMillis(5);
        while (true) {
            Duration left = Duration.ofNanos(deadline - System.nanoTime());
            if (left.isNegative() || left.isZero()) {
                throw new GuestAgentTimeoutException("guest command " + argv + " (pid " + pid
                        + ") still running after " + timeout);
            }
            ExecStatus status = execStatus(pid, left.compareTo(DEFAULT_TIMEOUT) < 0 ? left : DEFAULT_TIMEOUT);
            if (status.exited()) {
                return status;
            }
            sleep(backoff.compareTo(left) < 0 ? backoff : left);
            backoff = backoff.multipliedBy(2).compareTo(MAX_POLL_BACKOFF) < 0 ? backoff.multipliedBy(2) : MAX_POLL_BACKOFF;
        }
    }

    /** "thawed" or "frozen". */
    public String fsfreezeStatus() {
        return execute("guest-fsfreeze-status").asText();
    }

    /** Freezes the guest's filesystems and returns how many it froze. */
    public int fsfreezeFreeze() {
        return execute("guest-fsfreeze-freeze", Map.of(), FREEZE_TIMEOUT).asInt();
    }

    /** Thaws the guest's filesystems and returns how many it thawed. */
    public int fsfreezeThaw() {
        return execute("guest-fsfreeze-thaw", Map.of(), FREEZE_TIMEOUT).asInt();
    }

    /**
     * Asks the guest to power down, reboot or halt. The agent answers only when it refuses, so
     * this waits briefly for an error and otherwise returns; watch QMP for the SHUTDOWN event.
     *
     * @throws GuestAgentCommandException when the agent refused
     */
    public void shutdown(String mode) {
        if (!SHUTDOWN_MODES.contains(mode)) {
            throw new IllegalArgumentException("guest shutdown mode '" + mode + "' is not one of " + SHUTDOWN_MODES);
        }
        long deadline = System.nanoTime() + DEFAULT_TIMEOUT.toNanos();
        lock.lock();
        try {
            if (needsSync) {
                sync(deadline, DEFAULT_TIMEOUT);
            }
            connection.discardPending();
            connection.send(request("guest-shutdown", MAPPER.createObjectNode().put("mode", mode), false));
            needsSync = true; // an agent that does answer success would otherwise answer the next call
            JsonNode reply = awaitMessage(System.nanoTime() + SHUTDOWN_ERROR_WAIT.toNanos());
            if (reply != null && reply.has("error")) {
                unwrap("guest-shutdown", reply);
            }
        } catch (GuestAgentException e) {
            if (e instanceof GuestAgentCommandException || connection.isOpen()) {
                throw e;
            }
            log.debug("guest agent {}: connection ended after guest-shutdown: {}", connection.socket(), e.getMessage());
        } finally {
            lock.unlock();
        }
    }

    public Path socket() {
        return connection.socket();
    }

    @Override
    public void close() {
        connection.close();
    }

    @Override
    public String toString() {
        return "GuestAgentClient[" + connection.socket() + "]";
    }

    /** Re-synchronises the stream; see the class comment of {@link AgentConnection}. Caller holds the lock. */
    private void sync(long deadline, Duration timeout) {
        Duration attempt = FIRST_SYNC_WAIT;
        while (true) {
            long id = ThreadLocalRandom.current().nextLong(1, Integer.MAX_VALUE);
            // The leading 0xFF makes the agent drop any half-read request left by an earlier client.
            byte[] body = request("guest-sync-delimited", MAPPER.createObjectNode().put("id", id), true);
            connection.send(body);
            long attemptEnd = Math.min(deadline, System.nanoTime() + attempt.toNanos());
            JsonNode reply;
            while ((reply = awaitMessage(attemptEnd)) != null) {
                // Only the latest id counts: replies to earlier syncs precede it, so nothing of ours follows it.
                if (reply.path("return").isIntegralNumber() && reply.get("return").asLong() == id) {
                    needsSync = false;
                    return;
                }
                log.debug("guest agent {}: skipping stale reply {}", connection.socket(), reply);
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new GuestAgentTimeoutException("the guest agent on " + connection.socket()
                        + " did not answer guest-sync-delimited within " + timeout);
            }
            attempt = attempt.multipliedBy(2).compareTo(MAX_SYNC_WAIT) < 0 ? attempt.multipliedBy(2) : MAX_SYNC_WAIT;
        }
    }

    /** The next JSON message before {@code deadline}, or null; sentinels are skipped. Caller holds the lock. */
    private JsonNode awaitMessage(long deadline) {
        while (true) {
            Frame frame = connection.poll(Duration.ofNanos(deadline - System.nanoTime()));
            switch (frame) {
                case null -> {
                    return null;
                }
                case Message m -> {
                    return m.json();
                }
                case Closed c -> throw new GuestAgentException(c.reason());
                case AgentConnection.Sentinel s -> {
                    // marks the start of a sync reply; the reply itself follows
                }
            }
        }
    }

    private static JsonNode unwrap(String command, JsonNode reply) {
        if (reply.has("error")) {
            JsonNode error = reply.get("error");
            throw new GuestAgentCommandException(command, error.path("class").asText("GenericError"),
                    error.path("desc").asText(error.toString()));
        }
        if (!reply.has("return")) {
            throw new GuestAgentException("guest agent sent no return for '" + command + "': " + reply);
        }
        return reply.get("return");
    }

    private static byte[] request(String command, ObjectNode args, boolean sentinelFirst) {
        ObjectNode request = MAPPER.createObjectNode().put("execute", command);
        if (!args.isEmpty()) {
            request.set("arguments", args);
        }
        try {
            byte[] json = MAPPER.writeValueAsBytes(request);
            int offset = sentinelFirst ? 1 : 0;
            byte[] line = new byte[offset + json.length + 1];
            if (sentinelFirst) {
                line[0] = (byte) 0xFF;
            }
            System.arraycopy(json, 0, line, offset, json.length);
            line[line.length - 1] = '\n';
            return line;
        } catch (JsonProcessingException e) {
            throw new GuestAgentException("cannot serialise guest-agent request " + request, e);
        }
    }

    private static byte[] decode(JsonNode status, String field) {
        String data = status.path(field).asText("");
        try {
            return Base64.getDecoder().decode(data);
        } catch (IllegalArgumentException e) {
            throw new GuestAgentException("guest-exec-status " + field + " is not base64: " + e.getMessage(), e);
        }
    }

    static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuestAgentException("interrupted while talking to the guest agent", e);
        }
    }
}
