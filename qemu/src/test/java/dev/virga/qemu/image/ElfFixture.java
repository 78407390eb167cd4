package dev.virga.qemu.image;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Builds minimal 64-bit ELF files with an interpreter, DT_NEEDED entries and/or a .modinfo section. */
final class ElfFixture {
  private ElfFixture() {}

  private record Section(String name, int type, int offset, int size, int link) {}

  static byte[] build(String interpreter, List<String> needed, List<String> modinfo) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    int base = 64 + 56; // header + one program header
    List<Section> sections = new ArrayList<>();
    int interpOffset = base;
    byte[] interp = interpreter == null ? new byte[0] : cstr(interpreter);
    body.writeBytes(interp);

    ByteArrayOutputStream dynstr = new ByteArrayOutputStream();
    dynstr.write(0);
    List<Integer> nameOffsets = new ArrayList<>();
    for (String n : needed) {
      nameOffsets.add(dynstr.size());
      dynstr.writeBytes(cstr(n));
    }
    int dynstrOffset = base + body.size();
    body.writeBytes(dynstr.toByteArray());
    sections.add(new Section(".dynstr", 3, dynstrOffset, dynstr.size(), 0));

    ByteBuffer dyn = ByteBuffer.allocate(16 * (needed.size() + 1)).order(ByteOrder.LITTLE_ENDIAN);
    nameOffsets.forEach(off -> dyn.putLong(1).putLong(off));
    dyn.putLong(0).putLong(0);
    int dynOffset = base + body.size();
    body.writeBytes(dyn.array());
    sections.add(new Section(".dynamic", 6, dynOffset, dyn.capacity(), 1));

    if (modinfo != null) {
      ByteArrayOutputStream mi = new ByteArrayOutputStream();
      modinfo.forEach(kv -> mi.writeBytes(cstr(kv)));
      sections.add(new Section(".modinfo", 1, base + body.size(), mi.size(), 0));
      body.writeBytes(mi.toByteArray());
    }

    ByteArrayOutputStream shstr = new ByteArrayOutputStream();
    shstr.write(0);
    List<Integer> secNames = new ArrayList<>();
    for (Section s : sections) {
      secNames.add(shstr.size());
      shstr.writeBytes(cstr(s.name()));
    }
    int shstrName = shstr.size();
    shstr.writeBytes(cstr(".shstrtab"));
    int shstrOffset = base + body.size();
    body.writeBytes(shstr.toByteArray());
    int shoff = base + body.size();
    int shnum = sections.size() + 2; // null section first, .shstrtab last

    ByteBuffer f = ByteBuffer.allocate(shoff + 64 * shnum).order(ByteOrder.LITTLE_ENDIAN);
    f.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1});
    f.putShort(0x10, (short) 3).putShort(0x12, (short) 0x3e).putInt(0x14, 1);
    f.putLong(0x20, 64).putLong(0x28, shoff);
    f.putShort(0x34, (short) 64).putShort(0x36, (short) 56).putShort(0x38, (short) (interpreter == null ? 0 : 1));
    f.putShort(0x3a, (short) 64).putShort(0x3c, (short) shnum).putShort(0x3e, (short) (shnum - 1));
    f.putInt(64, 3).putLong(64 + 8, interpOffset).putLong(64 + 32, interp.length); // PT_INTERP
    f.put(base, body.toByteArray());
    // Section 1 is .dynstr, so .dynamic links to 1.
    for (int i = 0; i < sections.size(); i++) {
      Section s = sections.get(i);
      putSection(f, shoff + 64 * (i + 1), secNames.get(i), s.type(), s.offset(), s.size(), s.link());
    }
    putSection(f, shoff + 64 * (shnum - 1), shstrName, 3, shstrOffset, shstr.size(), 0);
    return f.array();
  }

  private static void putSection(ByteBuffer f, int at, int name, int type, int offset, int size, int link) {
    f.putInt(at, name).putInt(at + 4, type).putLong(at + 0x18, offset).putLong(at + 0x20, size).putInt(at + 0x28, link);
  }

  private static byte[] cstr(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[b.length + 1];
    System.arraycopy(b, 0, out, 0, b.length);
    return out;
  }
}
