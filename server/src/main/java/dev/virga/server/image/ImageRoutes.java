package dev.virga.server.image;

import dev.virga.api.ImageBuildRequest;
import dev.virga.client.ImageDownload;
import dev.virga.server.http.ApiError;
import dev.virga.server.http.Bodies;
import io.javalin.Javalin;
import io.javalin.http.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/** {@code /1.0/images}. */
public final class ImageRoutes {
    private static final Logger LOG = LoggerFactory.getLogger(ImageRoutes.class);

    private ImageRoutes() {
    }

    public static void install(Javalin app, ImageCatalog catalog) {
        app.get("/1.0/images", ctx -> ctx.json(catalog.list()));
        app.get("/1.0/images/{name}", ctx -> ctx.json(catalog.get(ctx.pathParam("name")).image()));
        app.get("/1.0/images/{name}/export", ctx -> export(ctx, catalog));
        app.post("/1.0/images/build", ctx -> Bodies.accepted(ctx, catalog.build(
                Bodies.read(ctx, ImageBuildRequest.class).recipe()).id()));
        app.post("/1.0/images", ctx -> {
            var name = ctx.queryParam("name");
            if (name == null) {
                throw new ApiError.BadInput("name", "an image name is required (?name=...)");
            }
            var sha256 = ctx.queryParam("sha256");
            ctx.status(201).json(sha256 == null ? catalog.importImage(name, ctx.bodyInputStream())
                    : catalog.importImage(name, ctx.bodyInputStream(), sha256));
        });
        app.post("/1.0/images/{name}/warm", ctx -> Bodies.accepted(ctx, catalog.warm().warm(ctx.pathParam("name"),
                Bodies.read(ctx, dev.virga.api.WarmRequest.class)).id()));
        app.get("/1.0/images/{name}/warm", ctx -> ctx.json(catalog.warm().states(ctx.pathParam("name"))));
        // ?cpus=N&memory=SIZE for one shape; without them every shape
        app.delete("/1.0/images/{name}/warm", ctx -> {
            var cpus = ctx.queryParam("cpus");
            var memory = ctx.queryParam("memory");
            boolean all = cpus == null && memory == null;
            catalog.warm().unwarm(ctx.pathParam("name"), new dev.virga.api.WarmRequest(cpus == null ? null
                    : parseCpus(cpus), memory), all);
            ctx.status(204);
        });
        app.delete("/1.0/images/{name}", ctx -> {
            catalog.delete(ctx.pathParam("name"));
            ctx.status(204);
        });
    }

    private static int parseCpus(String text) {
        try {
            return Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            throw new ApiError.BadInput("cpus", "'" + text + "' is not a number");
        }
    }

    /**
     * Streams the host's image archive on, with its SHA-256 ahead in a header. Closing the host's stream early
     * (the client went away) aborts the host's side too, which then removes its temporary archive.
     */
    private static void export(Context ctx, ImageCatalog catalog) throws IOException {
        var name = ctx.pathParam("name");
        try (var download = catalog.export(name)) {
            ctx.status(200).contentType("application/x-tar").header(ImageDownload.SHA256_HEADER, download.sha256())
                    .header("Content-Disposition", "attachment; filename=\"" + name + ".tar\"");
            if (download.size() >= 0) {
                ctx.res().setContentLengthLong(download.size());
            }
            // the servlet's own stream: Javalin's would gzip for a client that asks, and break Content-Length
            try (var out = ctx.res().getOutputStream()) {
                download.content().transferTo(out);
            } catch (IOException e) {
                LOG.info("export of image {} ended early: {}", name, e.toString());
            }
        }
    }

}
