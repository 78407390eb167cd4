package dev.virga.qemu.image;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * An uncompressed newc ("070701") cpio archive as the kernel unpacks an initramfs. Written here
 * rather than with cpio(1) so device nodes need no mknod (no root), and the bytes depend only on
 * the entries: sorted paths, owner 0:0, one fixed mtime, inode numbers by position.
 */
final class Cpio {
  static final int S_IFDIR = 0040000;
  static final int S_IFREG = 0100000;
  static final int S_IFLNK = 0120000;
  static final int S_IFCHR = 0020000;

  record Entry(int mode, byte[] data, int rdevMajor, int rdevMinor) {}

  private final Map<String, Entry> entries = new TreeMap<>();
  private final long mtime;

  Cpio(long mtimeEpochSeconds) {
    this.mtime = mtimeEpochSeconds;
  }

  Cpio dir(String path) {
    entries.put(clean(path), new Entry(S_IFDIR | 0755, new byte[0], 0, 0));
    return this;
  }

  Cpio file(String path, int permissions, byte[] data) {
    parents(path);
    entries.put(clean(path), new Entry(S_IFREG | permissions, data, 0, 0));
    return this;
  }

  Cpio symlink(String path, String target) {
    parents(path);
    entries.put(clean(path), new Entry(S_IFLNK | 0777, target.getBytes(StandardCharsets.UTF_8), 0, 0));
    return this;
  }

  Cpio charDevice(String path, int permissions, int major, int minor) {
    parents(path);
    entries.put(clean(path), new Entry(S_IFCHR | permissions, new byte[0], major, minor));
    return this;
  }

  private void parents(String path) {
    String p = clean(path);
    for (int i = p.indexOf('/'); i > 0; i = p.indexOf('/', i + 1)) {
      entries.putIfAbsent(p.substring(0, i), new Entry(S_IFDIR | 0755, new byte[0], 0, 0));
    }
  }

  private static String clean(String path) {
    String p = path.startsWith("/") ? path.substring(1) : path;
    if (p.isEmpty() || p.endsWith("/") || p.contains("//")) {
      throw new IllegalArgumentException("bad cpio path: " + path);
    }
    return p;
  }

  void writeTo(OutputStream out) throws IOException {
    int ino = 1;
    for (Map.Entry<String, Entry> e : entries.entrySet()) {
      Entry en = e.getValue();
      int nlink = (en.mode() & S_IFDIR) == S_IFDIR ? 2 : 1;
      header(out, ino++, en.mode(), nlink, en.data().length, en.rdevMajor(), en.rdevMinor(), e.getKey());
      out.write(en.data());
      pad(out, en.data().length);
    }
    header(out, 0, 0, 1, 0, 0, 0, "TRAILER!!!");
  }

  byte[] toBytes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      writeTo(out);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toByteArray();
  }

  private void header(OutputStream out, int ino, int mode, int nlink, int size, int rmaj, int rmin, String name)
      throws IOException {
    byte[] nameBytes = (name + "\0").getBytes(StandardCharsets.UTF_8);
    long entryMtime = name.equals("TRAILER!!!") ? 0 : mtime;
    String h = "070701" + hex(ino) + hex(mode) + hex(0) + hex(0) + hex(nlink) + hex(entryMtime) + hex(size)
        + hex(0) + hex(0) + hex(rmaj) + hex(rmin) + hex(nameBytes.length) + hex(0);
    out.write(h.getBytes(StandardCharsets.US_ASCII));
    out.write(nameBytes);
    pad(out, 110 + nameBytes.length);
  }

  private static String hex(long v) {
    return String.format("%08x", v);
  }

  private static void pad(OutputStream out, int length) throws IOException {
    int rem = (4 - length % 4) % 4;
    out.write(new byte[rem]);
  }
}
