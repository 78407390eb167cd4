package dev.virga.server.network;

import dev.virga.api.NetworkRequest;
import dev.virga.server.http.Bodies;
import io.javalin.Javalin;

/** {@code /1.0/networks} and {@code /1.0/loadbalancers}: tenant networks and their load balancers. Quick database changes, so answered at once (no operation). */
public final class NetworkRoutes {
    private NetworkRoutes() {
    }

    public static void install(Javalin app, Networks networks, LoadBalancers balancers) {
        app.get("/1.0/loadbalancers", ctx -> ctx.json(balancers.list()));
        app.post("/1.0/loadbalancers", ctx -> ctx.status(201).json(balancers.create(
                Bodies.read(ctx, dev.virga.api.LoadBalancerRequest.class))));
        app.get("/1.0/loadbalancers/{name}", ctx -> ctx.json(balancers.get(ctx.pathParam("name"))));
        app.delete("/1.0/loadbalancers/{name}", ctx -> {
            balancers.delete(ctx.pathParam("name"));
            ctx.status(204);
        });
        app.get("/1.0/networks", ctx -> ctx.json(networks.list()));
        app.post("/1.0/networks", ctx -> ctx.status(201).json(networks.create(Bodies.read(ctx, NetworkRequest.class))));
        app.get("/1.0/networks/{name}", ctx -> ctx.json(networks.get(ctx.pathParam("name"))));
        app.delete("/1.0/networks/{name}", ctx -> {
            networks.delete(ctx.pathParam("name"));
            ctx.status(204);
        });
    }
}
