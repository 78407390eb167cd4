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
        qmp.execute("migrate-set-parameters", Map.of("max-bandwidth", FILE_BANDWIDTH));
        qmp.execute("migrate", Map.of("uri", "exec:cat > " + quoted(file)));
        awaitCompleted(qmp, "saving the memory state to " + file);
    }

    /** Loads a state written by {@link #toFile} into a QEMU started with {@code -incoming defer}. */
    static void fromFile(QmpClient qmp, Path file) {
        qmp.execute("migrate-incoming", Map.of("uri", "exec:cat " + quoted(file)));
        awaitCompleted(qmp, "loading the memory state from " + file);
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
