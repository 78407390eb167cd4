package dev.virga.qemu.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageManifestTest {
  private static final ImageManifest MANIFEST = new ImageManifest("tiny", "ab".repeat(32), "Virga tiny 1",
      "6.1.0-56-cloud-amd64", "console=ttyS0 root=/dev/vda", "vmlinux", "initrd.cpio", "disk.qcow2",
      268435456L, Instant.parse("2025-01-02T03:04:05.123Z"),
      Map.of("libc6", "2.36-9+deb12u14", "busybox-static", "1:1.35.0-4+deb12u1+b1"));

  @Test
  void roundTripsThroughMetadataJson(@TempDir Path dir) throws IOException {
    MANIFEST.write(dir);
    assertThat(ImageManifest.read(dir)).isEqualTo(MANIFEST);
    String json = Files.readString(dir.resolve("metadata.json"));
    assertThat(json).contains("\"name\" : \"tiny\"", "\"virtualSize\" : 268435456", "\"created\" : \"2025-01-02T03:04:05.123Z\"");
    assertThat(json.indexOf("busybox-static")).isLessThan(json.indexOf("libc6")); // packages sorted
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("metadata.json");
    }
  }

  @Test
  void builtImageResolvesFilesInItsDirectory(@TempDir Path dir) {
    BuiltImage img = new BuiltImage(dir, MANIFEST, true);
    assertThat(img.disk()).isEqualTo(dir.resolve("disk.qcow2"));
    assertThat(img.kernel()).isEqualTo(dir.resolve("vmlinux"));
    assertThat(img.initrd()).isEqualTo(dir.resolve("initrd.cpio"));
  }

  @Test
  void missingOrBrokenManifestsAreNamed(@TempDir Path dir) throws IOException {
    assertThatThrownBy(() -> ImageManifest.read(dir)).isInstanceOf(ImageBuildException.class)
        .hasMessageContaining("does not exist");
    Files.writeString(dir.resolve("metadata.json"), "{\"name\":\"tiny\"}");
    assertThatThrownBy(() -> ImageManifest.read(dir)).hasMessageContaining("lacks the text field fingerprint");
  }
}
