package dev.virga.server.operation;

import dev.virga.server.http.ApiError;
import dev.virga.server.http.Bodies;
import io.javalin.Javalin;

import java.time.Duration;

/** {@code /1.0/operations}: list, get, wait. */
public final class OperationRoutes {
    private OperationRoutes() {
    }

    public static void install(Javalin app, Operations operations) {
        app.get("/1.0/operations", ctx -> ctx.json(operations.list(Math.min(1000, Bodies.intQuery(ctx, "limit", 100)))));
        app.get("/1.0/operations/{id}", ctx -> ctx.json(operations.get(ctx.pathParam("id"))));
        app.get("/1.0/operations/{id}/wait", ctx -> {
            int timeout = Bodies.intQuery(ctx, "timeout", 30);
            if (timeout < 0 || timeout > 3600) {
                throw new ApiError.BadInput("timeout", timeout + " is not between 0 and 3600 seconds");
            }
            ctx.json(operations.waitFor(ctx.pathParam("id"), Duration.ofSeconds(timeout)));
        });
        app.delete("/1.0/operations/{id}", ctx -> {
            operations.cancel(ctx.pathParam("id"));
            ctx.status(202).json(operations.get(ctx.pathParam("id")));
        });
    }
}
