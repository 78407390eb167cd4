package dev.virga.server.event;

import dev.virga.client.Json;
import dev.virga.server.http.Bodies;
import io.javalin.Javalin;

/** {@code GET /1.0/events?after=ID} and the live stream {@code GET /1.0/events/stream} (server-sent events). */
public final class EventRoutes {
    private EventRoutes() {
    }

    public static void install(Javalin app, EventBus bus) {
        app.get("/1.0/events", ctx -> ctx.json(bus.after(Bodies.intQuery(ctx, "after", 0),
                Math.min(1000, Bodies.intQuery(ctx, "limit", 1000)))));
        app.sse("/1.0/events/stream", client -> {
            Runnable unsubscribe = bus.subscribe(e -> {
                if (client.terminated()) {
                    throw new IllegalStateException("client gone");
                }
                client.sendEvent(e.type(), Json.mapper().valueToTree(e).toString(), String.valueOf(e.id()));
            });
            client.onClose(unsubscribe);
            client.keepAlive();
        });
    }
}
