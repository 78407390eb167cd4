package dev.virga.agent.vm;

import dev.virga.agent.AgentError;
import dev.virga.qemu.qmp.QmpClient;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** Machine state to and from a file through QEMU's migration stream. */
final class Migration {
    private static final Duration LIMIT = Duration.ofMinutes(10);
    /** A file is not a network link: don't let QEMU's 128 MiB/s default throttle the save. */
    private static final long FILE_BANDWIDTH = 8L << 30;

    private Migration() {
    }

    /** Writes the (paused) VM's memory and device state to {@code file}; returns when it is complete. */
    static void toFile(QmpClient qmp, Path file) {
        toFile(qmp, file, false);
    }

    /**
     * As {@link #toFile(QmpClient, Path)}; {@code ramInFile}: the VM's RAM is a shared file (a warm state's), which
     * holds it already, so the stream carries the devices only ({@code x-ignore-shared}).
     */
    static void toFile(QmpClient qmp, Path file, boolean ramInFile) {
        ignoreSharedRam(qmp, ramInFile);
        qmp.execute("migrate-set-parameters", Map.of("max-bandwidth", FILE_BANDWIDTH));
        qmp.execute("migrate", Map.of("uri", "exec:cat > " + quoted(file)));
        awaitCompleted(qmp, "saving the memory state to " + file);
    }

    /**
     * Loads a state written by {@link #toFile} into a QEMU started with {@code -incoming defer} and the file open as
     * its descriptor {@link QemuProcess#INCOMING_FD} (see QemuProcess#spawn); QEMU closes it when done.
     * {@code ramInFile}: a warm state, whose RAM the VM maps from its file; the stream has the devices only.
     */
    static void fromFile(QmpClient qmp, Path file, boolean ramInFile) {
        ignoreSharedRam(qmp, ramInFile);
        // One self-announcement, sent at once when the load completes: on the NICs there are then. Later rounds
        // (QEMU sends 5 by default, 50-450 ms after the load) would also reach the tenant NICs a warm start plugs
        // in right after the load, and a frame sent through a stream netdev the switch has not reached yet makes
        // QEMU 7.2 crash (SIGSEGV in qio_channel_writev, seen in 1 of 64 concurrent warm launches with a tenant
        // NIC). Not 0 rounds: with 0, virtio-net's post_load frees its announce timer, and the guest's next
        // device reset (its power-off, a reboot) dereferences it: QEMU 7.2 dies with SIGSEGV in the vCPU thread,
        // before it has written the disk's persistent dirty bitmaps.
        qmp.execute("migrate-set-parameters", Map.of("announce-rounds", 1));
        qmp.execute("migrate-incoming", Map.of("uri", "fd:" + QemuProcess.INCOMING_FD));
        awaitCompleted(qmp, "loading the memory state from " + file);
    }

    /**
     * Set either way, every time: capabilities stay set in a QEMU, and a VM resumed from a warm state (set on) whose
     * later stateful snapshot still said so would write a state that no ordinary QEMU loads ("Capability
     * x-ignore-shared is off, but received capability is on").
     */
    static void ignoreSharedRam(QmpClient qmp, boolean on) {
        qmp.execute("migrate-set-capabilities", Map.of("capabilities",
                java.util.List.of(Map.of("capability", "x-ignore-shared", "state", on))));
    }

    private static void awaitCompleted(QmpClient qmp, String what) {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        while (System.nanoTime() < deadline) {
            var info = qmp.execute("query-migrate");
            var status = info.path("status").asText("");
            switch (status) {
                case "completed" -> {
                    return;
                }
                case "failed", "cancelled" -> throw AgentError.failed(what + " failed: "
                        + info.path("error-desc").asText(status), null);
                default -> QemuProcess.sleep(20);
            }
        }
        throw AgentError.failed(what + " did not finish within " + LIMIT.toMinutes() + " minutes", null);
    }

    private static String quoted(Path file) {
        return "'" + file.toString().replace("'", "'\\''") + "'";
    }
}
