package dev.virga.server.event;

import dev.virga.api.Event;
import dev.virga.client.Json;
import dev.virga.server.http.Bodies;
import io.javalin.Javalin;
import io.javalin.http.sse.SseClient;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/** {@code GET /1.0/events?after=ID} and the live stream {@code GET /1.0/events/stream} (server-sent events). */
public final class EventRoutes {
    /** Events a stream client may fall behind by before it is dropped. */
    static final int BACKLOG = 1000;

    private EventRoutes() {
    }

    public static void install(Javalin app, EventBus bus) {
        app.get("/1.0/events", ctx -> ctx.json(bus.after(Bodies.intQuery(ctx, "after", 0),
                Math.min(1000, Bodies.intQuery(ctx, "limit", 1000)))));
        app.sse("/1.0/events/stream", client -> {
            // the bus only enqueues: a client that stops reading must never hold up whoever publishes
            BlockingQueue<Event> queue = new ArrayBlockingQueue<>(BACKLOG);
            Runnable unsubscribe = bus.subscribe(e -> {
                if (client.terminated() || !queue.offer(e)) {
                    throw new IllegalStateException("event stream client gone or " + BACKLOG + " events behind");
                }
            });
            client.onClose(unsubscribe);
            Thread.ofVirtual().name("sse-sender").start(() -> send(client, queue));
            client.keepAlive();
        });
    }

    private static void send(SseClient client, BlockingQueue<Event> queue) {
        try {
            while (!client.terminated()) {
                var e = queue.poll(15, TimeUnit.SECONDS);
                if (e != null) {
                    client.sendEvent(e.type(), Json.mapper().valueToTree(e).toString(), String.valueOf(e.id()));
                } else {
                    client.sendComment("keep-alive");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            client.close();
        }
    }
}
