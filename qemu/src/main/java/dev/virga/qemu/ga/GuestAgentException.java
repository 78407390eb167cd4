package dev.virga.qemu.ga;

/** Talking to the guest agent failed; this class alone means the connection is unusable (closed, broken). */
public sealed class GuestAgentException extends RuntimeException
        permits GuestAgentCommandException, GuestAgentTimeoutException {

    public GuestAgentException(String message) {
        super(message);
    }

    public GuestAgentException(String message, Throwable cause) {
        super(message, cause);
    }
}
