package dev.virga.qemu.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AptArchiveTest {
  private static DebPackage pkg(String name, String... deps) {
    return new DebPackage(name, "1.0", "amd64", "", List.of(deps));
  }

  private static final Map<String, DebPackage> ARCHIVE = Map.of(
      "libc6", pkg("libc6", "libgcc-s1"),
      "libgcc-s1", pkg("libgcc-s1", "gcc-12-base", "libc6"),
      "libglib2.0-0", pkg("libglib2.0-0", "libc6", "zlib1g", "libffi8"),
      "zlib1g", pkg("zlib1g", "libc6"),
      "libffi8", pkg("libffi8", "libc6"),
      "linux-image-6.1.0-56-cloud-amd64", pkg("linux-image-6.1.0-56-cloud-amd64", "kmod", "linux-base"));

  @Test
  void followsOnlyLibraryPackagesAndFetchesExtrasInTheFirstRound() {
    List<Collection<String>> calls = new ArrayList<>();
    List<DebPackage> closure = AptArchive.libraryClosure(
        List.of(pkg("qemu-guest-agent", "init-system-helpers", "libc6", "libglib2.0-0")),
        List.of("linux-image-6.1.0-56-cloud-amd64"),
        names -> {
          calls.add(List.copyOf(names));
          return names.stream().map(ARCHIVE::get).toList();
        });
    assertThat(closure).extracting(DebPackage::name).containsExactly("libc6", "libffi8", "libgcc-s1",
        "libglib2.0-0", "linux-image-6.1.0-56-cloud-amd64", "qemu-guest-agent", "zlib1g");
    assertThat(calls.getFirst()).contains("linux-image-6.1.0-56-cloud-amd64", "libc6", "libglib2.0-0");
    assertThat(calls).hasSize(2);
  }
}
