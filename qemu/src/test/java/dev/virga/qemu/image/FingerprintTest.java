package dev.virga.qemu.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FingerprintTest {
  private static final Map<String, String> SETTINGS = Map.of("recipe", "tiny-1", "cmdline", "console=ttyS0");
  private static final Map<String, String> PACKAGES = Map.of("busybox-static", "1:1.35.0-4", "libc6", "2.36-9");
  private static final Map<String, byte[]> FILES = Map.of("init", "#!/bin/sh\n".getBytes(StandardCharsets.UTF_8));

  @Test
  void sameInputsSameFingerprintWhateverTheMapOrder() {
    Map<String, String> reordered = new LinkedHashMap<>();
    reordered.put("libc6", "2.36-9");
    reordered.put("busybox-static", "1:1.35.0-4");
    String a = Fingerprint.of(SETTINGS, PACKAGES, FILES);
    assertThat(Fingerprint.of(SETTINGS, reordered, FILES)).isEqualTo(a).hasSize(64).matches("[0-9a-f]+");
  }

  @Test
  void anyChangedInputChangesIt() {
    String a = Fingerprint.of(SETTINGS, PACKAGES, FILES);
    Map<String, String> newer = new HashMap<>(PACKAGES);
    newer.put("libc6", "2.36-9+deb12u1");
    Map<String, String> otherCmdline = new HashMap<>(SETTINGS);
    otherCmdline.put("cmdline", "console=ttyS0 quiet");
    assertThat(Fingerprint.of(SETTINGS, newer, FILES)).isNotEqualTo(a);
    assertThat(Fingerprint.of(otherCmdline, PACKAGES, FILES)).isNotEqualTo(a);
    assertThat(Fingerprint.of(SETTINGS, PACKAGES, Map.of("init", "#!/bin/sh \n".getBytes(StandardCharsets.UTF_8))))
        .isNotEqualTo(a);
  }

  @Test
  void recipeFingerprintIsStableAndCoversTheScripts() {
    Map<String, byte[]> resources = TinyRecipe.resources();
    String a = Fingerprint.of(TinyRecipe.settings(), PACKAGES, resources);
    assertThat(Fingerprint.of(TinyRecipe.settings(), PACKAGES, TinyRecipe.resources())).isEqualTo(a);
    Map<String, byte[]> edited = new HashMap<>(resources);
    edited.put("rcS", (new String(resources.get("rcS"), StandardCharsets.UTF_8) + "# edit\n").getBytes(StandardCharsets.UTF_8));
    assertThat(Fingerprint.of(TinyRecipe.settings(), PACKAGES, edited)).isNotEqualTo(a);
  }

  @Test
  void uuidIsAValidVersion4UuidDerivedFromTheFingerprint() {
    String fp = Fingerprint.of(SETTINGS, PACKAGES, FILES);
    String uuid = Fingerprint.uuid(fp);
    assertThat(uuid).matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    assertThat(Fingerprint.uuid(fp)).isEqualTo(uuid);
    assertThat(Fingerprint.uuid(fp.substring(32))).isNotEqualTo(uuid);
  }
}
