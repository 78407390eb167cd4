package dev.virga.server.http;

import dev.virga.api.ErrorResponse;
import dev.virga.client.ApiException;
import io.javalin.Javalin;
import io.javalin.http.HttpResponseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/** The one place where exceptions become HTTP errors. Never a stack trace on the wire. */
public final class ErrorMapping {
    private static final Logger LOG = LoggerFactory.getLogger(ErrorMapping.class);

    private ErrorMapping() {
    }

    public static void install(Javalin app) {
        app.exception(ApiError.class, (e, ctx) -> ctx.status(e.status())
                .json(new ErrorResponse(e.getMessage(), e.status(), e.details())));
        app.exception(ApiException.class, (e, ctx) -> {
            // an agent said no: pass its answer on, or say it is unreachable
            int status = e.code() == 0 ? 503 : e.code();
            ctx.status(status).json(new ErrorResponse(e.getMessage(), status, e.details()));
        });
        app.exception(HttpResponseException.class, (e, ctx) -> ctx.status(e.getStatus())
                .json(new ErrorResponse(e.getMessage(), e.getStatus(), Map.of())));
        app.exception(Exception.class, (e, ctx) -> {
            // the exception (class names, paths, SQL) stays in the log; the caller gets an id to find it by
            var id = java.util.UUID.randomUUID().toString().substring(0, 8);
            LOG.error("{} {} failed (error id {})", ctx.method(), ctx.path(), id, e);
            ctx.status(500).json(new ErrorResponse("internal error " + id + ": the server's log has the details",
                    500, Map.of("errorId", id)));
        });
        app.error(404, ctx -> {
            if (ctx.result() == null || ctx.result().isEmpty()) {
                ctx.json(new ErrorResponse("no such endpoint: " + ctx.method() + " " + ctx.path(), 404, Map.of()));
            }
        });
    }
}
