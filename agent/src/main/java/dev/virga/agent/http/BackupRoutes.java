package dev.virga.agent.http;

import dev.virga.agent.AgentError;
import dev.virga.agent.backup.Repositories;
import dev.virga.agent.vm.VmHost;
import dev.virga.api.BackupPruneRequest;
import dev.virga.api.agent.BackupJob;
import dev.virga.backup.RetentionPolicy;
import dev.virga.client.Json;
import io.javalin.Javalin;
import io.javalin.http.Context;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** {@code /agent/1.0/instances/{name}/backups} (a VM's disk) and {@code /agent/1.0/backups} (a repository). */
public final class BackupRoutes {
    private static final String VM = "/agent/1.0/instances/{name}/backups";
    private static final String REPO = "/agent/1.0/backups";

    private BackupRoutes() {
    }

    public static void install(Javalin app, VmHost vms) {
        app.post(VM, ctx -> {
            var job = read(ctx, BackupJob.class);
            ctx.json(vms.backup(ctx.pathParam("name"), path(job.path()), job.full()));
        });
        app.get(VM + "/progress", ctx -> ctx.json(vms.backupProgress(ctx.pathParam("name"))));
        app.post(VM + "/restore", ctx -> {
            var job = read(ctx, BackupJob.class);
            ctx.json(vms.restoreBackup(ctx.pathParam("name"), path(job.path()), job.backupId(),
                    "true".equals(ctx.queryParam("force"))));
        });
        app.post("/agent/1.0/backup-repos", ctx -> {
            var job = read(ctx, BackupJob.class);
            var where = path(job.path());
            if (java.nio.file.Files.exists(where) && !java.nio.file.Files.isDirectory(where)) {
                // /etc/passwd was a 500 (the hostile review of issue 14)
                throw AgentError.badInput("path", "'" + where + "' is a file; a backup repository is a directory");
            }
            var repo = Repositories.openOrInit(where);
            ctx.json(Map.of("path", repo.path().toString(), "chunkSize", repo.chunkSize()));
        });
        app.get(REPO, ctx -> ctx.json(Repositories.list(path(ctx.queryParam("path")),
                ctx.queryParam("vm") == null ? "" : ctx.queryParam("vm"))));
        app.get(REPO + "/{id}", ctx -> ctx.json(Repositories.info(path(ctx.queryParam("path")),
                ctx.pathParam("id"))));
        app.post(REPO + "/{id}/verify", ctx -> ctx.json(Repositories.verify(path(ctx.queryParam("path")),
                ctx.pathParam("id"))));
        app.delete(REPO + "/{id}", ctx -> {
            Repositories.delete(path(ctx.queryParam("path")), ctx.pathParam("id"));
            ctx.status(204);
        });
        app.post(REPO + "/prune", ctx -> {
            var r = read(ctx, BackupPruneRequest.class);
            var policy = new RetentionPolicy(r.keepLast(), r.keepHourly(), r.keepDaily(), r.keepWeekly(),
                    r.keepMonthly(), r.keepYearly());
            ctx.json(Repositories.prune(path(ctx.queryParam("path")), ctx.queryParam("vm"), policy, r.dryRun()));
        });
    }

    private static Path path(String p) {
        if (p == null || p.isBlank() || !Path.of(p).isAbsolute()) {
            throw AgentError.badInput("path", "a backup repository needs an absolute path, not '" + p + "'");
        }
        return Path.of(p).normalize();
    }

    private static <T> T read(Context ctx, Class<T> type) {
        try {
            return Json.mapper().readValue(ctx.body(), type);
        } catch (IOException e) {
            throw AgentError.badInput("body", "not a valid " + type.getSimpleName() + ": " + e.getMessage());
        }
    }
}
