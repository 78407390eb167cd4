package dev.virga.qemu.image;

/** A guest image could not be built; the message names the step, the cause and, for a failed tool, its stderr. */
public final class ImageBuildException extends RuntimeException {
  public ImageBuildException(String message) {
    super(message);
  }

  public ImageBuildException(String message, Throwable cause) {
    super(message, cause);
  }
}
