package dev.virga.agent.vm;

import dev.virga.qemu.qmp.QmpClient;
import dev.virga.qemu.qmp.QmpEvent;
import dev.virga.qemu.qmp.QmpException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One live QEMU process. Knows why it ended: a stop we asked for, a guest that powered off (QEMU runs with
 * {@code -no-shutdown}, so we quit it ourselves on the guest's SHUTDOWN), or a death nobody asked for.
 */
final class RunningVm {
    private static final Logger LOG = LoggerFactory.getLogger(RunningVm.class);
    private final String name;
    private final ProcessHandle handle;
    private final Optional<Process> child;
    private final QmpClient qmp;
    private final GuestLink guest;
    private volatile boolean stopRequested;
    private volatile boolean guestPoweredOff;
    private volatile boolean killedOnPurpose;
    private final CompletableFuture<String> ended = new CompletableFuture<>();

    RunningVm(String name, QemuProcess.Spawned spawned, GuestLink guest, java.util.function.BiConsumer<RunningVm, String> onEnd) {
        this.name = name;
        this.handle = spawned.handle();
        this.child = spawned.child();
        this.qmp = spawned.qmp();
        this.guest = guest;
        qmp.onEvent(this::event);
        exitOf(child, handle, qmp).whenComplete((p, e) -> {
            var why = reason();
            qmp.close();
            guest.close();
            try {
                onEnd.accept(this, why);
            } finally {
                // only now: whoever waits for the end (stop, delete) sees the bookkeeping done
                ended.complete(why);
            }
        });
    }

    /**
     * A child's exit is seen at once; an adopted QEMU is not our child, so its QMP socket closing is the first sign,
     * confirmed by the pid going away.
     */
    private static CompletableFuture<?> exitOf(Optional<Process> child, ProcessHandle handle, QmpClient qmp) {
        if (child.isPresent()) {
            return child.get().onExit();
        }
        return CompletableFuture.anyOf(handle.onExit(), qmp.closed().thenRun(() -> {
            for (int i = 0; i < 100 && handle.isAlive(); i++) {
                QemuProcess.sleep(50);
            }
        }));
    }

    private void event(QmpEvent e) {
        // our own quit also ends in a SHUTDOWN (host-qmp-quit): only the guest's own one needs acting on
        if (e.is("SHUTDOWN") && e.data().path("guest").asBoolean(false)) {
            guestPoweredOff = true;
            LOG.info("vm {}: the guest shut down ({}); quitting QEMU", name, e.data().path("reason").asText());
            Thread.ofVirtual().start(this::quitQuietly);
        }
    }

    String name() {
        return name;
    }

    long pid() {
        return handle.pid();
    }

    QmpClient qmp() {
        return qmp;
    }

    GuestLink guest() {
        return guest;
    }

    boolean alive() {
        return handle.isAlive() && !ended.isDone();
    }

    CompletableFuture<String> ended() {
        return ended;
    }

    /** Whether the end was asked for (stop, delete) or the guest's own poweroff: not a failure. */
    boolean endedOnPurpose() {
        return stopRequested || guestPoweredOff;
    }

    private String reason() {
        // a crash while stopping is still a stop, but one that lost what a clean end writes (persistent bitmaps)
        var crash = killedOnPurpose ? "" : crash();
        if (stopRequested) {
            return crash.isEmpty() ? "stopped by request" : "stopped by request, but " + crash + " on the way";
        }
        if (guestPoweredOff) {
            return crash.isEmpty() ? "the guest powered off" : "the guest powered off, but " + crash + " on the way";
        }
        if (!crash.isEmpty()) {
            return crash;
        }
        if (child.isPresent()) {
            return "QEMU exited on its own with exit code " + child.get().exitValue();
        }
        return "QEMU (pid " + handle.pid() + ") died without being asked to stop";
    }

    /** "QEMU was killed by signal N" when our child died of a signal; empty otherwise (or when it is not ours). */
    private String crash() {
        if (child.isPresent() && child.get().exitValue() > 128) {
            return "QEMU was killed by signal " + (child.get().exitValue() - 128);
        }
        return "";
    }

    /** Asks the guest to power off (ACPI), waits up to {@code timeout}, then powers it off. */
    void stop(boolean force, Duration timeout) {
        if (!force) {
            try {
                if ("paused".equals(qmp.status())) {
                    qmp.cont();
                }
                stopRequested = true;
                if (viaGuestAgent() && awaitEnd(timeout.dividedBy(2))) {
                    return;
                }
                // no agent, or it did not get the guest down in time: the ACPI power button
                qmp.systemPowerdown();
                if (awaitEnd(timeout.dividedBy(2))) {
                    return;
                }
                LOG.info("vm {}: guest did not power off within {} s; powering off", name, timeout.toSeconds());
            } catch (QmpException e) {
                LOG.info("vm {}: QMP failed during a graceful stop ({}); powering off", name, e.getMessage());
            }
        }
        kill();
    }

    /** Like Proxmox with its agent enabled: {@code guest-shutdown} when the guest agent answers. */
    private boolean viaGuestAgent() {
        try {
            guest.call(ga -> {
                ga.shutdown("powerdown");
                return null;
            });
            return true;
        } catch (RuntimeException e) {
            LOG.info("vm {}: guest agent did not take the shutdown ({}); using ACPI", name, e.getMessage());
            return false;
        }
    }

    /** Ends QEMU now: QMP quit, then SIGKILL if it does not go. */
    void kill() {
        stopRequested = true;
        quitQuietly();
        if (!awaitEnd(Duration.ofSeconds(10))) {
            killedOnPurpose = true;
            handle.destroyForcibly();
            awaitEnd(Duration.ofSeconds(10));
        }
    }

    private void quitQuietly() {
        try {
            qmp.quit();
        } catch (QmpException e) {
            // gone already, or hung: kill() follows up with a signal
        }
    }

    private boolean awaitEnd(Duration timeout) {
        try {
            ended.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
