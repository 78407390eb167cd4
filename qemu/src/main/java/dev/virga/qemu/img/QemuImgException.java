package dev.virga.qemu.img;

/** qemu-img failed, is missing, or said something we cannot read; the message carries its stderr. */
public final class QemuImgException extends RuntimeException {
    public QemuImgException(String message) {
        super(message);
    }

    public QemuImgException(String message, Throwable cause) {
        super(message, cause);
    }
}
