package dev.virga.server.scheduler;

import dev.virga.api.GroupRequest;
import dev.virga.server.http.Bodies;
import io.javalin.Javalin;

/** {@code /1.0/groups}: placement groups. */
public final class GroupRoutes {
    private GroupRoutes() {
    }

    public static void install(Javalin app, Groups groups) {
        app.get("/1.0/groups", ctx -> ctx.json(groups.list()));
        app.post("/1.0/groups", ctx -> ctx.status(201).json(groups.create(Bodies.read(ctx, GroupRequest.class))));
        app.get("/1.0/groups/{name}", ctx -> ctx.json(groups.get(ctx.pathParam("name"))));
        app.delete("/1.0/groups/{name}", ctx -> {
            groups.delete(ctx.pathParam("name"));
            ctx.status(204);
        });
    }
}
