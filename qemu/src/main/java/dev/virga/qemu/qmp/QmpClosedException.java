package dev.virga.qemu.qmp;

/** The QMP connection is gone (QEMU exited, or the client was closed); nothing more will be answered. */
public final class QmpClosedException extends QmpException {
    public QmpClosedException(String message) {
        super(message);
    }

    public QmpClosedException(String message, Throwable cause) {
        super(message, cause);
    }
}
