package dev.virga.qemu.qmp;

/** Something went wrong talking QMP; the subclasses say what, this class alone means a protocol fault. */
public sealed class QmpException extends RuntimeException
        permits QmpCommandException, QmpTimeoutException, QmpClosedException {

    public QmpException(String message) {
        super(message);
    }

    public QmpException(String message, Throwable cause) {
        super(message, cause);
    }
}
