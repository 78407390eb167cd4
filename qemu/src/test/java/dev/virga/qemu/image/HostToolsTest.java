package dev.virga.qemu.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostToolsTest {
  @Test
  void missingToolsNameTheDebianPackagesToInstall(@TempDir Path empty) {
    assertThatThrownBy(() -> HostTools.locate(List.of("lz4", "mkfs.ext4", "debugfs", "qemu-img"), List.of(empty)))
        .isInstanceOf(ImageBuildException.class)
        .hasMessageContaining("[lz4, mkfs.ext4, debugfs, qemu-img]")
        .hasMessageContaining("apt-get install e2fsprogs lz4 qemu-utils");
  }

  @Test
  void findsExecutablesOnTheSearchPath(@TempDir Path dir) throws IOException {
    Path lz4 = Files.createFile(dir.resolve("lz4"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    assertThat(HostTools.locate(List.of("lz4"), List.of(dir)).path("lz4")).isEqualTo(lz4.toString());
  }

  @Test
  void aFailingToolReportsItsStderr() {
    assertThatThrownBy(() -> HostCommand.run(List.of("/bin/sh", "-c", "echo 'mkfs: no space left' >&2; exit 3")))
        .isInstanceOf(ImageBuildException.class)
        .hasMessageContaining("exit code 3").hasMessageContaining("mkfs: no space left");
  }
}
