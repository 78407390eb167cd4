package dev.virga.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import dev.virga.client.Json;
import io.javalin.http.Context;

import java.io.IOException;

/**
 * Reads request bodies so that malformed JSON is a 400 naming the field, not a 500; strictly (the hostile review
 * of issue 14): an unknown field ({@code "cpu": 4} for {@code cpus}) is refused rather than ignored, as are a key
 * given twice, text after the JSON value, a fraction where a whole number belongs, and a JSON boolean or number
 * where a string belongs; a body over {@value #MAX_BODY_BYTES} bytes is a 413.
 */
public final class Bodies {
    /** Request bodies are small records; uploads (images, archives) stream and do not come through here. */
    public static final int MAX_BODY_BYTES = 1 << 20;
    private static final com.fasterxml.jackson.databind.ObjectMapper STRICT = strict();

    private Bodies() {
    }

    private static com.fasterxml.jackson.databind.ObjectMapper strict() {
        var mapper = ((com.fasterxml.jackson.databind.json.JsonMapper) Json.mapper()).rebuild()
                .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(com.fasterxml.jackson.databind.DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
        // "name": true or "name": 5 is not a name
        mapper.coercionConfigFor(com.fasterxml.jackson.databind.type.LogicalType.Textual)
                .setCoercion(com.fasterxml.jackson.databind.cfg.CoercionInputShape.Boolean,
                        com.fasterxml.jackson.databind.cfg.CoercionAction.Fail)
                .setCoercion(com.fasterxml.jackson.databind.cfg.CoercionInputShape.Integer,
                        com.fasterxml.jackson.databind.cfg.CoercionAction.Fail)
                .setCoercion(com.fasterxml.jackson.databind.cfg.CoercionInputShape.Float,
                        com.fasterxml.jackson.databind.cfg.CoercionAction.Fail);
        return mapper;
    }

    public static <T> T read(Context ctx, Class<T> type) {
        long length = ctx.contentLength();
        if (length > MAX_BODY_BYTES) {
            throw new ApiError.TooLarge("body", "a request body may have at most " + MAX_BODY_BYTES + " bytes; this "
                    + "one has " + length);
        }
        var body = length >= 0 ? ctx.body() : boundedBody(ctx);
        if (body.isBlank()) {
            throw new ApiError.BadInput("body", "a JSON " + type.getSimpleName() + " is required");
        }
        T value;
        try {
            value = STRICT.readValue(body, type);
        } catch (com.fasterxml.jackson.core.exc.InputCoercionException e) {
            // a number out of range: the parser knows which field it was reading
            throw new ApiError.BadInput(outOfRangeField(body), "number out of range: " + e.getOriginalMessage());
        } catch (com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException e) {
            throw new ApiError.BadInput(e.getPropertyName(), "unknown field of " + type.getSimpleName()
                    + " (known: " + String.join(", ", e.getKnownPropertyIds().stream().map(Object::toString)
                    .sorted().toList()) + ")");
        } catch (MismatchedInputException e) {
            if (e.getOriginalMessage().startsWith("Trailing token")) {
                throw new ApiError.BadInput("body", "text after the JSON value (" + e.getOriginalMessage() + ")");
            }
            var field = e.getPath().isEmpty() ? outOfRangeField(body) : e.getPath().getLast().getFieldName();
            throw new ApiError.BadInput(field == null ? "body" : field, "wrong type: " + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            var duplicate = java.util.regex.Pattern.compile("Duplicate field '([^']*)'").matcher(e.getOriginalMessage());
            if (duplicate.find()) {
                throw new ApiError.BadInput(duplicate.group(1), "given twice");
            }
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

    /** A body without a length (chunked): read up to the limit, never whole. */
    private static String boundedBody(Context ctx) {
        try {
            var bytes = ctx.bodyInputStream().readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES) {
                throw new ApiError.TooLarge("body", "a request body may have at most " + MAX_BODY_BYTES + " bytes");
            }
            return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ApiError.BadInput("body", "unreadable: " + e.getMessage());
        }
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
