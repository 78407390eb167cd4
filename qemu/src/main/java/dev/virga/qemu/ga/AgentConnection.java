package dev.virga.qemu.ga;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The byte level of a guest-agent connection: a socket, a reader thread, and a queue of what
 * came in, cut into frames.
 *
 * <p>The stream is JSON lines, except that {@code guest-sync-delimited} puts a 0xFF byte (never
 * valid in UTF-8 JSON) before its reply. A 0xFF discards any partial line, so stale half-replies
 * from an earlier client cannot corrupt the next one; a line that is not JSON is dropped for the
 * same reason (the agent may have been mid-write when the previous client left).
 */
final class AgentConnection implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AgentConnection.class);
    private static final int SENTINEL = 0xFF;
    // qemu-ga caps captured output at 16 MiB per stream; base64 of two such streams fits in 64 MiB.
    private static final int MAX_LINE = 64 * 1024 * 1024;
    private static final Duration CONNECT_RETRY = Duration.ofMillis(20);

    /** What the reader saw: a sentinel byte, a JSON message, or the end of the stream. */
    sealed interface Frame {
    }

    record Sentinel() implements Frame {
    }

    record Message(JsonNode json) implements Frame {
    }

    record Closed(String reason) implements Frame {
    }

    private final Path socket;
    private final SocketChannel channel;
    private final ObjectMapper mapper;
    private final BlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
    private volatile Closed closed;

    private AgentConnection(Path socket, SocketChannel channel, ObjectMapper mapper) {
        this.socket = socket;
        this.channel = channel;
        this.mapper = mapper;
    }

    /** Connects, retrying until {@code deadline} (System.nanoTime) because QEMU may not have made the socket yet. */
    static AgentConnection open(Path socket, long deadline, ObjectMapper mapper) {
        var address = UnixDomainSocketAddress.of(socket);
        while (true) {
            try {
                var connection = new AgentConnection(socket, SocketChannel.open(address), mapper);
                Thread.ofVirtual().name("qga-reader " + socket.getFileName()).start(connection::readLoop);
                return connection;
            } catch (IOException e) {
                if (System.nanoTime() - deadline > 0) {
                    throw new GuestAgentTimeoutException("cannot connect to guest-agent socket " + socket + ": "
                            + e.getMessage(), e);
                }
                GuestAgentClient.sleep(CONNECT_RETRY);
            }
        }
    }

    Path socket() {
        return socket;
    }

    void send(byte[] bytes) {
        // An interrupt flag left on the caller's thread would make NIO close the channel mid-write.
        boolean interrupted = Thread.interrupted();
        try {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        } catch (IOException e) {
            throw new GuestAgentException("cannot write to guest-agent socket " + socket + ": " + e.getMessage(), e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The next frame, a {@link Closed} once the stream has ended, or null after {@code timeout}. */
    Frame poll(Duration timeout) {
        Frame next = frames.poll();
        if (next != null) {
            return next;
        }
        if (closed != null) {
            return closed;
        }
        try {
            return frames.poll(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuestAgentException("interrupted while waiting for the guest agent on " + socket, e);
        }
    }

    /** Drops whatever arrived unasked (late replies), so the next reply read is the answer to the next request. */
    void discardPending() {
        Frame stale;
        while ((stale = frames.poll()) != null) {
            if (stale instanceof Closed c) {
                frames.add(c);
                return;
            }
            log.debug("guest agent {}: discarding stale {}", socket, stale);
        }
    }

    boolean isOpen() {
        return closed == null && channel.isOpen();
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            log.debug("closing guest-agent socket {}: {}", socket, e.toString());
        }
    }

    private void readLoop() {
        var line = new ByteArrayOutputStream();
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        String reason = "the guest-agent socket " + socket + " was closed by QEMU";
        try {
            while (channel.read(buffer.clear()) >= 0) {
                split(buffer.array(), buffer.position(), line);
            }
        } catch (IOException e) {
            reason = channel.isOpen() ? "reading the guest-agent socket " + socket + " failed: " + e.getMessage()
                    : "the guest-agent client for " + socket + " was closed";
        } finally {
            closed = new Closed(reason);
            frames.add(closed);
        }
    }

    private void split(byte[] bytes, int length, ByteArrayOutputStream line) {
        int start = 0;
        for (int i = 0; i < length; i++) {
            int b = bytes[i] & 0xFF;
            if (b == SENTINEL) {
                line.reset();
                frames.add(new Sentinel());
                start = i + 1;
            } else if (b == '\n') {
                append(line, bytes, start, i - start);
                emit(line);
                start = i + 1;
            }
        }
        append(line, bytes, start, length - start);
    }

    private void append(ByteArrayOutputStream line, byte[] bytes, int from, int count) {
        if (line.size() + count > MAX_LINE) {
            log.warn("guest agent {}: dropping a line longer than {} bytes", socket, MAX_LINE);
            line.reset();
            return;
        }
        line.write(bytes, from, count);
    }

    private void emit(ByteArrayOutputStream line) {
        byte[] bytes = line.toByteArray();
        line.reset();
        if (isBlank(bytes)) {
            return;
        }
        try {
            frames.add(new Message(mapper.readTree(bytes)));
        } catch (IOException e) {
            log.debug("guest agent {}: dropping a line that is not JSON ({} bytes)", socket, bytes.length);
        }
    }

    private static boolean isBlank(byte[] bytes) {
        for (byte b : bytes) {
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                return false;
            }
        }
        return true;
    }
}
