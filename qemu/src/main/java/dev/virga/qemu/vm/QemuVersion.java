package dev.virga.qemu.vm;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** What {@code qemu-system-x86_64 --version} says, e.g. {@code 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)}. */
public final class QemuVersion {
    private QemuVersion() {
    }

    /** The version of {@code qemu}, or "unknown" when it cannot be run. */
    public static String of(Path qemu) {
        try {
            var p = new ProcessBuilder(qemu.toString(), "--version").redirectErrorStream(true).start();
            var out = new String(p.getInputStream().readAllBytes()).lines().findFirst().orElse("");
            p.waitFor(10, TimeUnit.SECONDS);
            return out.replace("QEMU emulator version ", "").strip();
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }
}
