package dev.virga.agent.vm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virga.agent.AgentError;
import dev.virga.api.agent.MigrateSpec;
import dev.virga.api.agent.MigrationProgress;
import dev.virga.qemu.qmp.QmpClient;
import dev.virga.qemu.qmp.QmpException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The source side of a live migration without shared storage (the recipe verified in the QEMU reference): the
 * disk's top layer is mirrored into the destination's NBD export while the guest runs ({@code blockdev-mirror
 * sync=top}: the layers below are already there, copied before), then memory moves by QEMU's pre-copy with
 * {@code pause-before-switchover}; at {@code pre-switchover} (guest paused) the ready mirror is cancelled, which
 * completes it without pivoting the source onto the target, and the migration continues to its end.
 *
 * <p>Under TCG the guest is paused for the memory copy ({@code pausedCopy}): QEMU 7.2's dirty-page tracking under
 * TCG loses guest writes made while a pass runs (moved guests oopsed in their kernels, 2 of 2 runs under load; see
 * docs/design.md), so the memory goes in one pass of a guest that does not write. The disk still mirrors while it
 * runs; the destination lets the guest run once it has arrived ({@code finishIncoming} with resume). The downtime
 * reported is then the whole pause.
 *
 * <p>Any failure or a cancel before the end: the migration and the mirror are cancelled, the NBD node is removed,
 * and the guest keeps running here (QEMU resumes it if it had paused it for the switch-over).
 */
final class LiveMigration {
    private static final Logger LOG = LoggerFactory.getLogger(LiveMigration.class);
    static final String JOB = "virga-mirror";
    private static final String TARGET = "virga-mirror-target";
    private static final Duration LIMIT = Duration.ofHours(6);
    private static final long POLL_MILLIS = 25;

    private final String vm;
    private final QmpClient qmp;
    private final MigrateSpec spec;
    private volatile MigrationProgress progress = MigrationProgress.starting();
    private volatile boolean cancelled;
    private boolean wasRunning;
    private final long t0 = System.nanoTime();
    private final boolean pausedCopy;
    private long pausedAt;

    LiveMigration(String vm, QmpClient qmp, MigrateSpec spec, boolean pausedCopy) {
        this.vm = vm;
        this.qmp = qmp;
        this.spec = spec;
        this.pausedCopy = pausedCopy;
    }

    MigrationProgress progress() {
        return progress;
    }

    /** Asks the running migration to stop; {@link #run} then cleans up and throws. */
    void cancel() {
        cancelled = true;
    }

    /** Runs the whole migration; returns its final progress (phase completed) or throws with the reason. */
    MigrationProgress run() {
        var to = spec.to();
        wasRunning = "running".equals(qmp.status());
        try {
            mirror(to.host(), to.nbdPort(), to.export());
            memory(to.host(), to.migrationPort());
            var info = qmp.execute("query-migrate");
            var ram = info.path("ram");
            long downtime = pausedAt != 0 ? (System.nanoTime() - pausedAt) / 1_000_000 : info.path("downtime").asLong();
            progress = new MigrationProgress(MigrationProgress.COMPLETED, progress.diskTotal(), progress.diskTotal(),
                    ram.path("transferred").asLong(), ram.path("total").asLong(), 0, progress.dirtyBytesPerSecond(),
                    ram.path("dirty-sync-count").asLong(), downtime, millis(), "");
            LOG.info("vm {}: live migration completed in {} ms, downtime {} ms{}, {} bytes of memory, {} of disk",
                    vm, progress.totalMillis(), progress.downtimeMillis(),
                    pausedAt != 0 ? " (paused for the memory copy: TCG)" : "", progress.memoryDone(),
                    progress.diskDone());
            return progress;
        } catch (RuntimeException e) {
            var why = cancelled ? "cancelled" : e.getMessage();
            LOG.warn("vm {}: live migration {}: {}; the VM stays here", vm, cancelled ? "cancelled" : "failed", why);
            abort();
            progress = new MigrationProgress(cancelled ? MigrationProgress.CANCELLED : MigrationProgress.FAILED,
                    progress.diskDone(), progress.diskTotal(), progress.memoryDone(), progress.memoryTotal(),
                    progress.memoryRemaining(), progress.dirtyBytesPerSecond(), progress.passes(), 0, millis(), why);
            throw cancelled ? AgentError.conflict("live migration of " + vm + " cancelled")
                    : AgentError.failed("live migration of " + vm + " failed: " + why, e);
        } finally {
            removeTarget();
        }
    }

