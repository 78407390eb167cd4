package dev.virga.server.image;

import dev.virga.api.ImageBuildRequest;
import dev.virga.server.http.ApiError;
import dev.virga.server.http.Bodies;
import io.javalin.Javalin;
import io.javalin.http.Context;

/** {@code /1.0/images}. */
public final class ImageRoutes {
    private ImageRoutes() {
    }

    public static void install(Javalin app, ImageCatalog catalog) {
        app.get("/1.0/images", ctx -> ctx.json(catalog.list()));
        app.get("/1.0/images/{name}", ctx -> ctx.json(catalog.get(ctx.pathParam("name")).image()));
        app.post("/1.0/images/build", ctx -> accepted(ctx, catalog.build(
                Bodies.read(ctx, ImageBuildRequest.class).recipe()).id()));
        app.post("/1.0/images", ctx -> {
            var name = ctx.queryParam("name");
            if (name == null) {
                throw new ApiError.BadInput("name", "an image name is required (?name=...)");
            }
            ctx.status(201).json(catalog.importImage(name, ctx.bodyInputStream()));
        });
        app.delete("/1.0/images/{name}", ctx -> {
            catalog.delete(ctx.pathParam("name"));
            ctx.status(204);
        });
    }

    static void accepted(Context ctx, String operationId) {
        var location = "/1.0/operations/" + operationId;
        ctx.status(202).header("Location", location).json(java.util.Map.of("operation", location));
    }
}
