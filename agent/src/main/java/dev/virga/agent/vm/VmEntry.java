package dev.virga.agent.vm;

import dev.virga.agent.AgentPaths;
import dev.virga.api.GuestDetails;
import dev.virga.api.agent.VmPower;
import dev.virga.api.agent.VmStatus;
import dev.virga.qemu.qmp.QmpException;
import dev.virga.qemu.vm.VmPaths;

import java.nio.file.Path;

/** One VM of this host: its definition, its live QEMU if any, and what we remember of it. */
final class VmEntry {
    private final String name;
    private final VmDefinition definition;
    private final Path dir;
    private final Path runDir;
    private final VmPaths vmPaths;
    private volatile RunningVm running;
    private volatile VmMemo memo;
    private volatile long startMillis;
    private volatile long readyMillis;
    private volatile long unexpectedStops;
    private volatile boolean deleted;
    private volatile String boot = "";
    private volatile String bootReason = "";

    VmEntry(String name, VmDefinition definition, AgentPaths paths) {
        this(name, definition, paths.instanceDir(name), paths.runDir(name));
    }

    /** A VM whose files live elsewhere than under its name (the guest an image's warm state is made from). */
    VmEntry(String name, VmDefinition definition, Path dir, Path run) {
        this.name = name;
        this.definition = definition;
        this.dir = dir;
        this.runDir = run;
        // sockets and pid under the short run dir; the serial log with the disk, so it survives a host reboot
        this.vmPaths = new VmPaths(run.resolve("qmp.sock"), run.resolve("ga.sock"), run.resolve("console.sock"),
                dir.resolve("serial.log"), run.resolve("qemu.pid"));
        this.memo = definition == null ? VmMemo.empty() : VmMemo.read(dir);
    }

    String name() {
        return name;
    }

    VmDefinition definition() {
        return definition;
    }

    Path dir() {
        return dir;
    }

    /** Where its sockets and pid file are. */
    Path runDir() {
        return runDir;
    }

    VmPaths vmPaths() {
        return vmPaths;
    }

    Path serialLog() {
        return vmPaths.serialLog();
    }

    RunningVm running() {
        return running;
    }

    void started(RunningVm vm, long startMs, long readyMs, GuestDetails guest, String accelerator) {
        this.running = vm;
        this.startMillis = startMs;
        this.readyMillis = readyMs;
        remember(memo.withReason("").withGuest(guest, accelerator));
    }

    /** How the last start began ({@code warm}, {@code cold}, {@code resumed}) and, for a cold one, why. */
    void booted(String mode, String reason) {
        this.boot = mode;
        this.bootReason = reason;
    }

    void adopted(RunningVm vm) {
        this.running = vm;
    }

    /** QEMU ended; keeps why. */
    void ended(RunningVm vm, String reason) {
        if (running == vm) {
            running = null;
        }
        if (!vm.endedOnPurpose()) {
            unexpectedStops++;
        }
        remember(memo.withReason(reason));
    }

    void guest(GuestDetails guest) {
        remember(memo.withGuest(guest, memo.accelerator()));
    }

    private void remember(VmMemo m) {
        memo = m;
        if (definition != null && !deleted && java.nio.file.Files.isDirectory(dir)) {
            m.write(dir);
        }
    }

    /** Being deleted: from now on nothing is written into its directory. */
    void deleting() {
        deleted = true;
    }

    /** The agent is going away: drop our connections, leave QEMU running. */
    void detach() {
        var r = running;
        if (r != null) {
            r.qmp().close();
            r.guest().close();
        }
    }

    VmStatus status() {
        var r = running;
        var m = memo;
        if (r == null) {
            return new VmStatus(name, VmPower.STOPPED, 0, m.lastStopReason(), m.accelerator(), startMillis,
                    readyMillis, unexpectedStops, GuestDetails.unknown(), boot, bootReason);
        }
        VmPower power;
        try {
            power = "paused".equals(r.qmp().status()) ? VmPower.PAUSED : VmPower.RUNNING;
        } catch (QmpException e) {
            power = r.alive() ? VmPower.RUNNING : VmPower.STOPPED;
        }
        return new VmStatus(name, power, r.pid(), "", m.accelerator(), startMillis, readyMillis, unexpectedStops,
                m.guest(), boot, bootReason);
    }
}
