package dev.virga.server.event;

import static org.assertj.core.api.Assertions.assertThat;

import dev.virga.api.Event;
import dev.virga.client.Json;
import dev.virga.client.VirgaClient;
import dev.virga.server.db.TestStore;
import dev.virga.server.http.ErrorMapping;
import io.javalin.Javalin;
import io.javalin.json.JavalinJackson;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code /1.0/events} and the live stream, on a bare Javalin with only these routes. */
@Timeout(30)
class EventRoutesTest {
    private static final Pattern CHUNK_SIZE = Pattern.compile("[0-9a-fA-F]+");

    @TempDir
    Path dir;
    private TestStore store;

    private EventBus bus;
    private Javalin app;
    private final List<Socket> sockets = new ArrayList<>();

    @BeforeEach
    void start() {
        store = TestStore.create(dir);
        bus = new EventBus(store.jdbi());
        app = Javalin.create(cfg -> {
            cfg.showJavalinBanner = false;
            cfg.useVirtualThreads = true;
            cfg.jsonMapper(new JavalinJackson(Json.mapper(), true));
        });
        ErrorMapping.install(app);
        EventRoutes.install(app, bus);
        app.start("127.0.0.1", 0);
    }

    @AfterEach
    void stop() throws Exception {
        for (var s : sockets) {
            s.close();
        }
        app.stop();
        store.close();
    }

    /** Asks for the stream on a raw socket, so that the test decides when (and whether) the answer is read. */
    private Socket openStream(int receiveBuffer) throws Exception {
        var socket = new Socket();
        sockets.add(socket);
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.connect(new InetSocketAddress("127.0.0.1", app.port()), 5000);
        OutputStream out = socket.getOutputStream();
        out.write(("GET /1.0/events/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return socket;
    }

    @Test
    void theStreamCarriesEachEventWithItsTypeIdAndJson() throws Exception {
        var socket = openStream(0);
        var in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        assertThat(in.readLine()).startsWith("HTTP/1.1 200");
        var headers = new ArrayList<String>();
        for (var line = in.readLine(); !line.isEmpty(); line = in.readLine()) {
            headers.add(line.toLowerCase());
        }
        assertThat(headers).anySatisfy(h -> assertThat(h).startsWith("content-type: text/event-stream"));

        // the server subscribes the stream just after it sent the headers: publish until one arrives
        var published = new CopyOnWriteArrayList<Event>();
        var publisher = Executors.newSingleThreadScheduledExecutor();
        publisher.scheduleWithFixedDelay(() -> published.add(bus.publish("instance-error", "vm1",
                "QEMU was killed by signal 9", Map.of("host", "local"))), 0, 50, TimeUnit.MILLISECONDS);
        List<String> frame;
        try {
            frame = nextFrame(in);
        } finally {
            publisher.shutdownNow();
            publisher.awaitTermination(5, TimeUnit.SECONDS);
        }

        var data = frame.stream().filter(l -> l.startsWith("data:")).findFirst().orElseThrow();
        var event = Json.mapper().readValue(data.substring(5).strip(), Event.class);
        assertThat(published).contains(event);
        assertThat(frame).contains("event: instance-error", "id: " + event.id());
    }

    /** The lines of the next server-sent event (chunk-size lines of the chunked encoding left out). */
    private static List<String> nextFrame(BufferedReader in) throws IOException {
        var frame = new ArrayList<String>();
        for (var line = in.readLine(); line != null; line = in.readLine()) {
            if (line.isEmpty()) {
                if (frame.stream().anyMatch(l -> l.startsWith("data:"))) {
                    return frame;
                }
            } else if (!CHUNK_SIZE.matcher(line).matches()) {
                frame.add(line);
            }
        }
        throw new AssertionError("the stream ended before an event arrived: " + frame);
    }

    @Test
    void storedEventsAreReadAfterAnId() {
        var a = bus.publish("instance-started", "vm1", "one");
        var b = bus.publish("instance-stopped", "vm1", "two");
        var client = new VirgaClient(URI.create("http://127.0.0.1:" + app.port()));

        assertThat(client.events(0)).extracting(Event::id).containsExactly(a.id(), b.id());
        assertThat(client.events(a.id())).extracting(Event::id).containsExactly(b.id());
    }

    @Test
    void aStreamClientThatStopsReadingDoesNotStallPublishers() throws Exception {
        var stalled = openStream(4096);
        // the answer has begun; the server subscribes the stream right after its headers
        var in = stalled.getInputStream();
        assertThat(in.read()).isEqualTo('H');

        // 100 events of 64 KiB: far more than the socket buffers hold, about a second of store writes
        var message = "x".repeat(64 * 1024);
        var publisher = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < 100; i++) {
                bus.publish("operation-updated", "vm" + i, message);
            }
        });

        try {
            publisher.get(10, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            int done = bus.after(0, 10_000).size();
            stalled.close();
            publisher.join();
            throw new AssertionError("100 events could not be published in 10 s while one stream client did not "
                    + "read; published: " + done, e);
        }
        assertThat(bus.after(0, 10_000)).hasSize(100);
    }
}
