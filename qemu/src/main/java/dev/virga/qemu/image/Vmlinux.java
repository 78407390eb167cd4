package dev.virga.qemu.image;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.List;

/**
 * Cuts the uncompressed ELF {@code vmlinux} out of a bzImage. QEMU boots that ELF through its Xen
 * PVH entry note and skips the real-mode setup and in-guest decompression, about 1.3 s per boot
 * under TCG.
 */
final class Vmlinux {
  private static final int HEADER_BYTES = 0x250;
  private static final byte[] LZ4_LEGACY_MAGIC = {0x02, 0x21, 0x4c, 0x18};

  private Vmlinux() {}

  /** Where the compressed kernel sits in the file; lastFourBytesAreSize per the kernel's size_append. */
  record Payload(long fileOffset, long length) {
    long compressedLength() {
      return length - 4;
    }
  }

  /** Reads setup_header.setup_sects (0x1f1), payload_offset (0x248) and payload_length (0x24c). */
  static Payload payload(byte[] header) {
    if (header.length < HEADER_BYTES) {
      throw new ImageBuildException("kernel image too short for a boot header: " + header.length + " bytes");
    }
    ByteBuffer b = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
    if (b.getInt(0x202) != 0x53726448) { // "HdrS"
      throw new ImageBuildException("kernel image has no x86 boot header (no HdrS magic at 0x202)");
    }
    int version = Short.toUnsignedInt(b.getShort(0x206));
    if (version < 0x208) {
      throw new ImageBuildException("boot protocol " + Integer.toHexString(version) + " has no payload fields (need >= 2.08)");
    }
    int setupSects = Byte.toUnsignedInt(header[0x1f1]);
    if (setupSects == 0) {
      setupSects = 4; // the boot protocol's historical meaning of 0
    }
    long offset = (setupSects + 1L) * 512 + Integer.toUnsignedLong(b.getInt(0x248));
    long length = Integer.toUnsignedLong(b.getInt(0x24c));
    if (length <= 4) {
      throw new ImageBuildException("kernel image has an empty payload");
    }
    return new Payload(offset, length);
  }

  /** Extracts vmlinux from bzImage using lz4(1); workDir holds the cut-out payload. */
  static void extract(Path bzImage, Path vmlinux, Path workDir, HostTools tools) throws IOException {
    byte[] header;
    try (InputStream in = Files.newInputStream(bzImage)) {
      header = in.readNBytes(HEADER_BYTES);
    }
    Payload p = payload(header);
    Path compressed = workDir.resolve("vmlinux.lz4");
    long expectedSize;
    try (FileChannel src = FileChannel.open(bzImage); FileChannel dst = FileChannel.open(compressed,
        StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      ByteBuffer magic = ByteBuffer.allocate(4);
      src.read(magic, p.fileOffset());
      if (!java.util.Arrays.equals(magic.array(), LZ4_LEGACY_MAGIC)) {
        throw new ImageBuildException("kernel payload is not LZ4 (magic " + HexFormat.of().formatHex(magic.array())
            + "); only LZ4-compressed kernels are supported");
      }
      ByteBuffer size = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
      src.read(size, p.fileOffset() + p.compressedLength());
      expectedSize = Integer.toUnsignedLong(size.getInt(0));
      // The size trailer is not LZ4 data; lz4 -d would decode everything and still fail on it.
      for (long done = 0; done < p.compressedLength(); ) {
        long n = src.transferTo(p.fileOffset() + done, p.compressedLength() - done, dst);
        if (n <= 0) {
          throw new ImageBuildException("kernel image " + bzImage + " is shorter than its payload length");
        }
        done += n;
      }
    }
    HostCommand.run(List.of(tools.path("lz4"), "-d", "-f", "-q", compressed.toString(), vmlinux.toString()));
    Files.delete(compressed);
    long actual = Files.size(vmlinux);
    if (actual != expectedSize || !Elf.isElf(vmlinux)) {
      throw new ImageBuildException("decompressed kernel " + vmlinux + " is " + actual + " bytes, expected an ELF of "
          + expectedSize + " bytes");
    }
  }
}
