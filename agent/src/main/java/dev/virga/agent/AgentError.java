package dev.virga.agent;

/** Errors the agent's endpoint answers with; the status code tells the control plane what kind. */
public final class AgentError extends RuntimeException {
    private final int status;

    private AgentError(int status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    public int status() {
        return status;
    }

    public static AgentError badInput(String field, String reason) {
        return new AgentError(400, field + ": " + reason, null);
    }

    public static AgentError notFound(String kind, String name) {
        return new AgentError(404, kind + " '" + name + "' not found on this host", null);
    }

    /** A 404 whose message says it all (e.g. an unknown backup in a shared repository, not "on this host"). */
    public static AgentError missing(String message) {
        return new AgentError(404, message, null);
    }

    public static AgentError conflict(String message) {
        return new AgentError(409, message, null);
    }

    /** The host could not do it (QEMU refused to start, a tool failed): the message carries the tool's own words. */
    public static AgentError failed(String message, Throwable cause) {
        return new AgentError(500, message, cause);
    }
}
