package dev.virga.server.http;

import java.util.Map;

/** Every error a request can end with; {@link ErrorMapping} turns it into the one JSON error shape. */
public abstract sealed class ApiError extends RuntimeException
        permits ApiError.BadInput, ApiError.NotFound, ApiError.Conflict, ApiError.Unavailable, ApiError.Forbidden,
        ApiError.NotLeader, ApiError.TooLarge {
    private final transient Map<String, Object> details;

    ApiError(String message, Map<String, Object> details) {
        super(message);
        this.details = Map.copyOf(details);
    }

    public abstract int status();

    public Map<String, Object> details() {
        return details;
    }

    /** 400: a field of the request is wrong; the message names the field and why. */
    public static final class BadInput extends ApiError {
        public BadInput(String field, String reason) {
            super(field + ": " + reason, Map.of("field", field));
        }

        @Override
        public int status() {
            return 400;
        }
    }

    /** 413: a request body bigger than that route takes; refused before it is read whole. */
    public static final class TooLarge extends ApiError {
        public TooLarge(String field, String reason) {
            super(field + ": " + reason, Map.of("field", field));
        }

        @Override
        public int status() {
            return 413;
        }
    }

    /** 404: no such thing. */
    public static final class NotFound extends ApiError {
        public NotFound(String kind, String name) {
            super(kind + " '" + name + "' not found", Map.of(kind, name));
        }

        @Override
        public int status() {
            return 404;
        }
    }

    /** 409: the request clashes with the state of things. */
    public static final class Conflict extends ApiError {
        public Conflict(String message) {
            this(message, Map.of());
        }

        public Conflict(String message, Map<String, Object> details) {
            super(message, details);
        }

        @Override
        public int status() {
            return 409;
        }
    }

    /** 403: a credential (join token, host secret) that is unknown, used or expired. */
    public static final class Forbidden extends ApiError {
        public Forbidden(String message) {
            super(message, Map.of());
        }

        @Override
        public int status() {
            return 403;
        }
    }

    /** 503: a host or other part needed for the request cannot be reached. */
    public static final class Unavailable extends ApiError {
        public Unavailable(String message) {
            super(message, Map.of());
        }

        @Override
        public int status() {
            return 503;
        }
    }

    /**
     * 503: this server is a standby; only the leader takes writes. {@code details.leader} is the leader's URL (empty
     * while none is known), which is how clients tell this answer from other 503s and move on.
     */
    public static final class NotLeader extends ApiError {
        public NotLeader(java.util.Optional<String> leader) {
            super(leader.map(url -> "this server is a standby; the leader is " + url + ": send writes there")
                            .orElse("this server is a standby and no leader is known right now; retry in a few seconds"),
                    Map.of(dev.virga.api.ErrorResponse.LEADER, leader.orElse("")));
        }

        @Override
        public int status() {
            return 503;
        }
    }
}
