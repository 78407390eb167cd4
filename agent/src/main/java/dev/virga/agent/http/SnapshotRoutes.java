package dev.virga.agent.http;

import dev.virga.agent.AgentError;
import dev.virga.agent.vm.VmHost;
import dev.virga.api.RestoreRequest;
import dev.virga.api.SnapshotRequest;
import dev.virga.client.Json;
import io.javalin.Javalin;

import java.io.IOException;

/** {@code /agent/1.0/instances/{name}/snapshots/...}. */
public final class SnapshotRoutes {
    private static final String BASE = "/agent/1.0/instances/{name}/snapshots";

    private SnapshotRoutes() {
    }

    public static void install(Javalin app, VmHost vms) {
        app.get(BASE, ctx -> ctx.json(vms.snapshots(ctx.pathParam("name"))));
        app.get(BASE + "/{snapshot}", ctx -> ctx.json(vms.snapshot(ctx.pathParam("name"), ctx.pathParam("snapshot"))));
        app.post(BASE, ctx -> {
            var request = read(ctx.body(), SnapshotRequest.class);
            ctx.json(vms.createSnapshot(ctx.pathParam("name"), request.name(), request.stateful()));
        });
        app.post(BASE + "/{snapshot}/restore", ctx -> ctx.json(vms.restoreSnapshot(ctx.pathParam("name"),
                ctx.pathParam("snapshot"), read(ctx.body(), RestoreRequest.class).force())));
        app.post("/agent/1.0/instances/{name}/publish", ctx -> {
            var request = read(ctx.body(), dev.virga.api.PublishRequest.class);
            var dir = vms.publish(ctx.pathParam("name"), request.snapshot() == null ? "" : request.snapshot(),
                    request.alias());
            ctx.json(new dev.virga.agent.storage.ImageStore.Stored(dir,
                    dev.virga.qemu.image.ImageManifest.read(dir)).toHostImage());
        });
        app.delete(BASE + "/{snapshot}", ctx -> {
            vms.deleteSnapshot(ctx.pathParam("name"), ctx.pathParam("snapshot"));
            ctx.status(204);
        });
    }

    private static <T> T read(String body, Class<T> type) {
        try {
            return Json.mapper().readValue(body, type);
        } catch (IOException e) {
            throw AgentError.badInput("body", "not a valid " + type.getSimpleName() + ": " + e.getMessage());
        }
    }
}
