package dev.virga.qemu.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class DebPackageTest {
  private static final String SHOW = """
      Package: qemu-guest-agent
      Source: qemu
      Version: 1:7.2+dfsg-7+deb12u18+b3
      Architecture: amd64
      Pre-Depends: init-system-helpers (>= 1.54~)
      Depends: libc6 (>= 2.34), libglib2.0-0 (>= 2.73.2), libnuma1 (>= 2.0.11), libudev1 (>= 183), liburing2 (>= 2.1)
      Description: Guest-side qemu-system agent
       qemu-guest-agent is a daemon intended to be run within virtual
       machines.
      SHA256: 7b0c6bd8cbc1c0b6f5a1b3b6e0f0b1d0b8c0a1f7e3b1c2d0a1b2c3d4e5f6a7b8

      Package: libc6
      Version: 2.36-9+deb12u14
      Architecture: amd64
      Depends: libgcc-s1
      SHA256: 00aa
      """;

  @Test
  void parsesApTCacheShowStanzas() {
    List<DebPackage> ps = DebPackage.parseStanzas(SHOW);
    assertThat(ps).hasSize(2);
    DebPackage ga = ps.getFirst();
    assertThat(ga.name()).isEqualTo("qemu-guest-agent");
    assertThat(ga.version()).isEqualTo("1:7.2+dfsg-7+deb12u18+b3");
    assertThat(ga.architecture()).isEqualTo("amd64");
    assertThat(ga.sha256()).startsWith("7b0c6bd8");
    assertThat(ga.dependencies())
        .containsExactly("init-system-helpers", "libc6", "libglib2.0-0", "libnuma1", "libudev1", "liburing2");
    assertThat(ps.get(1).dependencies()).containsExactly("libgcc-s1");
  }

  @Test
  void dependencyNamesTakeTheFirstAlternativeAndDropQualifiers() {
    assertThat(DebPackage.dependencyNames("perl:any, libfoo1 (>= 1) | libfoo-compat, debconf [amd64] ,"))
        .containsExactly("perl", "libfoo1", "debconf");
    assertThat(DebPackage.dependencyNames("")).isEmpty();
  }

  @Test
  void fileNameEncodesTheEpochLikeApt() {
    DebPackage p = new DebPackage("busybox-static", "1:1.35.0-4+deb12u1+b1", "amd64", "", List.of());
    assertThat(p.fileName()).isEqualTo("busybox-static_1%3a1.35.0-4+deb12u1+b1_amd64.deb");
  }
}
