package dev.virga.vswitch;

/** A request the switch refuses (unknown network or port, duplicate id, network still in use). */
public final class SwitchException extends RuntimeException {
    public SwitchException(String message) {
        super(message);
    }

    public SwitchException(String message, Throwable cause) {
        super(message, cause);
    }
}
