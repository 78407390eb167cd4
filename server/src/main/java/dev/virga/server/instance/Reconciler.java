package dev.virga.server.instance;

import dev.virga.api.InstanceState;
import dev.virga.api.agent.HostReport;
import dev.virga.api.agent.VmPower;
import dev.virga.api.agent.VmStatus;
import dev.virga.client.AgentClient;
import dev.virga.server.event.EventBus;
import dev.virga.server.host.Hosts;
import dev.virga.server.operation.Operations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Level-triggered: every period, asks each host what it really runs and moves each instance that no operation is
 * working on to that truth. This is what notices a QEMU that died, and what heals instances left in a transitional
 * state by a crash of the server.
 */
public final class Reconciler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);
    /** Hosts asked at once in a pass. */
    static final int PARALLEL_POLLS = 32;
    private final InstanceStore store;
    private final InstanceService instances;
    private final Hosts hosts;
    private final Operations operations;
    private final EventBus events;
    private final Duration period;
    /**
     * A host is offline after this many passes in a row without an answer (2.4-3.0 s measured at the default 1 s
     * period); one slow answer does not make it flap.
     */
    static final int MISSED_TO_OFFLINE = 3;
    private final Map<String, Integer> misses = new java.util.concurrent.ConcurrentHashMap<>();
    /** Told of every report after the host's instances are reconciled (the network overlay follows placements). */
    private volatile ReportListener listener = (host, agent, report) -> { };

    /** Something else the control plane keeps in step with what hosts report. */
    public interface ReportListener {
        void reported(String host, AgentClient agent, HostReport report);
    }

    public void onReport(ReportListener listener) {
        this.listener = listener;
    }
    private Thread thread;

    public Reconciler(InstanceService instances, Hosts hosts, Operations operations, EventBus events,
                      Duration period) {
        this.store = instances.store();
        this.instances = instances;
        this.hosts = hosts;
        this.operations = operations;
        this.events = events;
        this.period = period;
    }

    /** Starts the loop (again, after {@link #stop()}: a server that leads again after standing by). */
    public synchronized void start() {
        if (thread == null) {
            thread = Thread.ofVirtual().name("reconciler").start(this::loop);
        }
    }

    /** Whether the loop runs. */
    public synchronized boolean running() {
        return thread != null;
    }

    private synchronized boolean mine() {
        return thread == Thread.currentThread();
    }

    /** A pass every period, start to start (a pass's own time is not added), with a breath between passes. */
    private void loop() {
        while (mine()) {
            long start = System.nanoTime();
            try {
                runOnce();
            } catch (RuntimeException e) {
                // a pass that failed (the store busy, a host answering nonsense) must not end the loop
                LOG.warn("reconcile pass failed: {}", e.toString(), e);
            }
            var left = period.minusNanos(System.nanoTime() - start);
            try {
                Thread.sleep(left.compareTo(period.dividedBy(10)) > 0 ? left : period.dividedBy(10));
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /**
     * One pass over every host, {@value #PARALLEL_POLLS} at a time: asked one after the other, 1,000 hosts took
     * about 6 s a pass, so a host that died was noticed that late.
     */
    public void runOnce() {
        failHostless(System.currentTimeMillis());
        abandonMoves();
        var gate = new Semaphore(PARALLEL_POLLS);
        try (var polls = Executors.newVirtualThreadPerTaskExecutor()) {
            for (var host : hosts.clients().entrySet()) {
                gate.acquire();
                polls.submit(() -> {
                    try {
                        refresh(host.getKey(), host.getValue());
                    } finally {
                        gate.release();
                    }
                });
            }
        } catch (InterruptedException e) {
            // closing: the polls under way end on their own
            Thread.currentThread().interrupt();
        }
    }

    /** Asks one host for its report (its heartbeat) and moves its instances to what it says. */
    public void refresh(String host) {
        AgentClient agent;
        try {
            agent = hosts.client(host);
        } catch (RuntimeException e) {
            LOG.warn("cannot ask host {}: {}", host, e.getMessage());
            return;
        }
        refresh(host, agent);
    }

    private void refresh(String host, AgentClient agent) {
        HostReport report;
        long asked = System.currentTimeMillis();
        try {
            report = agent.report();
        } catch (RuntimeException e) {
            if (Thread.currentThread().isInterrupted()) {
                return; // stopped while asking: the host is not to blame
            }
            int missed = misses.merge(host, 1, Integer::sum);
            if (missed >= MISSED_TO_OFFLINE) {
                hosts.unreachable(host, missed + " heartbeats missed: " + e.getMessage());
                markUnknown(host);
            }
            return;
        }
        misses.remove(host);
        try {
            hosts.reported(host, report);
            reconcileHost(host, report, asked);
        } catch (RuntimeException e) {
            LOG.warn("reconciling host {} failed", host, e);
        }
        try {
            listener.reported(host, agent, report);
        } catch (RuntimeException e) {
            LOG.warn("host {}: after its report: {}", host, e.toString());
        }
    }

    /**
     * @param asked when the report was asked for: a row changed since (by an operation that ended meanwhile) is
     *              newer than the report and waits for the next pass
     */
    private void reconcileHost(String host, HostReport report, long asked) {
        Map<String, VmStatus> actual = report.instances().stream()
                .collect(Collectors.toMap(VmStatus::name, Function.identity(), (a, b) -> a));
        for (var row : store.onHost(host)) {
            if (inStep(row, Optional.ofNullable(actual.get(row.name()))) || operations.busy(row.name()).isPresent()) {
                continue;
            }
            // re-read: an operation may have ended between the list and now
            var fresh = store.find(row.name());
            if (fresh.isEmpty() || operations.busy(row.name()).isPresent() || fresh.get().updatedAt() >= asked) {
                continue;
            }
            apply(store, events, fresh.get(), Optional.ofNullable(actual.get(row.name())));
        }
    }

    /**
     * The VMs of a host that stopped answering may still run there: they are shown {@code unknown} (with their last
     * known state in the reason) until the host answers again and says what they are.
     */
    private void markUnknown(String host) {
        for (var row : store.onHost(host)) {
            if (operations.busy(row.name()).isPresent()) {
                continue;
            }
            switch (row.state()) {
                case RUNNING, PAUSED, STOPPED -> {
                    var why = "host " + host + " is offline; last known state: " + row.state().name().toLowerCase();
                    store.state(row.name(), InstanceState.UNKNOWN, why);
                    events.publish("instance-unknown", row.name(), why, Map.of("host", host));
                }
                default -> {
                }
            }
        }
    }

    /**
     * Moves cut short by a server stop (no operation drives them): see {@link InstanceService#settleInterruptedMove}.
     */
    private void abandonMoves() {
        store.moves().forEach((name, dest) -> {
            if (operations.busy(name).isPresent()) {
                return;
            }
            try {
                instances.settleInterruptedMove(name, dest);
            } catch (RuntimeException e) {
                LOG.warn("cannot clean the interrupted move of {} on {} yet: {}", name, dest, e.getMessage());
            }
        });
    }

    /** Launches that died before they chose a host: nothing was made anywhere. */
    private void failHostless(long asked) {
        for (var row : store.hostless()) {
            if (row.state().transitional() && operations.busy(row.name()).isEmpty() && row.updatedAt() < asked) {
                store.state(row.name(), InstanceState.ERROR, "launch interrupted before it reached a host");
                events.publish("instance-error", row.name(), "launch interrupted before it reached a host");
            }
        }
    }

    /**
     * Whether {@link #apply} would leave the row as it is: most rows, most of the time. Only the others are read
     * again and applied, which spares a query per instance per pass.
     */
    static boolean inStep(InstanceRow row, Optional<VmStatus> status) {
        if (status.isEmpty()) {
            return row.state() == InstanceState.ERROR;
        }
        var s = status.get();
        if (row.state() == InstanceState.DELETING) {
            return false;
        }
        var target = switch (s.power()) {
            case RUNNING -> InstanceState.RUNNING;
            case PAUSED -> InstanceState.PAUSED;
            case STOPPED -> stoppedState(row, s);
        };
        return target == row.state()
                && (s.power() == VmPower.STOPPED || s.guest().equals(row.guest()) || !s.guest().agentReady());
    }

    /** Moves one instance to what its host reports. */
    static void apply(InstanceStore store, EventBus events, InstanceRow row, Optional<VmStatus> status) {
        if (status.isEmpty()) {
            absent(store, events, row);
            return;
        }
        var s = status.get();
        var target = switch (s.power()) {
            case RUNNING -> InstanceState.RUNNING;
            case PAUSED -> InstanceState.PAUSED;
            case STOPPED -> stoppedState(row, s);
        };
        if (row.state() == InstanceState.DELETING) {
            // a delete was interrupted; the user can delete again, the host still has the instance
            store.state(row.name(), InstanceState.ERROR, "delete interrupted; delete it again");
            events.publish("instance-error", row.name(), "delete interrupted; delete it again");
            return;
        }
        if (target == row.state()) {
            if (s.power() != VmPower.STOPPED && !s.guest().equals(row.guest()) && s.guest().agentReady()) {
                store.guest(row.name(), s.guest());
            }
            return;
        }
        var reason = s.power() == VmPower.STOPPED ? s.reason() : "";
        if (target == InstanceState.RUNNING) {
            store.started(row.name(), s.accelerator(), s.guest());
        } else {
            store.state(row.name(), target, reason);
        }
        var type = switch (target) {
            case RUNNING -> "instance-running";
            case PAUSED -> "instance-paused";
            case ERROR -> "instance-error";
            default -> "instance-stopped";
        };
        var message = "was " + row.state().name().toLowerCase() + ", host reports " + s.power().name().toLowerCase()
                + (reason.isEmpty() ? "" : ": " + reason);
        events.publish(type, row.name(), message, Map.of("host", row.host(), "reason", reason));
    }

    private static InstanceState stoppedState(InstanceRow row, VmStatus s) {
        // a QEMU that died on a signal or with an error is an error; a guest that powered off is just stopped
        var r = s.reason();
        boolean crash = r.contains("signal") || r.contains("exit code") || r.contains("crash") || r.contains("died");
        if (row.state() == InstanceState.ERROR || (crash && row.state() != InstanceState.STOPPED)) {
            return InstanceState.ERROR;
        }
        return InstanceState.STOPPED;
    }

    private static void absent(InstanceStore store, EventBus events, InstanceRow row) {
        switch (row.state()) {
            case DELETING -> {
                store.delete(row.name());
                events.publish("instance-deleted", row.name(), "deleted (finished after an interruption)");
            }
            case ERROR -> {
                // already says something is wrong
            }
            case PENDING, CREATING -> {
                store.state(row.name(), InstanceState.ERROR, "launch interrupted; the host has nothing of it");
                events.publish("instance-error", row.name(), "launch interrupted; the host has nothing of it");
            }
            default -> {
                store.state(row.name(), InstanceState.ERROR, "the host has no disk or process of this instance");
                events.publish("instance-error", row.name(), "the host has no disk or process of this instance");
            }
        }
    }

    /** Stops the loop and waits for a pass under way: it must not write into a store that is closing. */
    public void stop() {
        Thread t;
        synchronized (this) {
            t = thread;
            thread = null;
        }
        if (t == null) {
            return;
        }
        t.interrupt();
        try {
            t.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop();
    }
}
