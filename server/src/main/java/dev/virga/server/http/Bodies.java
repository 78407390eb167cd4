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
        T value;
        try {
            value = Json.mapper().readValue(body, type);
        } catch (com.fasterxml.jackson.core.exc.InputCoercionException e) {
            // a number out of range: the parser knows which field it was reading
            throw new ApiError.BadInput(outOfRangeField(body), "number out of range: " + e.getOriginalMessage());
        } catch (MismatchedInputException e) {
            var field = e.getPath().isEmpty() ? outOfRangeField(body) : e.getPath().getLast().getFieldName();
            throw new ApiError.BadInput(field == null ? "body" : field, "wrong type: " + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            var field = outOfRangeField(body);
            throw new ApiError.BadInput(field, (field.equals("body") ? "not valid JSON: " : "number out of range: ")
                    + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ApiError.BadInput("body", "unreadable: " + e.getMessage());
        }
        if (value == null) {
            throw new ApiError.BadInput("body", "a JSON " + type.getSimpleName() + " is required, not null");
        }
        return value;
    }

    /** The parser does not say which field overflowed; the first integral number too big for an int does. */
    private static String outOfRangeField(String body) {
        try {
            var tree = Json.mapper().readTree(body);
            for (var it = tree.properties().iterator(); it.hasNext(); ) {
                var e = it.next();
                if (e.getValue().isIntegralNumber() && !e.getValue().canConvertToInt()) {
                    return e.getKey();
                }
            }
        } catch (IOException e) {
            return "body";
        }
        return "body";
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

    /** 202 with the operation's address: how every slow request answers. */
    public static void accepted(Context ctx, String operationId) {
        var location = "/1.0/operations/" + operationId;
        ctx.status(202).header("Location", location).json(java.util.Map.of("operation", location));
    }
}
