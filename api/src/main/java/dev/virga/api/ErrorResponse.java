package dev.virga.api;

import java.util.Map;

/** The one shape of every error the API returns. */
public record ErrorResponse(String error, int code, Map<String, Object> details) {
    /**
     * The detail of a 503 from a standby server (several servers on one PostgreSQL store): the leader's URL, empty
     * while none is known. A client with several server URLs moves on to the next when it sees it.
     */
    public static final String LEADER = "leader";
}
