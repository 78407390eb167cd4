package dev.virga.agent.sim;

import dev.virga.agent.AgentError;
import dev.virga.api.ErrorResponse;
import dev.virga.api.ImageBuildRequest;
import dev.virga.api.agent.StandbyRequest;
import dev.virga.api.agent.StopSpec;
import dev.virga.api.agent.VmSpec;
import dev.virga.client.Json;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.UnauthorizedResponse;

import java.io.IOException;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;

/**
 * The agent endpoint of every simulated host on one web server: {@code /sim/{host}/agent/1.0/...} is host
 * {@code host}'s {@code /agent/1.0/...}, with that host's own bearer token.
 */
final class SimRoutes {
    private static final String BASE = "/sim/{host}/agent/1.0";
    private final Map<String, SimulatedHost> hosts;

    private SimRoutes(Map<String, SimulatedHost> hosts) {
        this.hosts = hosts;
    }

    static void install(Javalin app, Map<String, SimulatedHost> hosts) {
        new SimRoutes(hosts).routes(app);
    }

    private void routes(Javalin app) {
        app.exception(AgentError.class, (e, ctx) -> error(ctx, e.status(), e.getMessage()));
        app.exception(NotSimulated.class, (e, ctx) -> error(ctx, 501, e.getMessage()));
        app.exception(UnauthorizedResponse.class, (e, ctx) -> error(ctx, 401, e.getMessage()));
        app.exception(Unreachable.class, (e, ctx) -> error(ctx, 503, e.getMessage()));
        app.get(BASE + "/host", ctx -> ctx.json(host(ctx).report()));
        app.post(BASE + "/host/standby", ctx -> ctx.json(host(ctx).standby(read(ctx, StandbyRequest.class).standby())));
        app.get(BASE + "/instances", ctx -> ctx.json(host(ctx).statuses()));
        app.put(BASE + "/instances/{name}", ctx -> ctx.json(host(ctx).create(ctx.pathParam("name"),
                read(ctx, VmSpec.class))));
        app.delete(BASE + "/instances/{name}", ctx -> {
            host(ctx).delete(ctx.pathParam("name"));
            ctx.status(204);
        });
        app.post(BASE + "/instances/{name}/{action}", this::act);
        app.get(BASE + "/instances/{name}/console/log", ctx -> {
            host(ctx);
            ctx.contentType("application/octet-stream").result(new byte[0]);
        });
        app.get(BASE + "/instances/{name}/snapshots", ctx -> {
            host(ctx);
            ctx.json(List.of());
        });
        app.post(BASE + "/instances/{name}/snapshots", ctx -> refuse(ctx, "snapshots (a simulated VM has no disk)"));
        app.get(BASE + "/instances/{name}/archive", ctx -> refuse(ctx, "moves (a simulated VM has no disk)"));
        app.put(BASE + "/instances/{name}/archive", ctx -> refuse(ctx, "moves (a simulated VM has no disk)"));
        app.get(BASE + "/images", ctx -> ctx.json(host(ctx).images()));
        app.post(BASE + "/images/build", ctx -> ctx.json(host(ctx).build(read(ctx, ImageBuildRequest.class).recipe())));
        app.post(BASE + "/images/import", ctx -> refuse(ctx, "image import (a simulated host stores no bytes)"));
        app.get(BASE + "/images/{fingerprint}/export", ctx -> refuse(ctx, "image export (a simulated host has no bytes)"));
        app.delete(BASE + "/images/{fingerprint}", ctx -> {
            host(ctx);
            ctx.status(204);
        });
    }

    private void act(Context ctx) {
        var host = host(ctx);
        var vm = ctx.pathParam("name");
        var status = switch (ctx.pathParam("action")) {
            case "start" -> host.start(vm);
            case "stop" -> host.stop(vm, read(ctx, StopSpec.class));
            case "pause" -> host.pause(vm);
            case "resume" -> host.resume(vm);
            case "exec" -> throw new NotSimulated("exec (a simulated VM has no guest)");
            case "publish" -> throw new NotSimulated("publish (a simulated VM has no disk)");
            default -> throw AgentError.notFound("action", ctx.pathParam("action"));
        };
        ctx.json(status);
    }

    private SimulatedHost host(Context ctx) {
        var host = hosts.get(ctx.pathParam("host"));
        if (host == null) {
            throw AgentError.notFound("simulated host", ctx.pathParam("host"));
        }
        if (host.down()) {
            throw new Unreachable(host.name());
        }
        var header = ctx.header("Authorization");
        var given = header != null && header.startsWith("Bearer ") ? header.substring(7) : "";
        if (!MessageDigest.isEqual(host.token().getBytes(), given.getBytes())) {
            throw new UnauthorizedResponse("this agent needs the host's token");
        }
        return host;
    }

    private void refuse(Context ctx, String what) {
        host(ctx);
        throw new NotSimulated(what);
    }

    private static <T> T read(Context ctx, Class<T> type) {
        try {
            return Json.mapper().readValue(ctx.body(), type);
        } catch (IOException e) {
            throw AgentError.badInput("body", "not a valid " + type.getSimpleName() + ": " + e.getMessage());
        }
    }

    /** A simulated outage of one host. */
    private static final class Unreachable extends RuntimeException {
        Unreachable(String host) {
            super("simulated outage: host " + host + " is down");
        }
    }

    private static void error(Context ctx, int code, String message) {
        ctx.status(code).json(new ErrorResponse(message, code, Map.of()));
    }
}
