package dev.virga.qemu.ga;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The host end of QEMU's guest-agent chardev, played by a test: a unix socket server that reads
 * JSON lines (skipping 0xFF flush bytes, as qemu-ga does) and answers as the script says.
 */
final class FakeGuestAgent implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    @FunctionalInterface
    interface Script {
        void on(JsonNode request, Connection connection) throws Exception;
    }

    private final ServerSocketChannel server;
    private final Script script;
    private volatile byte[] onConnect = new byte[0];
    final List<JsonNode> received = new CopyOnWriteArrayList<>();
    final AtomicInteger sentinelsReceived = new AtomicInteger();
    final List<Connection> connections = new CopyOnWriteArrayList<>();

    FakeGuestAgent(Path socket, Script script) throws IOException {
        this.script = script;
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Thread.ofVirtual().start(this::acceptLoop);
    }

    /** Bytes sent to every new client before anything else: what an earlier client left unread. */
    FakeGuestAgent staleOnConnect(byte[] bytes) {
        this.onConnect = bytes.clone();
        return this;
    }

    /** The standard answer to guest-sync-delimited: sentinel, then the id. */
    static void answerSync(JsonNode request, Connection c) {
        c.sendRaw(new byte[] {(byte) 0xFF});
        c.send("{\"return\": " + request.path("arguments").path("id") + "}\n");
    }

    private void acceptLoop() {
        try {
            while (true) {
                var connection = new Connection(server.accept());
                connections.add(connection);
                Thread.ofVirtual().start(connection::serve);
            }
        } catch (IOException e) {
            // closed
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Connection c : connections) {
            c.close();
        }
    }

    final class Connection {
        private final SocketChannel channel;

        Connection(SocketChannel channel) {
            this.channel = channel;
        }

        void serve() {
            try {
                sendRaw(onConnect);
                var line = new ByteArrayOutputStream();
                ByteBuffer buffer = ByteBuffer.allocate(4096);
                while (channel.read(buffer.clear()) >= 0) {
                    for (int i = 0; i < buffer.position(); i++) {
                        byte b = buffer.get(i);
                        if (b == (byte) 0xFF) {
                            sentinelsReceived.incrementAndGet();
                            line.reset();
                        } else if (b == '\n') {
                            handle(line.toString(StandardCharsets.UTF_8));
                            line.reset();
                        } else {
                            line.write(b);
                        }
                    }
                }
            } catch (Exception e) {
                // closed by either side
            }
        }

        private void handle(String line) throws Exception {
            if (line.isBlank()) {
                return;
            }
            JsonNode request = JSON.readTree(line);
            received.add(request);
            script.on(request, this);
        }

        void send(String text) {
            sendRaw(text.getBytes(StandardCharsets.UTF_8));
        }

        synchronized void sendRaw(byte[] bytes) {
            try {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void reply(String returnJson) {
            send("{\"return\": " + returnJson + "}\n");
        }

        void error(String errorClass, String desc) {
            send("{\"error\": {\"class\": \"" + errorClass + "\", \"desc\": \"" + desc + "\"}}\n");
        }

        void close() {
            try {
                channel.close();
            } catch (IOException e) {
                // already closed
            }
        }
    }
}
