package dev.virga.qemu.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A QMP server on a real unix socket that answers as a test script says, byte for byte. */
final class FakeQmpServer implements AutoCloseable {
    static final String GREETING = "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7},"
            + " \"package\": \"Debian 1:7.2+dfsg-7+deb12u18+b3\"}, \"capabilities\": [\"oob\"]}}\r\n";
    static final ObjectMapper JSON = new ObjectMapper();

    /** How the fake answers one command (qmp_capabilities is answered for it). */
    @FunctionalInterface
    interface Script {
        void on(JsonNode request, Connection connection) throws Exception;
    }

    private final ServerSocketChannel server;
    private final Path socket;
    private final Script script;
    final List<JsonNode> received = new CopyOnWriteArrayList<>();
    final List<Connection> connections = new CopyOnWriteArrayList<>();

    FakeQmpServer(Path socket, Script script) throws IOException {
        this.socket = socket;
        this.script = script;
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Thread.ofVirtual().start(this::acceptLoop);
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
        Files.deleteIfExists(socket);
    }

    final class Connection {
        private final SocketChannel channel;

        Connection(SocketChannel channel) {
            this.channel = channel;
        }

        void serve() {
            try {
                send(GREETING);
                var in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
                String line;
                while ((line = in.readLine()) != null) {
                    JsonNode request = JSON.readTree(line);
                    received.add(request);
                    if (request.path("execute").asText().equals("qmp_capabilities")) {
                        reply(request, "{}");
                    } else {
                        script.on(request, this);
                    }
                }
            } catch (Exception e) {
                // connection closed by either side
            }
        }

        /** Writes raw bytes exactly as given (may be half an object, or several). */
        synchronized void send(String raw) {
            try {
                ByteBuffer buffer = ByteBuffer.wrap(raw.getBytes(StandardCharsets.UTF_8));
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void reply(JsonNode request, String returnJson) {
            send(replyLine(request, returnJson));
        }

        void error(JsonNode request, String errorClass, String desc) {
            send("{\"error\": {\"class\": \"" + errorClass + "\", \"desc\": \"" + desc + "\"}, \"id\": "
                    + request.get("id") + "}\r\n");
        }

        void event(String name, String dataJson) {
            send(eventLine(name, dataJson));
        }

        void close() {
            try {
                channel.close();
            } catch (IOException e) {
                // already closed
            }
        }
    }

    static String replyLine(JsonNode request, String returnJson) {
        return "{\"return\": " + returnJson + ", \"id\": " + request.get("id") + "}\r\n";
    }

    static String eventLine(String name, String dataJson) {
        return "{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 250000}, \"event\": \"" + name
                + "\", \"data\": " + dataJson + "}\r\n";
    }
}
