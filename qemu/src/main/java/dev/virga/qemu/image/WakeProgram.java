package dev.virga.qemu.image;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;

/**
 * {@code /usr/lib/virga/wake}, a 309-byte static x86-64 program of the tiny image, the first thing a VM resumed from
 * a warm state runs: it reads the host's clock (a {@code struct timeval}) and random bytes on stdin, sets the clock
 * ({@code settimeofday}), credits the bytes to the kernel's input pool ({@code RNDADDENTROPY}) and reseeds the CRNG
 * from it at once ({@code RNDRESEEDCRNG}). Every VM resumed from one warm state starts with the same clock and the
 * same kernel random state, and the tiny kernel has no vmgenid driver to reseed on its own. No tool of the image's
 * packages issues these ioctls but perl, whose start costs hundreds of milliseconds under TCG on every launch, and
 * one program instead of qemu-ga's {@code guest-set-time} (which runs hwclock) saves a process start too.
 *
 * <p>The code is {@code qemu/src/main/asm/wake.s}, assembled with GNU as and linked with {@code ld -static -N -s}
 * into one RWX segment at 0x400078; its bytes are here so that building the image needs no assembler. Exit codes:
 * 0 done, 1 stdin too short, 5 settimeofday refused, 2 /dev/random not openable, 3 RNDADDENTROPY refused,
 * 4 RNDRESEEDCRNG refused (all three need root).
 */
final class WakeProgram {
    static final String PATH = "usr/lib/virga/wake";
    private static final long BASE = 0x400000L;
    private static final int HEADERS = 64 + 56;
    /** The assembled wake.s; its last 12 bytes are the path "/dev/random\0". */
    private static final byte[] CODE = HexFormat.of().parseHex(
            "31c031ff488d35b5000000ba100200000f05bf010000004883f8110f8c890000004989c5b8a4000000488d3d90000000"
            + "31f60f05bf0500000085c0756d488d1d840000004489e883e810894304c1e0038903b802000000488d3d53000000be02"
            + "00000031d20f05bf0200000085c0783a4189c4b8100000004489e7be035208404889da0f05bf0300000085c0751cb810"
            + "0000004489e7be0752000031d20f05bf0400000085c0750231ffb83c0000000f052f6465762f72616e646f6d00");
    /** The code, then (bss, 8-aligned) 528 bytes for the timeval and the random bytes. */
    private static final int MEMORY = 0x2d0;

    private WakeProgram() {
    }

    /** The whole ELF file: its header, one program header, the code. */
    static byte[] elf() {
        var b = ByteBuffer.allocate(HEADERS + CODE.length).order(ByteOrder.LITTLE_ENDIAN);
        long entry = BASE + HEADERS;
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        b.putShort((short) 2).putShort((short) 0x3e).putInt(1); // executable, x86-64, version 1
        b.putLong(entry).putLong(64).putLong(0); // entry, program headers at 64, no section headers
        b.putInt(0).putShort((short) 64).putShort((short) 56).putShort((short) 1); // flags, sizes, one phdr
        b.putShort((short) 64).putShort((short) 0).putShort((short) 0);
        b.putInt(1).putInt(7); // PT_LOAD, read + write + execute
        b.putLong(HEADERS).putLong(entry).putLong(entry); // offset, vaddr, paddr
        b.putLong(CODE.length).putLong(MEMORY).putLong(8);
        b.put(CODE);
        return b.array();
    }
}
