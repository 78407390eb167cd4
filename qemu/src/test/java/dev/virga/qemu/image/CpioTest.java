package dev.virga.qemu.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CpioTest {
  record Parsed(String name, int mode, int uid, int gid, long mtime, byte[] data, int rdevMajor, int rdevMinor) {}

  /** A reader of newc archives written independently of the writer, as the kernel reads them. */
  static List<Parsed> parse(byte[] a) {
    List<Parsed> out = new ArrayList<>();
    int pos = 0;
    while (true) {
      String h = new String(a, pos, 110, StandardCharsets.US_ASCII);
      assertThat(h).startsWith("070701");
      int mode = field(h, 1);
      int size = field(h, 6);
      int nameSize = field(h, 11);
      String name = new String(a, pos + 110, nameSize - 1, StandardCharsets.UTF_8);
      pos = align(pos + 110 + nameSize);
      if (name.equals("TRAILER!!!")) {
        assertThat(a.length).isEqualTo(pos);
        return out;
      }
      byte[] data = java.util.Arrays.copyOfRange(a, pos, pos + size);
      pos = align(pos + size);
      out.add(new Parsed(name, mode, field(h, 2), field(h, 3), field(h, 5), data, field(h, 9), field(h, 10)));
    }
  }

  private static int field(String header, int index) {
    return (int) Long.parseLong(header.substring(6 + 8 * index, 14 + 8 * index), 16);
  }

  private static int align(int n) {
    return (n + 3) & ~3;
  }

  private static Cpio sample() {
    return new Cpio(1735689600L)
        .file("init", 0755, "#!/bin/sh\n".getBytes(StandardCharsets.UTF_8))
        .charDevice("dev/console", 0600, 5, 1)
        .file("lib/modules/virtio.ko", 0644, new byte[] {1, 2, 3})
        .symlink("bin/sh", "busybox")
        .dir("proc");
  }

  @Test
  void sortedParentsFirstRootOwnedFixedTime() {
    List<Parsed> entries = parse(sample().toBytes());
    assertThat(entries).extracting(Parsed::name)
        .containsExactly("bin", "bin/sh", "dev", "dev/console", "init", "lib", "lib/modules", "lib/modules/virtio.ko", "proc");
    assertThat(entries).allSatisfy(e -> {
      assertThat(e.uid()).isZero();
      assertThat(e.gid()).isZero();
      assertThat(e.mtime()).isEqualTo(1735689600L);
    });
  }

  @Test
  void entryTypesAndContents() {
    List<Parsed> entries = parse(sample().toBytes());
    Parsed console = entries.get(3);
    assertThat(console.mode()).isEqualTo(Cpio.S_IFCHR | 0600);
    assertThat(console.rdevMajor()).isEqualTo(5);
    assertThat(console.rdevMinor()).isEqualTo(1);
    Parsed link = entries.get(1);
    assertThat(link.mode()).isEqualTo(Cpio.S_IFLNK | 0777);
    assertThat(new String(link.data(), StandardCharsets.UTF_8)).isEqualTo("busybox");
    assertThat(entries.get(7).data()).containsExactly(1, 2, 3);
    assertThat(entries.get(4).mode()).isEqualTo(Cpio.S_IFREG | 0755);
    assertThat(entries.get(0).mode()).isEqualTo(Cpio.S_IFDIR | 0755);
  }

  @Test
  void sameEntriesInAnyOrderGiveTheSameBytes() {
    Cpio other = new Cpio(1735689600L)
        .dir("proc")
        .symlink("bin/sh", "busybox")
        .file("lib/modules/virtio.ko", 0644, new byte[] {1, 2, 3})
        .charDevice("dev/console", 0600, 5, 1)
        .file("init", 0755, "#!/bin/sh\n".getBytes(StandardCharsets.UTF_8));
    assertThat(other.toBytes()).isEqualTo(sample().toBytes());
  }
}
