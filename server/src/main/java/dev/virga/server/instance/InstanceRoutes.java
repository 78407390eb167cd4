package dev.virga.server.instance;

import dev.virga.api.ExecRequest;
import dev.virga.api.LaunchRequest;
import dev.virga.api.StateChange;
import dev.virga.server.http.Bodies;
import io.javalin.Javalin;


/** {@code /1.0/instances}. */
public final class InstanceRoutes {
    private InstanceRoutes() {
    }

    public static void install(Javalin app, InstanceService instances, SnapshotService snapshots) {
        app.get("/1.0/instances", ctx -> ctx.json(instances.list()));
        app.post("/1.0/instances", ctx -> {
            long received = System.nanoTime();
            var request = Bodies.read(ctx, LaunchRequest.class);
            if ("true".equals(ctx.queryParam("dry-run"))) {
                ctx.json(instances.dryRun(request));
                return;
            }
            Bodies.accepted(ctx, instances.launch(request, received).id());
        });
        app.get("/1.0/instances/{name}", ctx -> ctx.json(instances.get(ctx.pathParam("name"))));
        app.put("/1.0/instances/{name}/state", ctx -> Bodies.accepted(ctx,
                instances.changeState(ctx.pathParam("name"), Bodies.read(ctx, StateChange.class)).id()));
        app.delete("/1.0/instances/{name}", ctx -> Bodies.accepted(ctx,
                instances.delete(ctx.pathParam("name"), "true".equals(ctx.queryParam("force"))).id()));
        app.post("/1.0/instances/{name}/exec", ctx -> ctx.json(
                instances.exec(ctx.pathParam("name"), Bodies.read(ctx, ExecRequest.class))));
        app.get("/1.0/instances/{name}/console/log", ctx -> {
            ctx.contentType("application/octet-stream");
            ctx.result(instances.consoleLog(ctx.pathParam("name")));
        });
        app.ws("/1.0/instances/{name}/console", new ConsoleProxy(instances)::configure);
        app.post("/1.0/instances/{name}/copy", ctx -> {
            long received = System.nanoTime();
            Bodies.accepted(ctx, instances.copy(ctx.pathParam("name"), Bodies.read(ctx, dev.virga.api.CopyRequest.class),
                    received).id());
        });
        app.post("/1.0/instances/{name}/move", ctx -> Bodies.accepted(ctx, instances.move(ctx.pathParam("name"),
                Bodies.read(ctx, dev.virga.api.MoveRequest.class)).id()));
        app.post("/1.0/hosts/{name}/evacuate", ctx -> Bodies.accepted(ctx,
                instances.evacuate(ctx.pathParam("name")).id()));
        app.post("/1.0/instances/{name}/publish", ctx -> Bodies.accepted(ctx, snapshots.publish(ctx.pathParam("name"),
                Bodies.read(ctx, dev.virga.api.PublishRequest.class)).id()));
        app.get("/1.0/instances/{name}/snapshots", ctx -> ctx.json(snapshots.list(ctx.pathParam("name"))));
        app.post("/1.0/instances/{name}/snapshots", ctx -> Bodies.accepted(ctx, snapshots.create(ctx.pathParam("name"),
                Bodies.read(ctx, dev.virga.api.SnapshotRequest.class)).id()));
        app.post("/1.0/instances/{name}/snapshots/{snapshot}/restore", ctx -> Bodies.accepted(ctx, snapshots.restore(
                ctx.pathParam("name"), ctx.pathParam("snapshot"),
                Bodies.read(ctx, dev.virga.api.RestoreRequest.class).force()).id()));
        app.delete("/1.0/instances/{name}/snapshots/{snapshot}", ctx -> Bodies.accepted(ctx,
                snapshots.delete(ctx.pathParam("name"), ctx.pathParam("snapshot")).id()));
    }

}
