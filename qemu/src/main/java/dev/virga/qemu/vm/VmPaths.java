package dev.virga.qemu.vm;

import java.nio.file.Path;
import java.util.Objects;

/** The host files of one running VM: its control sockets, its serial log and QEMU's pid file. */
public record VmPaths(Path qmpSocket, Path guestAgentSocket, Path consoleSocket, Path serialLog, Path pidFile) {
    public VmPaths {
        Objects.requireNonNull(qmpSocket, "qmpSocket");
        Objects.requireNonNull(guestAgentSocket, "guestAgentSocket");
        Objects.requireNonNull(consoleSocket, "consoleSocket");
        Objects.requireNonNull(serialLog, "serialLog");
        Objects.requireNonNull(pidFile, "pidFile");
    }

    /** The standard layout inside a VM's run directory (the instance directory on a host). */
    public static VmPaths in(Path runDir) {
        return new VmPaths(runDir.resolve("qmp.sock"), runDir.resolve("ga.sock"), runDir.resolve("console.sock"),
                runDir.resolve("serial.log"), runDir.resolve("qemu.pid"));
    }
}
