package dev.virga.api;

import java.util.Map;

/** The one shape of every error the API returns. */
public record ErrorResponse(String error, int code, Map<String, Object> details) {
}
