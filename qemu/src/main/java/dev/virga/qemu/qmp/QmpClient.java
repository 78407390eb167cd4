package dev.virga.qemu.qmp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One QMP connection to one QEMU process.
 *
 * <p>Thread-safe: any number of threads may {@link #execute} at once. A reader thread matches
 * replies to calls by the unique {@code id} each call carries, hands events to waiters and
 * listeners, and on EOF fails every pending call at once with {@link QmpClosedException}.
 * Writes go through a writer thread so that an interrupted caller cannot close the shared
 * channel (NIO closes an interruptible channel when a thread blocked in it is interrupted).
 */
public final class QmpClient implements AutoCloseable {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private static final Logger log = LoggerFactory.getLogger(QmpClient.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Duration CONNECT_RETRY = Duration.ofMillis(20);
    // Below this the next step of connect cannot succeed anyway; a floor avoids failing on scraps.
    private static final Duration MIN_STEP = Duration.ofMillis(50);
    private static final byte[] END_OF_OUTPUT = new byte[0];

    private final Path socket;
    private final SocketChannel channel;
    private final AtomicLong ids = new AtomicLong();
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final Set<EventWaiter> waiters = ConcurrentHashMap.newKeySet();
    private final List<Consumer<QmpEvent>> listeners = new CopyOnWriteArrayList<>();
    private final BlockingQueue<byte[]> outbox = new LinkedBlockingQueue<>();
    private final CompletableFuture<JsonNode> greeting = new CompletableFuture<>();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final AtomicReference<QmpClosedException> closedCause = new AtomicReference<>();
    // Listeners run on their own thread, in order, so that they may call execute() themselves.
    private final ExecutorService eventDispatch;
    private volatile QmpVersion version;

    private record Pending(String command, CompletableFuture<JsonNode> reply) {
    }

    private QmpClient(Path socket, SocketChannel channel) {
        this.socket = socket;
        this.channel = channel;
        this.eventDispatch = Executors.newSingleThreadExecutor(Thread.ofVirtual().name("qmp-events").factory());
    }

    /**
     * Connects to QEMU's QMP socket, reads the greeting and leaves capabilities-negotiation mode.
     * Retries the connect until {@code timeout}, because QEMU may not have created the socket yet.
     *
     * @throws QmpTimeoutException when no socket, greeting or reply came in time
     */
    public static QmpClient connect(Path socket, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        QmpClient client = new QmpClient(socket, openWithRetry(socket, timeout, deadline));
        try {
            client.start();
            JsonNode hello = client.awaitGreeting(remaining(deadline));
            client.version = QmpVersion.fromJson(hello.path("version"));
            client.execute("qmp_capabilities", MAPPER.createObjectNode(), remaining(deadline));
            log.debug("QMP connected to {} (QEMU {})", socket, client.version);
            return client;
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    private static SocketChannel openWithRetry(Path socket, Duration timeout, long deadline) {
        var address = UnixDomainSocketAddress.of(socket);
        while (true) {
            try {
                return SocketChannel.open(address);
            } catch (IOException e) {
                if (System.nanoTime() - deadline > 0) {
                    throw new QmpTimeoutException("cannot connect to QMP socket " + socket + " within " + timeout
                            + ": " + e.getMessage(), e);
                }
                sleep(CONNECT_RETRY);
            }
        }
    }

    private void start() {
        Thread.ofVirtual().name("qmp-reader " + socket.getFileName()).start(this::readLoop);
        Thread.ofVirtual().name("qmp-writer " + socket.getFileName()).start(this::writeLoop);
    }

    private JsonNode awaitGreeting(Duration timeout) {
        try {
            return greeting.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new QmpTimeoutException("no QMP greeting on " + socket + " within " + timeout
                    + " (QEMU serves one QMP client at a time: is another one connected?)");
        } catch (ExecutionException e) {
            throw new QmpClosedException("QMP socket " + socket + " closed before the greeting", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QmpException("interrupted while waiting for the QMP greeting on " + socket, e);
        }
    }

    public JsonNode execute(String command) {
        return execute(command, MAPPER.createObjectNode(), DEFAULT_TIMEOUT);
    }

    public JsonNode execute(String command, Map<String, ?> arguments) {
        return execute(command, arguments, DEFAULT_TIMEOUT);
    }

    public JsonNode execute(String command, Map<String, ?> arguments, Duration timeout) {
        return execute(command, (JsonNode) MAPPER.valueToTree(arguments), timeout);
    }

    public JsonNode execute(String command, JsonNode arguments) {
        return execute(command, arguments, DEFAULT_TIMEOUT);
    }

    /**
     * Runs one QMP command and returns its {@code return} member.
     *
     * @throws QmpCommandException when QEMU answers with an error
     * @throws QmpTimeoutException when no reply comes within {@code timeout} (a late reply is dropped)
     * @throws QmpClosedException when the connection is or becomes closed
     */
    public JsonNode execute(String command, JsonNode arguments, Duration timeout) {
        Objects.requireNonNull(command, "command");
        if (!arguments.isObject()) {
            throw new IllegalArgumentException("arguments of QMP command '" + command + "' must be an object: " + arguments);
        }
        String id = "virga-" + ids.incrementAndGet();
        ObjectNode request = MAPPER.createObjectNode().put("execute", command);
        if (!arguments.isEmpty()) {
            request.set("arguments", arguments);
        }
        request.put("id", id);
        var call = new Pending(command, new CompletableFuture<>());
        pending.put(id, call);
        QmpClosedException gone = closedCause.get();
        if (gone != null) {
            pending.remove(id);
            throw new QmpClosedException("cannot run '" + command + "': " + gone.getMessage(), gone);
        }
        outbox.add(serialize(request));
        return awaitReply(id, call, timeout);
    }

    private JsonNode awaitReply(String id, Pending call, Duration timeout) {
        JsonNode reply;
        try {
            reply = call.reply().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            pending.remove(id);
            if (!call.reply().isDone() || call.reply().isCompletedExceptionally()) {
                throw new QmpTimeoutException("QMP command '" + call.command() + "' not answered within " + timeout
                        + " on " + socket);
            }
            reply = call.reply().join(); // the reply raced the timeout: use it
        } catch (ExecutionException e) {
            throw new QmpClosedException("QMP command '" + call.command() + "' not answered: "
                    + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            pending.remove(id);
            Thread.currentThread().interrupt();
            throw new QmpException("interrupted while waiting for QMP command '" + call.command() + "'", e);
        }
        if (reply.has("error")) {
            JsonNode error = reply.get("error");
            throw new QmpCommandException(call.command(), error.path("class").asText("GenericError"),
                    error.path("desc").asText(error.toString()));
        }
        return reply.path("return");
    }

    /** {@code query-status}: "running", "paused", "prelaunch", "shutdown", "inmigrate", "postmigrate", ... */
    public String status() {
        return execute("query-status").path("status").asText();
    }

    public void cont() {
        execute("cont");
    }

    public void stop() {
        execute("stop");
    }

    /** Presses the ACPI power button; the guest decides what to do (see the SHUTDOWN event). */
    public void systemPowerdown() {
        execute("system_powerdown");
    }

    public void systemReset() {
        execute("system_reset");
    }

    /** Asks QEMU to exit; returns once QEMU acknowledged or the connection closed, whichever comes first. */
    public void quit() {
        try {
            execute("quit");
        } catch (QmpClosedException e) {
            // QEMU may exit before its reply reaches us; being gone is what quit asked for.
            log.debug("QMP connection to {} closed during quit", socket);
        }
    }

    /** QEMU's version, from the greeting. */
    public QmpVersion version() {
        return version;
    }

    /**
     * Calls {@code listener} with every event from now on, in arrival order, on a dedicated thread
     * (so a listener may run QMP commands; a slow listener delays the later events only).
     */
    public Subscription onEvent(Consumer<QmpEvent> listener) {
        Consumer<QmpEvent> registered = listener::accept; // a fresh identity, so close() removes only this one
        listeners.add(registered);
        return () -> listeners.remove(registered);
    }

    /**
     * Starts waiting for an event now. Call this before the command that causes the event, then
     * {@link EventWaiter#await}: an event that arrives in between is kept, never missed.
     * {@code match} runs on the reader thread, so it must be quick and must not call QMP.
     */
    public EventWaiter expectEvent(Predicate<QmpEvent> match) {
        var waiter = new EventWaiter(match, waiters::remove);
        waiters.add(waiter);
        QmpClosedException gone = closedCause.get();
        if (gone != null) {
            waiter.fail(gone);
        }
        return waiter;
    }

    /** Waits for the next matching event that arrives after this call. */
    public QmpEvent awaitEvent(Predicate<QmpEvent> match, Duration timeout) {
        try (EventWaiter waiter = expectEvent(match)) {
            return waiter.await(timeout);
        }
    }

    /** Completes when the connection ends, because QEMU closed it (exited) or {@link #close()} was called. */
    public CompletableFuture<Void> closed() {
        return closed.copy();
    }

    public boolean isOpen() {
        return closedCause.get() == null;
    }

    public Path socket() {
        return socket;
    }

    @Override
    public void close() {
        shutDown(new QmpClosedException("QMP client for " + socket + " was closed"));
    }

    @Override
    public String toString() {
        return "QmpClient[" + socket + (isOpen() ? "" : ", closed") + "]";
    }

    private void readLoop() {
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        var frames = new JsonFrames(MAPPER);
        QmpClosedException end = new QmpClosedException("QEMU closed the QMP socket " + socket);
        try {
            while (channel.read(buffer.clear()) >= 0) {
                frames.feed(buffer.array(), buffer.position(), this::dispatch);
            }
        } catch (AsynchronousCloseException e) {
            end = new QmpClosedException("QMP client for " + socket + " was closed");
        } catch (IOException e) {
            end = new QmpClosedException("QMP connection " + socket + " failed: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            log.error("QMP reader for {} failed", socket, e);
            end = new QmpClosedException("QMP reader for " + socket + " failed: " + e, e);
        } finally {
            shutDown(end);
        }
    }

    private void writeLoop() {
        try {
            byte[] bytes;
            while ((bytes = outbox.take()) != END_OF_OUTPUT) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            }
        } catch (IOException e) {
            shutDown(new QmpClosedException("cannot write to QMP socket " + socket + ": " + e.getMessage(), e));
        } catch (InterruptedException e) {
            shutDown(new QmpClosedException("QMP writer for " + socket + " was interrupted", e));
        }
    }

    private void dispatch(JsonNode message) {
        if (message.has("QMP")) {
            greeting.complete(message.get("QMP"));
        } else if (message.has("event")) {
            deliver(toEvent(message));
        } else if (message.has("return") || message.has("error")) {
            String id = message.path("id").asText("");
            Pending call = pending.remove(id);
            if (call != null) {
                call.reply().complete(message);
            } else {
                log.debug("QMP {}: dropping reply without a waiting call (timed out?): {}", socket, message);
            }
        } else {
            log.warn("QMP {}: ignoring unexpected message {}", socket, message);
        }
    }

    private void deliver(QmpEvent event) {
        log.debug("QMP {}: event {} {}", socket, event.name(), event.data());
        for (EventWaiter waiter : waiters) {
            waiter.offer(event);
        }
        if (listeners.isEmpty()) {
            return;
        }
        try {
            eventDispatch.execute(() -> {
                for (Consumer<QmpEvent> listener : listeners) {
                    try {
                        listener.accept(event);
                    } catch (RuntimeException e) {
                        log.warn("QMP {}: event listener failed on {}", socket, event.name(), e);
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            log.debug("QMP {}: closed, dropping event {}", socket, event.name());
        }
    }

    private static QmpEvent toEvent(JsonNode message) {
        JsonNode ts = message.path("timestamp");
        Instant at = ts.has("seconds")
                ? Instant.ofEpochSecond(ts.path("seconds").asLong(), ts.path("microseconds").asLong() * 1000)
                : Instant.now();
        JsonNode data = message.has("data") ? message.get("data") : MAPPER.createObjectNode();
        return new QmpEvent(message.path("event").asText(), data, at);
    }

    private void shutDown(QmpClosedException cause) {
        if (!closedCause.compareAndSet(null, cause)) {
            return;
        }
        greeting.completeExceptionally(cause);
        for (String id : List.copyOf(pending.keySet())) {
            Pending call = pending.remove(id);
            if (call != null) {
                call.reply().completeExceptionally(cause);
            }
        }
        for (EventWaiter waiter : waiters) {
            waiter.fail(cause);
        }
        outbox.add(END_OF_OUTPUT);
        eventDispatch.shutdown();
        try {
            channel.close();
        } catch (IOException e) {
            log.debug("closing QMP socket {}: {}", socket, e.toString());
        }
        closed.complete(null);
    }

    private static byte[] serialize(ObjectNode request) {
        try {
            byte[] json = MAPPER.writeValueAsBytes(request);
            byte[] line = new byte[json.length + 1];
            System.arraycopy(json, 0, line, 0, json.length);
            line[json.length] = '\n';
            return line;
        } catch (JsonProcessingException e) {
            throw new QmpException("cannot serialise QMP request " + request, e);
        }
    }

    private static Duration remaining(long deadline) {
        Duration left = Duration.ofNanos(deadline - System.nanoTime());
        return left.compareTo(MIN_STEP) < 0 ? MIN_STEP : left;
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QmpException("interrupted while connecting to QMP", e);
        }
    }

    /** Stops a listener registered with {@link #onEvent}. */
    @FunctionalInterface
    public interface Subscription extends AutoCloseable {
        @Override
        void close();
    }
}
