package dev.virga.qemu.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SharedLibrariesTest {
  private static void write(Path root, String path, byte[] data) throws IOException {
    Path p = root.resolve(path);
    Files.createDirectories(p.getParent());
    Files.write(p, data);
  }

  private static void link(Path root, String path, String target) throws IOException {
    Path p = root.resolve(path);
    Files.createDirectories(p.getParent());
    Files.createSymbolicLink(p, Path.of(target));
  }

  @Test
  void collectsLibrariesTransitivelyAndTheLoaderWithinTheSysroot(@TempDir Path root) throws IOException {
    write(root, "usr/sbin/qemu-ga", ElfFixture.build("/lib64/ld-linux-x86-64.so.2", List.of("libglib-2.0.so.0", "libc.so.6"), null));
    write(root, "usr/lib/x86_64-linux-gnu/libglib-2.0.so.0.7400.6", ElfFixture.build(null, List.of("libpcre2-8.so.0", "libc.so.6"), null));
    link(root, "usr/lib/x86_64-linux-gnu/libglib-2.0.so.0", "libglib-2.0.so.0.7400.6");
    write(root, "lib/x86_64-linux-gnu/libpcre2-8.so.0", ElfFixture.build(null, List.of("libc.so.6"), null));
    write(root, "lib/x86_64-linux-gnu/libc.so.6", ElfFixture.build(null, List.of("ld-linux-x86-64.so.2"), null));
    write(root, "lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", ElfFixture.build(null, List.of(), null));
    // Debian's libc6 ships the loader path as an absolute link: it must resolve inside the sysroot.
    link(root, "lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");

    Map<String, Path> libs = new SharedLibraries(root).closure(List.of("usr/sbin/qemu-ga"));
    assertThat(libs.keySet()).containsExactly("lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        "lib/x86_64-linux-gnu/libc.so.6", "lib/x86_64-linux-gnu/libglib-2.0.so.0",
        "lib/x86_64-linux-gnu/libpcre2-8.so.0", "lib64/ld-linux-x86-64.so.2");
    assertThat(libs.get("lib/x86_64-linux-gnu/libglib-2.0.so.0"))
        .isEqualTo(root.resolve("usr/lib/x86_64-linux-gnu/libglib-2.0.so.0.7400.6"));
    assertThat(libs.get("lib64/ld-linux-x86-64.so.2")).isEqualTo(root.resolve("lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"));
  }

  @Test
  void aMissingLibraryFailsNamingItAndItsUser(@TempDir Path root) throws IOException {
    write(root, "sbin/resize2fs", ElfFixture.build(null, List.of("libext2fs.so.2"), null));
    assertThatThrownBy(() -> new SharedLibraries(root).closure(List.of("sbin/resize2fs")))
        .isInstanceOf(ImageBuildException.class)
        .hasMessageContaining("libext2fs.so.2").hasMessageContaining("sbin/resize2fs");
  }

  @Test
  void linksNeverEscapeTheSysroot(@TempDir Path root) throws IOException {
    link(root, "lib/x86_64-linux-gnu/libc.so.6", "../../../../../../../etc/passwd");
    assertThat(new SharedLibraries(root).resolve("lib/x86_64-linux-gnu/libc.so.6")).isEmpty();
  }
}
