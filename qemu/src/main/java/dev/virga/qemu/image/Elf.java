package dev.virga.qemu.image;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Just enough of a 64-bit little-endian ELF reader to copy programs with their libraries (DT_NEEDED,
 * PT_INTERP) and to order kernel modules (.modinfo), without binutils on the host.
 */
final class Elf {
  private static final int SHT_DYNAMIC = 6;
  private static final int PT_INTERP = 3;
  private static final long DT_NEEDED = 1;

  private final String source;
  private final ByteBuffer b;

  Elf(String source, byte[] bytes) {
    this.source = source;
    this.b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (bytes.length < 64 || b.getInt(0) != 0x464c457f) {
      throw new ImageBuildException(source + " is not an ELF file");
    }
    if (bytes[4] != 2 || bytes[5] != 1) {
      throw new ImageBuildException(source + " is not a 64-bit little-endian ELF file");
    }
  }

  static Elf read(Path file) {
    try {
      return new Elf(file.toString(), Files.readAllBytes(file));
    } catch (IOException e) {
      throw new ImageBuildException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  static boolean isElf(Path file) {
    try (var in = Files.newInputStream(file)) {
      byte[] magic = in.readNBytes(4);
      return magic.length == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
    } catch (IOException e) {
      return false;
    }
  }

  private record Section(String name, int type, long offset, long size, int link) {}

  /** Offsets come from the file: a corrupt one must fail the build with the file's name, not an IOOBE. */
  private <T> T guarded(java.util.function.Supplier<T> read) {
    try {
      return read.get();
    } catch (IndexOutOfBoundsException | ArithmeticException e) {
      throw new ImageBuildException(source + " is a malformed ELF file: " + e.getMessage(), e);
    }
  }

  private List<Section> sections() {
    long shoff = b.getLong(0x28);
    int shentsize = Short.toUnsignedInt(b.getShort(0x3a));
    int shnum = Short.toUnsignedInt(b.getShort(0x3c));
    int shstrndx = Short.toUnsignedInt(b.getShort(0x3e));
    if (shoff == 0 || shnum == 0) {
      return List.of();
    }
    long namesOffset = b.getLong(Math.toIntExact(shoff + (long) shstrndx * shentsize + 0x18));
    List<Section> out = new ArrayList<>();
    for (int i = 0; i < shnum; i++) {
      int h = Math.toIntExact(shoff + (long) i * shentsize);
      String name = cString(namesOffset + Integer.toUnsignedLong(b.getInt(h)));
      out.add(new Section(name, b.getInt(h + 4), b.getLong(h + 0x18), b.getLong(h + 0x20), b.getInt(h + 0x28)));
    }
    return out;
  }

  /** The sonames this object asks the dynamic loader for, in file order. */
  List<String> needed() {
    return guarded(this::readNeeded);
  }

  private List<String> readNeeded() {
    List<Section> all = sections();
    List<String> out = new ArrayList<>();
    for (Section s : all) {
      if (s.type() != SHT_DYNAMIC) {
        continue;
      }
      long strtab = all.get(s.link()).offset();
      for (long e = s.offset(); e + 16 <= s.offset() + s.size(); e += 16) {
        long tag = b.getLong(Math.toIntExact(e));
        if (tag == 0) {
          break;
        }
        if (tag == DT_NEEDED) {
          out.add(cString(strtab + b.getLong(Math.toIntExact(e + 8))));
        }
      }
    }
    return out;
  }

  /** The program interpreter (dynamic loader) path, absent for static binaries and libraries. */
  Optional<String> interpreter() {
    return guarded(this::readInterpreter);
  }

  private Optional<String> readInterpreter() {
    long phoff = b.getLong(0x20);
    int phentsize = Short.toUnsignedInt(b.getShort(0x36));
    int phnum = Short.toUnsignedInt(b.getShort(0x38));
    for (int i = 0; i < phnum; i++) {
      int h = Math.toIntExact(phoff + (long) i * phentsize);
      if (b.getInt(h) == PT_INTERP) {
        return Optional.of(cString(b.getLong(h + 8)));
      }
    }
    return Optional.empty();
  }

  /** The NUL-separated key=value strings of a kernel module's .modinfo section. */
  List<String> modinfo() {
    return guarded(this::readModinfo);
  }

  private List<String> readModinfo() {
    for (Section s : sections()) {
      if (s.name().equals(".modinfo")) {
        byte[] raw = new byte[Math.toIntExact(s.size())];
        b.get(Math.toIntExact(s.offset()), raw);
        List<String> out = new ArrayList<>();
        for (String part : new String(raw, StandardCharsets.UTF_8).split("\0")) {
          if (!part.isEmpty()) {
            out.add(part);
          }
        }
        return out;
      }
    }
    throw new ImageBuildException(source + " has no .modinfo section (not a kernel module?)");
  }

  private String cString(long offset) {
    int start = Math.toIntExact(offset);
    int end = start;
    while (end < b.limit() && b.get(end) != 0) {
      end++;
    }
    byte[] raw = new byte[end - start];
    b.get(start, raw);
    return new String(raw, StandardCharsets.UTF_8);
  }
}
