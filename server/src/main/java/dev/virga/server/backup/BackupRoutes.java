package dev.virga.server.backup;

import dev.virga.api.BackupPruneRequest;
import dev.virga.api.BackupRepoRequest;
import dev.virga.api.BackupRequest;
import dev.virga.api.BackupRestoreRequest;
import dev.virga.server.http.Bodies;
import io.javalin.Javalin;
import io.javalin.http.Context;

/** {@code /1.0/backup-repos}, {@code /1.0/instances/{name}/backups}, {@code /1.0/backups/{id}}. */
public final class BackupRoutes {
    private BackupRoutes() {
    }

    public static void install(Javalin app, BackupService backups, BackupSchedules schedules) {
        app.get("/1.0/backup-schedules", ctx -> ctx.json(schedules.list()));
        app.put("/1.0/instances/{name}/backups/schedule", ctx -> ctx.json(schedules.set(ctx.pathParam("name"),
                Bodies.read(ctx, dev.virga.api.BackupScheduleRequest.class))));
        app.delete("/1.0/instances/{name}/backups/schedule", ctx -> {
            schedules.remove(ctx.pathParam("name"));
            ctx.status(204);
        });
        app.get("/1.0/backup-repos", ctx -> ctx.json(backups.repos()));
        app.post("/1.0/backup-repos", ctx -> ctx.status(201).json(backups.addRepo(Bodies.read(ctx,
                BackupRepoRequest.class))));
        app.delete("/1.0/backup-repos/{name}", ctx -> {
            backups.removeRepo(ctx.pathParam("name"));
            ctx.status(204);
        });
        app.get("/1.0/instances/{name}/backups", ctx -> ctx.json(backups.list(ctx.pathParam("name"), repo(ctx))));
        app.post("/1.0/instances/{name}/backups", ctx -> Bodies.accepted(ctx, backups.create(ctx.pathParam("name"),
                Bodies.read(ctx, BackupRequest.class)).id()));
        app.post("/1.0/instances/{name}/backups/prune", ctx -> Bodies.accepted(ctx, backups.prune(
                ctx.pathParam("name"), Bodies.read(ctx, BackupPruneRequest.class)).id()));
        app.get("/1.0/backups/{id}", ctx -> ctx.json(backups.info(ctx.pathParam("id"), repo(ctx))));
        app.post("/1.0/backups/{id}/verify", ctx -> Bodies.accepted(ctx, backups.verify(ctx.pathParam("id"),
                repo(ctx)).id()));
        app.post("/1.0/backups/{id}/restore", ctx -> Bodies.accepted(ctx, backups.restore(ctx.pathParam("id"),
                Bodies.read(ctx, BackupRestoreRequest.class)).id()));
        app.delete("/1.0/backups/{id}", ctx -> {
            backups.delete(ctx.pathParam("id"), repo(ctx));
            ctx.status(204);
        });
    }

    private static String repo(Context ctx) {
        var r = ctx.queryParam("repo");
        return r == null ? "" : r;
    }
}
