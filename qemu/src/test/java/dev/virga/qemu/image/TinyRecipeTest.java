package dev.virga.qemu.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TinyRecipeTest {
  private static String text(String resource) {
    return new String(TinyRecipe.resource(resource), StandardCharsets.UTF_8);
  }

  @Test
  void everyScriptTheInittabRunsIsInTheImage() {
    List<String> paths = TinyRecipe.ROOT_FILES.stream().map(f -> "/" + f.path()).toList();
    for (String line : text("inittab").lines().filter(l -> !l.startsWith("#") && !l.isBlank()).toList()) {
      String program = line.split(":", 4)[3].replaceFirst("^-", "").split(" ")[0];
      if (!program.startsWith("/bin/")) { // /bin/sh is busybox
        assertThat(paths).as("inittab line %s", line).contains(program);
      }
    }
  }

  @Test
  void scriptsAreExecutableAndStartWithAShebang() {
    for (TinyRecipe.RootFile f : TinyRecipe.ROOT_FILES) {
      boolean script = text(f.resource()).startsWith("#!");
      assertThat((f.mode() & 0100) != 0).as(f.path()).isEqualTo(script);
    }
    assertThat(text(TinyRecipe.INITRAMFS_INIT)).startsWith("#!/bin/busybox sh");
  }

  @Test
  void probeModeAndTheAgentChannelAreWired() {
    assertThat(text("init")).contains("virga.probe", "echo VIRGA-PROBE-OK", "poweroff -f", "switch_root");
    assertThat(text("qemu-ga")).contains("org.qemu.guest_agent.0", "--statedir=/run/");
    assertThat(text("rcS")).contains("virga.hostname=", "resize2fs", "acpid");
    assertThat(text("os-release")).contains("ID=virga-tiny", "VERSION_ID=\"" + TinyRecipe.VERSION + "\"")
        .doesNotContain("@VERSION@");
  }

  @Test
  void theCommandLineHasTheBootTweaksAndPanicReset() {
    assertThat(TinyRecipe.CMDLINE.split(" ")).contains("console=ttyS0", "root=/dev/vda", "quiet", "panic=-1", "nokaslr");
  }

  @Test
  void shellScriptsParse(@TempDir Path dir) throws IOException {
    Map<String, byte[]> resources = TinyRecipe.resources();
    for (var e : resources.entrySet()) {
      if (!new String(e.getValue(), StandardCharsets.UTF_8).startsWith("#!")) {
        continue;
      }
      Path f = Files.write(dir.resolve(e.getKey()), e.getValue());
      HostCommand.Result r = HostCommand.runAllowingFailure(List.of("/bin/sh", "-n", f.toString()), null, Map.of());
      assertThat(r.exitCode()).as("sh -n %s: %s", e.getKey(), r.stderr()).isZero();
    }
  }
}