    /** Phase disk: mirror the top layer until the mirror is ready (in step with the guest's writes). */
    private void mirror(String host, int port, String export) {
        qmp.execute("blockdev-add", Map.of("driver", "nbd", "node-name", TARGET, "export", export,
                "server", Map.of("type", "inet", "host", host, "port", String.valueOf(port))));
        var args = new java.util.HashMap<String, Object>(Map.of("job-id", JOB, "device", BlockNodes.top(qmp),
                "target", TARGET, "sync", "top", "auto-dismiss", false));
        if (spec.bandwidthBytesPerSecond() > 0) {
            args.put("speed", spec.bandwidthBytesPerSecond());
        }
        qmp.execute("blockdev-mirror", args);
        long deadline = System.nanoTime() + LIMIT.toNanos();
        while (true) {
            checkCancelled();
            var job = job();
            var status = job.path("status").asText("");
            progress = new MigrationProgress(MigrationProgress.DISK, job.path("current-progress").asLong(),
                    job.path("total-progress").asLong(), 0, 0, 0, 0, 0, 0, millis(), "");
            if (status.equals("ready")) {
                return;
            }
            if (status.equals("concluded") || status.equals("null") || status.isEmpty()) {
                throw new IllegalStateException("the disk mirror ended before it was ready: "
                        + job.path("error").asText("no error given"));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the disk mirror was not ready within " + LIMIT.toHours() + " h");
            }
            QemuProcess.sleep(POLL_MILLIS);
        }
    }

