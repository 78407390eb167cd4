package dev.virga.client;

import java.util.Map;

/** An error answer of a Virga endpoint, or the endpoint could not be reached (code 0). */
public class ApiException extends RuntimeException {
    private final int code;
    private final transient Map<String, Object> details;

    public ApiException(int code, String message, Map<String, Object> details) {
        super(message);
        this.code = code;
        this.details = Map.copyOf(details);
    }

    public int code() {
        return code;
    }

    public Map<String, Object> details() {
        return details;
    }
}
