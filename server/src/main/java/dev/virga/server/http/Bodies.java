package dev.virga.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import dev.virga.client.Json;
import io.javalin.http.Context;

import java.io.IOException;

/** Reads request bodies so that malformed JSON is a 400 naming the field, not a 500. */
public final class Bodies {
    private Bodies() {
    }

    public static <T> T read(Context ctx, Class<T> type) {
        var body = ctx.body();
        if (body.isBlank()) {
            throw new ApiError.BadInput("body", "a JSON " + type.getSimpleName() + " is required");
        }
        try {
            return Json.mapper().readValue(body, type);
        } catch (MismatchedInputException e) {
            var field = e.getPath().isEmpty() ? "body" : e.getPath().getLast().getFieldName();
            throw new ApiError.BadInput(field == null ? "body" : field, "wrong type: " + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            throw new ApiError.BadInput("body", "not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ApiError.BadInput("body", "unreadable: " + e.getMessage());
        }
    }

    public static int intQuery(Context ctx, String name, int fallback) {
        var v = ctx.queryParam(name);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new ApiError.BadInput(name, "'" + v + "' is not a whole number");
        }
    }
}
