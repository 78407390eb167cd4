package dev.virga.qemu.ga;

/** The guest agent answered a command with {@code {"error": {"class": ..., "desc": ...}}}. */
public final class GuestAgentCommandException extends GuestAgentException {
    private final String command;
    private final String errorClass;
    private final String description;

    public GuestAgentCommandException(String command, String errorClass, String description) {
        super("guest agent command '" + command + "' failed: " + errorClass + ": " + description);
        this.command = command;
        this.errorClass = errorClass;
        this.description = description;
    }

    public String command() {
        return command;
    }

    /** E.g. {@code CommandNotFound}, {@code GenericError}, {@code InvalidParameter}. */
    public String errorClass() {
        return errorClass;
    }

    public String description() {
        return description;
    }
}
