package dev.virga.server.host;

import io.javalin.Javalin;

/** {@code /1.0/hosts/{name}}: info, standby, wake, maintenance, activate, remove. */
public final class HostRoutes {
    private HostRoutes() {
    }

    public static void install(Javalin app, Hosts hosts, HostAdmin admin) {
        app.get("/1.0/hosts", ctx -> ctx.json(hosts.list()));
        app.get("/1.0/hosts/{name}", ctx -> ctx.json(admin.get(ctx.pathParam("name"))));
        app.post("/1.0/hosts/{name}/standby", ctx -> ctx.json(admin.standby(ctx.pathParam("name"))));
        app.post("/1.0/hosts/{name}/wake", ctx -> ctx.json(admin.wake(ctx.pathParam("name"))));
        app.post("/1.0/hosts/{name}/maintenance", ctx -> ctx.json(admin.maintenance(ctx.pathParam("name"))));
        app.post("/1.0/hosts/{name}/activate", ctx -> ctx.json(admin.activate(ctx.pathParam("name"))));
        app.delete("/1.0/hosts/{name}", ctx -> {
            admin.remove(ctx.pathParam("name"), "true".equals(ctx.queryParam("force")));
            ctx.status(204);
        });
    }
}
