package dev.virga.qemu.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ElfTest {
  @Test
  void readsNeededLibrariesAndInterpreter() {
    byte[] elf = ElfFixture.build("/lib64/ld-linux-x86-64.so.2", List.of("libglib-2.0.so.0", "libc.so.6"), null);
    Elf e = new Elf("prog", elf);
    assertThat(e.needed()).containsExactly("libglib-2.0.so.0", "libc.so.6");
    assertThat(e.interpreter()).contains("/lib64/ld-linux-x86-64.so.2");
  }

  @Test
  void libraryWithoutInterpreter() {
    Elf e = new Elf("lib", ElfFixture.build(null, List.of("libc.so.6"), null));
    assertThat(e.interpreter()).isEmpty();
    assertThat(e.needed()).containsExactly("libc.so.6");
  }

  @Test
  void readsModinfoStrings() {
    Elf e = new Elf("virtio_blk.ko", ElfFixture.build(null, List.of(), List.of("license=GPL", "depends=virtio,virtio_ring", "name=virtio_blk")));
    assertThat(e.modinfo()).containsExactly("license=GPL", "depends=virtio,virtio_ring", "name=virtio_blk");
  }

  @Test
  void rejectsNonElf() {
    assertThatThrownBy(() -> new Elf("script", "#!/bin/sh\n".repeat(10).getBytes()))
        .isInstanceOf(ImageBuildException.class).hasMessageContaining("script is not an ELF file");
  }

  @Test
  void corruptOffsetsFailNamingTheFile() {
    byte[] elf = ElfFixture.build(null, List.of("libc.so.6"), null);
    java.nio.ByteBuffer.wrap(elf).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(0x28, 1L << 40); // e_shoff
    assertThatThrownBy(() -> new Elf("broken.so", elf).needed()).isInstanceOf(ImageBuildException.class)
        .hasMessageContaining("broken.so is a malformed ELF file");
  }

  @Test
  void readsARealDebianBinary() {
    Path qemuImg = Path.of("/usr/bin/qemu-img");
    assertThat(qemuImg).as("qemu-utils must be installed (./virga test installs it)").isRegularFile();
    Elf e = Elf.read(qemuImg);
    assertThat(e.needed()).contains("libc.so.6");
    assertThat(e.interpreter()).contains("/lib64/ld-linux-x86-64.so.2");
  }
}
