package dev.virga.server.instance;

import dev.virga.api.InstanceState;
import dev.virga.api.MoveRequest;
import dev.virga.api.agent.MigrateSpec;
import dev.virga.api.agent.MigrationProgress;
import dev.virga.api.agent.VmStatus;
import dev.virga.client.AgentClient;
import dev.virga.server.operation.Operations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * A live move, driven from the control plane (the hosts do the mechanism):
 * <ol>
 *   <li>the destination is chosen and reserved ({@code moving_to});</li>
 *   <li>the VM's frozen layers (snapshots, memory states, definition) go to the destination as for a cold move,
 *       without the layer the guest writes; the destination makes that one empty;</li>
 *   <li>the destination starts a QEMU waiting for the migration, with an NBD export of the new layer;</li>
 *   <li>the source mirrors its layer into it, copies memory, switches over (see the agent's LiveMigration), while
 *       this polls its progress into the operation and watches that the destination's agent still answers;</li>
 *   <li>the record switches to the destination, which confirms the guest runs, and the source's files go.</li>
 * </ol>
 * A failure or a cancel before the switch-over leaves the VM running on the source and nothing on the destination.
 * If the source fails during the switch-over, the destination is asked whether the complete state arrived: the VM
 * then lives there, otherwise on the source. Never both: the destination only runs a guest whose migration
 * completed, and the source only resumes one whose migration did not.
 */
final class LiveMove {
    private static final Logger LOG = LoggerFactory.getLogger(LiveMove.class);
    private static final long POLL_MILLIS = 200;
    private final InstanceService service;
    private final InstanceRow row;
    private final String target;
    private final MoveRequest request;
    private final Operations.Progress progress;

    LiveMove(InstanceService service, InstanceRow row, String target, MoveRequest request,
             Operations.Progress progress) {
        this.service = service;
        this.row = row;
        this.target = target;
        this.request = request;
        this.progress = progress;
    }

    Map<String, Object> run() {
        var name = row.name();
        var source = row.host();
        var decision = service.reserveMove(row, target, request.force());
        var dest = decision.host().orElseThrow();
        long started = System.nanoTime();
        var from = service.hosts().client(source);
        var to = service.hosts().client(dest);
        service.store().state(name, InstanceState.MOVING, "moving live from " + source + " to " + dest);
        service.events().publish("instance-moving", name, "moving live from " + source + " to " + dest + " ("
                + decision.explain() + ")", Map.of("from", source, "to", dest, "live", "true"));
        long archiveBytes;
        MigrationProgress done;
        try {
            progress.cancellable(true);
            // the image once per host (by fingerprint); a copy already there is used as it is
            service.images().ensureOn(row.fingerprint(), dest, progress::update);
            progress.update("copying the frozen layers from " + source + " to " + dest);
            try (var archive = new CountingInputStream(from.exportRunningInstance(name))) {
                to.importRunningInstance(name, archive);
                archiveBytes = archive.count();
            }
            checkCancelled();
            var endpoint = to.incoming(name);
            var spec = new MigrateSpec(endpoint, request.downtimeLimitMillis() == 0
                    ? MoveRequest.DEFAULT_DOWNTIME_MILLIS : request.downtimeLimitMillis(),
                    request.bandwidthBytesPerSecond() == 0 ? MoveRequest.DEFAULT_BANDWIDTH
                            : request.bandwidthBytesPerSecond(), request.autoConverge());
            done = migrate(from, to, dest, spec);
        } catch (RuntimeException | IOException e) {
            if (!(e instanceof Operations.Cancelled) && arrived(to)) {
                LOG.warn("live move of {}: the source failed ({}) but the destination holds the complete state",
                        name, e.getMessage());
                done = null;
                archiveBytes = 0;
            } else {
                undo(to, from, dest);
                if (e instanceof Operations.Cancelled c) {
                    throw c;
                }
                throw new IllegalStateException("live move of " + name + " to " + dest + " failed: "
                        + e.getMessage() + "; it keeps running on " + source, e);
            }
        } finally {
            progress.cancellable(false);
        }
        return switched(from, to, source, dest, done, archiveBytes, started, decision.explain());
    }

    /** Runs the source's migration; meanwhile reports its progress and watches for a cancel and the destination. */
    private MigrationProgress migrate(AgentClient from, AgentClient to, String dest, MigrateSpec spec) {
        var name = row.name();
        var call = CompletableFuture.supplyAsync(() -> from.migrate(name, spec),
                r -> Thread.ofVirtual().name("migrate-" + name).start(r));
        long lastDestCheck = System.nanoTime();
        boolean cancelAsked = false;
        String stoppedBecause = "";
        while (!call.isDone()) {
            if (progress.cancelled() && !cancelAsked) {
                cancelAsked = true;
                quietly(() -> from.cancelMigration(name));
            }
            if (System.nanoTime() - lastDestCheck > 1_000_000_000L) {
                lastDestCheck = System.nanoTime();
                try {
                    to.report();
                } catch (RuntimeException e) {
                    if (!cancelAsked) {
                        cancelAsked = true;
                        stoppedBecause = "its agent on " + dest + " stopped answering (" + e.getMessage() + ")";
                        LOG.warn("live move of {}: {}; cancelling", name, stoppedBecause);
                        quietly(() -> from.cancelMigration(name));
                    }
                }
            }
            try {
                progress.update(describe(from.migration(name)));
            } catch (RuntimeException e) {
                // between phases, or finished: the call's outcome says
            }
            try {
                call.get(POLL_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                // poll again
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            } catch (ExecutionException e) {
                break;
            }
        }
        try {
            return call.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (progress.cancelled()) {
                throw new Operations.Cancelled("live move of " + name + " cancelled; it keeps running on "
                        + row.host());
            }
            if (!stoppedBecause.isEmpty()) {
                throw new IllegalStateException(stoppedBecause + ", so the migration was cancelled", e);
            }
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    private void checkCancelled() {
        if (progress.cancelled()) {
            throw new Operations.Cancelled("live move of " + row.name() + " cancelled; it keeps running on "
                    + row.host());
        }
    }

    /** Whether the destination runs the guest anyway (the source failed after the complete state went out). */
    private boolean arrived(AgentClient to) {
        try {
            to.arrivedIncoming(row.name(), row.state() == InstanceState.RUNNING);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The VM stays on the source: nothing of it on the destination, the reservation freed, its state read again. */
    private void undo(AgentClient to, AgentClient from, String dest) {
        var name = row.name();
        try {
            to.delete(name);
        } catch (RuntimeException e) {
            LOG.warn("live move of {}: cannot remove what reached {} ({}); the reconcile loop retries", name, dest,
                    e.getMessage());
            service.resync(name, from);
            return; // moving_to stays: the reconcile loop removes the partial copy once the host answers
        }
        service.placement().notMoved(name);
        service.resync(name, from);
    }

    private Map<String, Object> switched(AgentClient from, AgentClient to, String source, String dest,
                                         MigrationProgress done, long archiveBytes, long started, String placement) {
        var name = row.name();
        service.placement().moved(name, dest);
        VmStatus status;
        try {
            status = to.finishIncoming(name, row.state() == InstanceState.RUNNING);
        } catch (RuntimeException e) {
            // the record already says dest: the reconcile loop follows what that host reports from now on
            service.store().state(name, InstanceState.UNKNOWN, "moved live to " + dest + ", which has not confirmed "
                    + "it runs: " + e.getMessage());
            throw new IllegalStateException("live move of " + name + ": the migration reached " + dest + " but it "
                    + "did not confirm the guest runs: " + e.getMessage(), e);
        }
        var leftover = "";
        try {
            from.delete(name);
        } catch (RuntimeException e) {
            leftover = "its old copy on " + source + " could not be removed: " + e.getMessage();
            LOG.warn("live move of {}: {}", name, leftover);
        }
        service.running(name, status, "moved live from " + source + " to " + dest);
        long millis = (System.nanoTime() - started) / 1_000_000;
        var result = new HashMap<String, Object>();
        result.put("from", source);
        result.put("host", dest);
        result.put("live", true);
        result.put("millis", millis);
        result.put("archiveBytes", archiveBytes);
        result.put("placement", placement);
        if (done != null) {
            result.put("downtimeMillis", done.downtimeMillis());
            result.put("migrationMillis", done.totalMillis());
            result.put("memoryBytes", done.memoryDone());
            result.put("diskBytes", done.diskDone());
            result.put("memoryPasses", done.passes());
        } else {
            result.put("warning", "the source failed during the switch-over; the VM runs on " + dest
                    + " from the complete state it received");
        }
        if (!leftover.isEmpty()) {
            result.put("warning", leftover);
        }
        service.events().publish("instance-moved", name, "moved live from " + source + " to " + dest + " in "
                + millis + " ms" + (done == null ? "" : " (downtime " + done.downtimeMillis() + " ms)"),
                Map.of("from", source, "to", dest, "live", "true"));
        return result;
    }

    static String describe(MigrationProgress p) {
        return switch (p.phase()) {
            case MigrationProgress.DISK -> String.format(Locale.ROOT, "disk: %s of %s mirrored", mib(p.diskDone()),
                    mib(p.diskTotal()));
            case MigrationProgress.MEMORY -> String.format(Locale.ROOT, "memory: %s sent, %s of %s left, dirty "
                            + "rate %s/s, pass %d (disk %s mirrored, kept in step)", mib(p.memoryDone()),
                    mib(p.memoryRemaining()), mib(p.memoryTotal()), mib(p.dirtyBytesPerSecond()), p.passes(),
                    mib(p.diskDone()));
            case MigrationProgress.CUT_OVER -> "cut-over: guest paused, last memory and disk writes going over";
            default -> p.phase() + (p.error().isEmpty() ? "" : ": " + p.error());
        };
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    private static void quietly(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.debug("{}", e.getMessage());
        }
    }
}
