package dev.virga.qemu.qmp;

/** No reply (or event, or connection) within the allowed time; the connection itself may still be fine. */
public final class QmpTimeoutException extends QmpException {
    public QmpTimeoutException(String message) {
        super(message);
    }

    public QmpTimeoutException(String message, Throwable cause) {
        super(message, cause);
    }
}
