package dev.virga.qemu.ga;

/** The guest agent (or a command it runs) did not answer in time; the guest may be slow, hung or not up yet. */
public final class GuestAgentTimeoutException extends GuestAgentException {
    public GuestAgentTimeoutException(String message) {
        super(message);
    }

    public GuestAgentTimeoutException(String message, Throwable cause) {
        super(message, cause);
    }
}
