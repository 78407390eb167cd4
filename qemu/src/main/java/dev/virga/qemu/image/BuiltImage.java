package dev.virga.qemu.image;

import java.nio.file.Path;

/** A finished image directory; cached says it was already there and nothing was built. */
public record BuiltImage(Path dir, ImageManifest manifest, boolean cached) {
  public Path disk() {
    return dir.resolve(manifest.disk());
  }

  public Path kernel() {
    return dir.resolve(manifest.kernel());
  }

  public Path initrd() {
    return dir.resolve(manifest.initrd());
  }
}
