package dev.virga.qemu.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class VmlinuxTest {
  private static byte[] header(int setupSects, int version, int payloadOffset, int payloadLength) {
    ByteBuffer b = ByteBuffer.allocate(0x400).order(ByteOrder.LITTLE_ENDIAN);
    b.put(0x1f1, (byte) setupSects);
    b.putInt(0x202, 0x53726448);
    b.putShort(0x206, (short) version);
    b.putInt(0x248, payloadOffset);
    b.putInt(0x24c, payloadLength);
    return b.array();
  }

  @Test
  void payloadStartsAfterTheSetupSectors() {
    // The values of Debian's 6.1 cloud kernel: 39 setup sectors, payload at 716.
    Vmlinux.Payload p = Vmlinux.payload(header(39, 0x20f, 716, 14063308));
    assertThat(p.fileOffset()).isEqualTo(40 * 512 + 716);
    assertThat(p.length()).isEqualTo(14063308);
    assertThat(p.compressedLength()).isEqualTo(14063304); // without the size trailer
  }

  @Test
  void zeroSetupSectorsMeansFour() {
    assertThat(Vmlinux.payload(header(0, 0x20f, 100, 1000)).fileOffset()).isEqualTo(5 * 512 + 100);
  }

  @Test
  void rejectsImagesWithoutBootHeader() {
    byte[] h = header(39, 0x20f, 716, 1000);
    h[0x202] = 0;
    assertThatThrownBy(() -> Vmlinux.payload(h)).hasMessageContaining("HdrS");
  }

  @Test
  void rejectsOldBootProtocol() {
    assertThatThrownBy(() -> Vmlinux.payload(header(39, 0x206, 716, 1000))).hasMessageContaining("2.08");
  }

  @Test
  void rejectsShortHeader() {
    assertThatThrownBy(() -> Vmlinux.payload(new byte[100])).hasMessageContaining("too short");
  }
}
