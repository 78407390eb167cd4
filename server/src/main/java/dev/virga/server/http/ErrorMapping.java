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
            LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
            ctx.status(500).json(new ErrorResponse("internal error: " + e, 500, Map.of()));
        });
        app.error(404, ctx -> {
            if (ctx.result() == null || ctx.result().isEmpty()) {
                ctx.json(new ErrorResponse("no such endpoint: " + ctx.method() + " " + ctx.path(), 404, Map.of()));
            }
        });
    }
}
