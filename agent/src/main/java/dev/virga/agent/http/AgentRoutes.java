package dev.virga.agent.http;

import dev.virga.agent.AgentError;
import dev.virga.agent.storage.ImageStore;
import dev.virga.agent.vm.VmHost;
import dev.virga.api.ErrorResponse;
import dev.virga.api.ExecRequest;
import dev.virga.api.ImageBuildRequest;
import dev.virga.api.agent.HostReport;
import dev.virga.api.agent.StopSpec;
import dev.virga.api.agent.VmSpec;
import dev.virga.client.ImageDownload;
import dev.virga.client.Json;
import dev.virga.qemu.image.ImageBuildException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.UnauthorizedResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.Map;
import java.util.function.Supplier;

/** {@code /agent/1.0/...}: the host endpoint the control plane drives. */
public final class AgentRoutes {
    private static final Logger LOG = LoggerFactory.getLogger(AgentRoutes.class);
    private static final String BASE = "/agent/1.0";

    private AgentRoutes() {
    }

    public static void install(Javalin app, String token, VmHost vms, ImageStore images, Supplier<HostReport> report) {
        app.beforeMatched(BASE + "/*", ctx -> authorize(ctx, token));
        app.exception(AgentError.class, (e, ctx) -> ctx.status(e.status())
                .json(new ErrorResponse(e.getMessage(), e.status(), Map.of())));
        app.exception(ImageBuildException.class, (e, ctx) -> ctx.status(500)
                .json(new ErrorResponse("image build failed: " + e.getMessage(), 500, Map.of())));
        app.exception(Exception.class, (e, ctx) -> {
            LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
            ctx.status(500).json(new ErrorResponse("agent error: " + e.getMessage(), 500, Map.of()));
        });
        app.get(BASE + "/host", ctx -> ctx.json(report.get()));
        app.post(BASE + "/host/standby", ctx -> {
            vms.standby(read(ctx, dev.virga.api.agent.StandbyRequest.class).standby());
            ctx.json(report.get());
        });
        app.get(BASE + "/instances", ctx -> ctx.json(vms.statuses()));
        app.put(BASE + "/instances/{name}", ctx -> ctx.json(vms.create(read(ctx, VmSpec.class))));
        app.get(BASE + "/instances/{name}/archive", ctx -> {
            var name = ctx.pathParam("name");
            boolean live = "true".equals(ctx.queryParam("live"));
            vms.checkMovable(name, live);
            ctx.status(200).contentType("application/x-tar");
            // the servlet's own stream, as for image exports: Javalin's may gzip
            try (var out = ctx.res().getOutputStream()) {
                vms.exportInstance(name, out, live);
            }
        });
        app.put(BASE + "/instances/{name}/archive", ctx -> ctx.json(vms.importInstance(ctx.pathParam("name"),
                ctx.bodyInputStream(), "true".equals(ctx.queryParam("live")))));
        // live moves: the destination waits (on the address the control plane reached it at), the source migrates
        app.post(BASE + "/instances/{name}/incoming", ctx -> ctx.json(vms.incoming(ctx.pathParam("name"),
                ctx.req().getLocalAddr())));
        app.post(BASE + "/instances/{name}/incoming/finish", ctx -> ctx.json(vms.finishIncoming(
                ctx.pathParam("name"), !"false".equals(ctx.queryParam("wait")), "true".equals(ctx.queryParam("resume")))));
        app.post(BASE + "/instances/{name}/migrate", ctx -> ctx.json(vms.migrate(ctx.pathParam("name"),
                read(ctx, dev.virga.api.agent.MigrateSpec.class))));
        app.get(BASE + "/instances/{name}/migration", ctx -> ctx.json(vms.migration(ctx.pathParam("name"))
                .orElseThrow(() -> AgentError.notFound("live migration of", ctx.pathParam("name")))));
        app.delete(BASE + "/instances/{name}/migration", ctx -> {
            vms.cancelMigration(ctx.pathParam("name"));
            ctx.status(204);
        });
        app.post(BASE + "/instances/{name}/start", ctx -> ctx.json(vms.start(ctx.pathParam("name"))));
        app.post(BASE + "/instances/{name}/stop", ctx -> ctx.json(vms.stop(ctx.pathParam("name"),
                read(ctx, StopSpec.class))));
        app.post(BASE + "/instances/{name}/pause", ctx -> ctx.json(vms.pause(ctx.pathParam("name"))));
        app.post(BASE + "/instances/{name}/resume", ctx -> ctx.json(vms.resume(ctx.pathParam("name"))));
        app.delete(BASE + "/instances/{name}", ctx -> {
            vms.delete(ctx.pathParam("name"));
            ctx.status(204);
        });
        app.post(BASE + "/instances/{name}/exec", ctx -> ctx.json(vms.exec(ctx.pathParam("name"),
                read(ctx, ExecRequest.class))));
        app.get(BASE + "/instances/{name}/console/log", ctx -> {
            var log = vms.serialLog(ctx.pathParam("name"));
            ctx.contentType("application/octet-stream");
            ctx.result(Files.exists(log) ? Files.newInputStream(log) : java.io.InputStream.nullInputStream());
        });
        app.ws(BASE + "/instances/{name}/console", new ConsoleBridge(vms, token)::configure);
        app.get(BASE + "/images", ctx -> ctx.json(images.list().stream().map(ImageStore.Stored::toHostImage).toList()));
        app.post(BASE + "/images/build", ctx -> ctx.json(
                images.build(read(ctx, ImageBuildRequest.class).recipe()).toHostImage()));
        app.post(BASE + "/images/import", ctx -> {
            var name = ctx.queryParam("name") == null ? "" : ctx.queryParam("name");
            var sha256 = ctx.queryParam("sha256");
            var stored = sha256 == null ? images.importImage(name, ctx.bodyInputStream())
                    : "true".equals(ctx.queryParam("replica")) ? images.replicate(name, ctx.bodyInputStream(), sha256)
                    : images.importImage(name, ctx.bodyInputStream(), sha256);
            ctx.json(stored.toHostImage());
        });
        app.get(BASE + "/images/{fingerprint}/export", ctx -> exportImage(ctx, images));
        app.post(BASE + "/images/{fingerprint}/warm", ctx -> {
            var warm = read(ctx, dev.virga.api.agent.WarmRequest.class);
            ctx.json(vms.warm(ctx.pathParam("fingerprint"), warm.cpus(), warm.memoryBytes(), warm.onlyIfMissing()));
        });
        app.get(BASE + "/images/{fingerprint}/warm", ctx -> ctx.json(vms.warmStates(ctx.pathParam("fingerprint"))));
        app.post(BASE + "/images/{fingerprint}/unwarm", ctx -> {
            var warm = read(ctx, dev.virga.api.agent.WarmRequest.class);
            vms.unwarm(ctx.pathParam("fingerprint"), warm.cpus(), warm.memoryBytes());
            ctx.status(204);
        });
        app.delete(BASE + "/images/{fingerprint}", ctx -> {
            var fp = ctx.pathParam("fingerprint");
            images.delete(fp, vms.usersOf(fp));
            ctx.status(204);
        });
    }

