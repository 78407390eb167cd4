package dev.virga.server.config;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.virga.client.Json;
import dev.virga.server.http.ApiError;
import io.javalin.Javalin;

import java.util.Map;

/** {@code /1.0/config}: GET every setting, PATCH some (an empty value restores the default). */
public final class ConfigRoutes {
    private ConfigRoutes() {
    }

    public static void install(Javalin app, Settings settings) {
        app.get("/1.0/config", ctx -> ctx.json(settings.all()));
        app.patch("/1.0/config", ctx -> {
            Map<String, String> changes;
            try {
                changes = Json.read(ctx.body(), new TypeReference<Map<String, String>>() { });
            } catch (IllegalArgumentException e) {
                throw new ApiError.BadInput("body", "must be a JSON object of setting names to values");
            }
            if (changes == null || changes.isEmpty()) {
                throw new ApiError.BadInput("body", "names no setting to change");
            }
            ctx.json(settings.update(changes));
        });
    }
}