    /** Phases memory and cut-over. */
    private void memory(String host, int port) {
        var caps = new java.util.ArrayList<Map<String, Object>>(List.of(
                Map.of("capability", "events", "state", true),
                Map.of("capability", "pause-before-switchover", "state", true),
                Map.of("capability", "auto-converge", "state", spec.autoConverge()),
                // left on by the resume of a warm state: the whole RAM goes, the destination's is its own
                Map.of("capability", "x-ignore-shared", "state", false)));
        qmp.execute("migrate-set-capabilities", Map.of("capabilities", caps));
        var params = new java.util.HashMap<String, Object>();
        params.put("downtime-limit", spec.downtimeLimitMillis());
        if (spec.bandwidthBytesPerSecond() > 0) {
            params.put("max-bandwidth", spec.bandwidthBytesPerSecond());
        }
        qmp.execute("migrate-set-parameters", params);
        if (pausedCopy && wasRunning) {
            qmp.stop();
            pausedAt = System.nanoTime();
        }
        qmp.execute("migrate", Map.of("uri", "tcp:" + host + ":" + port));
        long deadline = System.nanoTime() + LIMIT.toNanos();
        boolean switched = false;
        while (true) {
            if (!switched) {
                checkCancelled(); // past the switch-over, a cancel could only leave the guest nowhere
            }
            var info = qmp.execute("query-migrate");
            var status = info.path("status").asText("");
            var ram = info.path("ram");
            var job = job();
            long pageSize = Math.max(1, ram.path("page-size").asLong(4096));
            String phase = status.equals("pre-switchover") || status.equals("device") ? MigrationProgress.CUT_OVER
                    : MigrationProgress.MEMORY;
            progress = new MigrationProgress(phase, job.path("current-progress").asLong(progress.diskDone()),
                    job.path("total-progress").asLong(progress.diskTotal()), ram.path("transferred").asLong(),
                    ram.path("total").asLong(), ram.path("remaining").asLong(),
                    ram.path("dirty-pages-rate").asLong() * pageSize, ram.path("dirty-sync-count").asLong(), 0,
                    millis(), "");
            switch (status) {
                case "completed" -> {
                    return;
                }
                case "failed", "cancelled" -> throw new IllegalStateException("the memory copy " + status + ": "
                        + info.path("error-desc").asText("no reason given"));
                case "pre-switchover" -> {
                    // once: right after migrate-continue, query-migrate may still say pre-switchover
                    if (!switched) {
                        switchOver();
                        switched = true;
                    } else {
                        QemuProcess.sleep(2);
                    }
                }
                default -> {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the memory copy did not end within " + LIMIT.toHours()
                                + " h");
                    }
                    QemuProcess.sleep(POLL_MILLIS);
                }
            }
        }
    }

    /**
     * The guest is paused: complete the mirror without pivoting (cancel of a ready mirror copies what is left and
     * keeps the source on its own disk), then let the migration finish.
     */
    private void switchOver() {
        qmp.execute("block-job-cancel", Map.of("device", JOB));
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (true) {
            var job = job();
            var status = job.path("status").asText("");
            if (status.equals("concluded")) {
                if (job.hasNonNull("error")) {
                    throw new IllegalStateException("the disk mirror failed at the switch-over: "
                            + job.path("error").asText());
                }
                qmp.execute("job-dismiss", Map.of("id", JOB));
                break;
            }
            if (status.isEmpty() || status.equals("null")) {
                throw new IllegalStateException("the disk mirror vanished at the switch-over");
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the disk mirror did not complete at the switch-over");
            }
            QemuProcess.sleep(2);
        }
        qmp.execute("migrate-continue", Map.of("state", "pre-switchover"));
    }

    /** The mirror job as {@code query-jobs} shows it (a missing node if it is gone). */
    private JsonNode job() {
        for (var j : qmp.execute("query-jobs")) {
            if (JOB.equals(j.path("id").asText())) {
                return j;
            }
        }
        return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }

    private void checkCancelled() {
        if (cancelled) {
            throw new IllegalStateException("cancelled");
        }
    }

    /** Stops whatever still runs: the migration (QEMU resumes the guest), then the mirror. */
    private void abort() {
        quietly(() -> {
            var status = qmp.execute("query-migrate").path("status").asText("");
            if (status.equals("active") || status.equals("pre-switchover") || status.equals("setup")
                    || status.equals("device")) {
                qmp.execute("migrate_cancel");
            }
        });
        quietly(() -> {
            var job = job();
            var status = job.path("status").asText("");
            if (!status.isEmpty() && !status.equals("concluded") && !status.equals("null")) {
                qmp.execute("block-job-cancel", Map.of("device", JOB, "force", true));
            }
            for (int i = 0; i < 400; i++) {
                status = job().path("status").asText("");
                if (status.equals("concluded")) {
                    qmp.execute("job-dismiss", Map.of("id", JOB));
                    break;
                }
                if (status.isEmpty() || status.equals("null")) {
                    break;
                }
                QemuProcess.sleep(25);
            }
        });
        // a failure after the guest was paused for the switch-over: it must run here again (if it ran before)
        quietly(() -> {
            if (!wasRunning) {
                return;
            }
            for (int i = 0; i < 200; i++) {
                var st = qmp.status();
                if (st.equals("running")) {
                    return;
                }
                if (st.equals("paused") || st.equals("postmigrate") || st.equals("finish-migrate")) {
                    var migrate = qmp.execute("query-migrate").path("status").asText("");
                    if (migrate.equals("completed")) {
                        return; // the guest runs on the destination now: never a second running copy
                    }
                    if (!migrate.equals("cancelling")) {
                        qmp.cont();
                        return;
                    }
                }
                QemuProcess.sleep(25);
            }
        });
    }

    /**
     * A QEMU adopted with a live migration of ours still in it (its agent died mid-way): nobody drives it any more,
     * so it is cancelled the way a failed one is, and the guest runs on here. A migration that completed is left
     * alone (the guest runs on the destination; the control plane sorts it out).
     */
    static void cleanUpAfterAgent(String vm, QmpClient qmp) {
        String status;
        try {
            status = qmp.execute("query-migrate").path("status").asText("");
        } catch (QmpException e) {
            return;
        }
        if (status.isEmpty() || status.equals("completed") || status.equals("none")) {
            return;
        }
        LOG.warn("vm {}: a live migration was left {} by an agent that went away; cancelling it", vm, status);
        var m = new LiveMigration(vm, qmp, null, false);
        m.wasRunning = true;
        m.abort();
        m.removeTarget();
    }

    /**
     * Whether this QEMU sent its guest away by a live migration that completed (ours set
     * {@code pause-before-switchover}; a stateful snapshot's save to a file does not): it must never run again here.
     */
    static boolean migratedAway(QmpClient qmp) {
        try {
            if (!"completed".equals(qmp.execute("query-migrate").path("status").asText(""))) {
                return false;
            }
            for (var cap : qmp.execute("query-migrate-capabilities")) {
                if ("pause-before-switchover".equals(cap.path("capability").asText())) {
                    return cap.path("state").asBoolean(false);
                }
            }
            return false;
        } catch (QmpException e) {
            return false;
        }
    }

    private void removeTarget() {
        quietly(() -> {
            for (var n : qmp.execute("query-named-block-nodes", Map.of("flat", true))) {
                if (TARGET.equals(n.path("node-name").asText())) {
                    qmp.execute("blockdev-del", Map.of("node-name", TARGET));
                    return;
                }
            }
        });
    }

    private void quietly(Runnable step) {
        try {
            step.run();
        } catch (QmpException | IllegalStateException e) {
            LOG.debug("vm {}: migration cleanup: {}", vm, e.getMessage());
        }
    }

    private long millis() {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