    /**
     * Streams an image archive. The archive is written and hashed first, so its SHA-256 goes ahead in a header; its
     * temporary file is removed afterwards, also when the reader goes away half-way.
     */
    private static void exportImage(Context ctx, ImageStore images) throws IOException {
        var fingerprint = ctx.pathParam("fingerprint");
        var name = ctx.queryParam("name") == null ? "" : ctx.queryParam("name");
        try (var export = images.export(fingerprint, name)) {
            ctx.status(200).contentType("application/x-tar").header(ImageDownload.SHA256_HEADER, export.sha256());
            ctx.res().setContentLengthLong(export.size());
            // the servlet's own stream: Javalin's would gzip for a client that asks, and break Content-Length
            try (var out = ctx.res().getOutputStream()) {
                Files.copy(export.file(), out);
            } catch (IOException e) {
                LOG.info("export of image {} ended early: {}", fingerprint, e.toString());
            }
        }
    }

    private static <T> T read(Context ctx, Class<T> type) {
        try {
            return Json.mapper().readValue(ctx.body(), type);
        } catch (IOException e) {
            throw AgentError.badInput("body", "not a valid " + type.getSimpleName() + ": " + e.getMessage());
        }
    }

    private static void authorize(Context ctx, String token) {
        if (!matches(token, bearer(ctx.header("Authorization")))) {
            throw new UnauthorizedResponse("this agent needs the host's token");
        }
    }

    static String bearer(String header) {
        return header != null && header.startsWith("Bearer ") ? header.substring(7) : "";
    }

    static boolean matches(String expected, String given) {
        return MessageDigest.isEqual(expected.getBytes(), given.getBytes());
    }
}
