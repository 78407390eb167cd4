package dev.virga.qemu.image;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The tiny image's initramfs: static busybox, the /init script and the virtio modules in load
 * order. Left uncompressed because unpacking is cheaper than decompressing under TCG.
 */
final class Initramfs {
  static final String LOAD_ORDER = "lib/modules/load-order";

  private Initramfs() {}

  /** modules: name -> .ko file, already in load order. */
  static Cpio contents(byte[] busybox, byte[] init, Map<String, Path> modules, long mtime) throws IOException {
    Cpio cpio = new Cpio(mtime);
    for (String dir : new String[] {"bin", "dev", "proc", "sys", "newroot", "lib/modules"}) {
      cpio.dir(dir);
    }
    cpio.file("bin/busybox", 0755, busybox);
    cpio.file("init", 0755, init);
    // The kernel opens /dev/console for /init before anything could mount devtmpfs.
    cpio.charDevice("dev/console", 0600, 5, 1);
    StringBuilder order = new StringBuilder();
    for (Map.Entry<String, Path> m : modules.entrySet()) {
      cpio.file("lib/modules/" + m.getKey() + ".ko", 0644, Files.readAllBytes(m.getValue()));
      order.append(m.getKey()).append('\n');
    }
    cpio.file(LOAD_ORDER, 0644, order.toString().getBytes(StandardCharsets.UTF_8));
    return cpio;
  }
}
