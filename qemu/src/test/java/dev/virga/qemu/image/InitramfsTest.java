package dev.virga.qemu.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InitramfsTest {
  @Test
  void holdsBusyboxInitConsoleAndModulesInLoadOrder(@TempDir Path dir) throws IOException {
    Map<String, Path> modules = new LinkedHashMap<>();
    modules.put("virtio_ring", Files.write(dir.resolve("virtio_ring.ko"), new byte[] {1}));
    modules.put("virtio", Files.write(dir.resolve("virtio.ko"), new byte[] {2}));
    byte[] cpio = Initramfs.contents(new byte[] {9, 9}, "#!/bin/busybox sh\n".getBytes(StandardCharsets.UTF_8),
        modules, 1735689600L).toBytes();
    List<CpioTest.Parsed> entries = CpioTest.parse(cpio);
    assertThat(entries).extracting(CpioTest.Parsed::name).contains("init", "bin/busybox", "dev/console",
        "lib/modules/virtio_ring.ko", "lib/modules/virtio.ko", "lib/modules/load-order", "proc", "sys", "newroot");
    CpioTest.Parsed order = entries.stream().filter(e -> e.name().equals("lib/modules/load-order")).findFirst().orElseThrow();
    assertThat(new String(order.data(), StandardCharsets.UTF_8)).isEqualTo("virtio_ring\nvirtio\n");
  }
}
