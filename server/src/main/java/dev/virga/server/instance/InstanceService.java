package dev.virga.server.instance;

import dev.virga.api.ExecRequest;
import dev.virga.api.ExecResult;
import dev.virga.api.Instance;
import dev.virga.api.InstanceState;
import dev.virga.api.LaunchRequest;
import dev.virga.api.Operation;
import dev.virga.api.StateChange;
import dev.virga.api.agent.StopSpec;
import dev.virga.api.agent.VmSpec;
import dev.virga.api.agent.VmStatus;
import dev.virga.client.AgentClient;
import dev.virga.server.event.EventBus;
import dev.virga.server.host.Hosts;
import dev.virga.server.http.ApiError;
import dev.virga.server.image.ImageCatalog;
import dev.virga.server.operation.Operations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** What users ask of instances: validated here, carried out on the instance's host as operations. */
public final class InstanceService {
    private static final Logger LOG = LoggerFactory.getLogger(InstanceService.class);
    private static final int MAX_STOP_TIMEOUT = 3600;
    /** How often a launch waiting for capacity asks the scheduler again. */
    private static final java.time.Duration QUEUE_RETRY = java.time.Duration.ofSeconds(1);
    private final InstanceStore store;
    private final ImageCatalog images;
    private final Hosts hosts;
    private final Operations operations;
    private final EventBus events;
    private final dev.virga.server.scheduler.Placement placement;
    private final dev.virga.server.scheduler.Groups groups;
    private final dev.virga.server.network.Networks networks;
    private final PublishedPorts published;

    public InstanceService(org.jdbi.v3.core.Jdbi jdbi, ImageCatalog images, Hosts hosts, Operations operations,
                           EventBus events, dev.virga.server.scheduler.Groups groups) {
        this.store = new InstanceStore(jdbi);
        this.networks = new dev.virga.server.network.Networks(jdbi);
        this.published = new PublishedPorts(jdbi);
        this.groups = groups;
        this.placement = images.placement();
        this.images = images;
        this.hosts = hosts;
        this.operations = operations;
        this.events = events;
    }

    public List<Instance> list() {
        return store.list().stream().map(r -> r.toApi().withNics(networks.nicsOf(r.name()))
                .withPublished(published.of(r.name()))).toList();
    }

    public Instance get(String name) {
        return store.get(name).toApi().withNics(networks.nicsOf(name)).withPublished(published.of(name));
    }

    /** Validates, records the instance as pending and starts the launch operation. */
    public Operation launch(LaunchRequest request, long receivedNanos) {
        var spec = LaunchSpec.of(request);
        var forwards = PublishedPorts.parse(request.publish());
        var image = images.find(spec.image()).orElseThrow(() -> new ApiError.NotFound("image", spec.image()));
        long disk = spec.diskBytes() == 0 ? image.image().virtualSize() : spec.diskBytes();
        if (disk < image.image().virtualSize()) {
            throw new ApiError.BadInput("disk", dev.virga.api.Sizes.format(disk) + " is smaller than the image '"
                    + spec.image() + "' (" + dev.virga.api.Sizes.format(image.image().virtualSize()) + ")");
        }
        if (store.find(spec.name()).isPresent()) {
            throw new ApiError.Conflict("instance '" + spec.name() + "' already exists");
        }
        var target = spec.placing().target();
        if (!target.isEmpty() && hosts.find(target).isEmpty()) {
            throw new ApiError.NotFound("host", target);
        }
        if (!spec.placing().group().isEmpty()) {
            groups.get(spec.placing().group());
        }
        store.insert(spec, image.image().fingerprint(), disk);
        try {
            networks.allocate(spec.name(), request.networks());
            published.store(spec.name(), forwards);
        } catch (RuntimeException e) {
            store.delete(spec.name());
            throw e;
        }
        return startLaunch(spec, image, disk, receivedNanos);
    }

    private Operation startLaunch(LaunchSpec spec, ImageCatalog.Located image, long disk, long receivedNanos) {
        try {
            return launchOperation(spec, image, disk, receivedNanos);
        } catch (RuntimeException e) {
            store.delete(spec.name());
            throw e;
        }
    }

    /** The launch operation of an instance recorded as pending; a launch that fails or is cancelled removes it. */
    private Operation launchOperation(LaunchSpec spec, ImageCatalog.Located image, long disk, long receivedNanos) {
        return operations.start("launch", spec.name(), progress -> {
            try {
                return runLaunch(spec, image, disk, receivedNanos, progress);
            } catch (RuntimeException e) {
                store.delete(spec.name());
                events.publish(e instanceof Operations.Cancelled ? "instance-launch-cancelled"
                        : "instance-launch-failed", spec.name(), e.getMessage());
                throw e;
            }
        });
    }

    /**
     * Launches that were waiting for capacity when the server stopped wait again (called once the server leads,
     * before the reconcile loop starts).
     */
    public void requeue() {
        for (var row : store.hostless(InstanceState.PENDING)) {
            if (operations.busy(row.name()).isPresent()) {
                continue;
            }
            var image = images.find(row.image());
            if (image.isEmpty() || !image.get().image().fingerprint().equals(row.fingerprint())) {
                store.state(row.name(), InstanceState.ERROR, "image '" + row.image() + "' is gone; it was waiting "
                        + "for capacity");
                continue;
            }
            var spec = new LaunchSpec(row.name(), row.image(), row.cpus(), row.memoryBytes(), row.diskBytes(),
                    row.placing());
            LOG.info("launch of {} waits for capacity again after a server restart", row.name());
            try {
                launchOperation(spec, image.get(), row.diskBytes(), System.nanoTime());
            } catch (RuntimeException e) {
                LOG.warn("cannot queue {} again: {}", row.name(), e.getMessage());
            }
        }
    }

    private dev.virga.server.scheduler.Scheduler.Demand demand(LaunchSpec spec, String fingerprint, long disk) {
        var group = spec.placing().group().isEmpty() ? java.util.Optional.<dev.virga.server.scheduler.Scheduler.GroupRule>empty()
                : groups.find(spec.placing().group()).map(g -> new dev.virga.server.scheduler.Scheduler.GroupRule(
                        g.name(), dev.virga.api.Group.ANTI_AFFINITY.equals(g.policy())));
        return new dev.virga.server.scheduler.Scheduler.Demand(spec.cpus(), spec.memoryBytes(), disk, fingerprint,
                ImageCatalog.ARCH, dev.virga.server.scheduler.Constraint.parseAll(spec.placing().constraints()), group,
                published.of(spec.name()));
    }

    /**
     * Places the instance (waking a standby host, or waiting as {@code pending} until capacity appears, unless the
     * launch asked not to queue), then makes it on its host.
     */
    private Map<String, Object> runLaunch(LaunchSpec spec, ImageCatalog.Located image, long disk, long receivedNanos,
                                          Operations.Progress progress) throws InterruptedException {
        var placing = spec.placing();
        var fingerprint = image.image().fingerprint();
        String queuedReason = "";
        long queuedAt = 0;
        dev.virga.server.scheduler.Scheduler.Decision decision;
        long placementMicros;
        while (true) {
            long asked = System.nanoTime();
            decision = placement.assign(spec.name(), demand(spec, fingerprint, disk), placing.target(), placing.force());
            placementMicros = (System.nanoTime() - asked) / 1_000;
            if (decision.host().isPresent()) {
                break;
            }
            if (decision.wake().isPresent() && wake(decision.wake().get(), spec.name())) {
                continue;
            }
            if (placing.noQueue()) {
                throw new ApiError.Conflict("no host can take '" + spec.name() + "' now (--no-queue): "
                        + decision.explain(), Map.of("hosts", decision.explain()));
            }
            // cancellable before anyone can see it pending
            progress.cancellable(true);
            var reason = "waiting for capacity: " + decision.explain();
            if (!reason.equals(queuedReason)) {
                store.state(spec.name(), InstanceState.PENDING, reason);
                progress.update(reason);
                if (queuedReason.isEmpty()) {
                    queuedAt = System.currentTimeMillis();
                    events.publish("instance-queued", spec.name(), reason, Map.of("hosts", decision.explain()));
                }
                queuedReason = reason;
            }
            progress.await(QUEUE_RETRY);
            if (progress.cancelled()) {
                throw new Operations.Cancelled("cancelled while waiting for capacity");
            }
        }
        progress.cancellable(false);
        if (progress.cancelled()) {
            throw new Operations.Cancelled("cancelled while waiting for capacity");
        }
        var host = decision.host().orElseThrow();
        store.state(spec.name(), InstanceState.CREATING, "");
        events.publish("instance-placed", spec.name(), "placed on " + host + " (" + decision.explain() + ")",
                Map.of("host", host));
        images.ensureOn(fingerprint, host, progress::update);
        progress.update("making the disk and starting QEMU on " + host);
        var status = hosts.client(host).create(VmSpec.fromImage(spec.name(), fingerprint, spec.cpus(),
                spec.memoryBytes(), disk).withNics(networks.specsOf(spec.name()))
                .withPublish(published.of(spec.name())).withCold(placing.cold()));
        long launchMillis = (System.nanoTime() - receivedNanos) / 1_000_000;
        store.started(spec.name(), status.accelerator(), status.guest());
        store.launchMillis(spec.name(), launchMillis);
        events.publish("instance-started", spec.name(), "launched on " + host + " in " + launchMillis + " ms",
                Map.of("host", host, "launchMillis", String.valueOf(launchMillis)));
        var result = new HashMap<String, Object>();
        result.put("host", host);
        result.put("launchMillis", launchMillis);
        result.put("qemuStartedMillis", status.startMillis());
        result.put("guestReadyMillis", status.readyMillis());
        result.put("accelerator", status.accelerator());
        // warm: resumed the image's warm state; cold: booted, and why it did not resume
        result.put("boot", status.boot());
        if (!status.bootReason().isEmpty()) {
            result.put("bootReason", status.bootReason());
        }
        result.put("placement", decision.explain());
        // the decision as this launch saw it: waiting for the placement lock, the snapshot, the scheduler, the write
        result.put("placementMicros", placementMicros);
        if (queuedAt > 0) {
            result.put("queuedMillis", System.currentTimeMillis() - queuedAt);
        }
        return result;
    }

    /** Takes a standby host out of standby for {@code instance}; false (and an event) when its agent refuses. */
    private boolean wake(String host, String instance) {
        try {
            hosts.wake(host);
            events.publish("host-woken", host, "woken from standby to take " + instance, Map.of("instance", instance));
            return true;
        } catch (RuntimeException e) {
            events.publish("host-wake-failed", host, "could not wake it for " + instance + ": " + e.getMessage());
            return false;
        }
    }

    /**
     * A new instance whose disk is a delta over a snapshot of {@code source}; without a snapshot one is taken now
     * (with memory if the source runs, unless {@code stateless}). A copy of a stateful snapshot resumes from it.
     */
    public Operation copy(String source, dev.virga.api.CopyRequest request, long receivedNanos) {
        var src = store.get(source);
        var name = Names.check("name", request.name());
        if (store.find(name).isPresent()) {
            throw new ApiError.Conflict("instance '" + name + "' already exists");
        }
        if (src.host().isEmpty() || src.state().transitional()) {
            throw new ApiError.Conflict("cannot copy '" + source + "' while it is " + src.state().name().toLowerCase());
        }
        operations.busy(source).ifPresent(op -> {
            throw new ApiError.Conflict("'" + source + "' is busy with operation " + op, Map.of("operation", op));
        });
        var agent = hosts.client(src.host());
        boolean implicit = request.snapshot() == null || request.snapshot().isBlank();
        var snapshot = implicit ? ("copy-" + name).substring(0, Math.min(63, 5 + name.length())) : request.snapshot();
        var existing = agent.snapshots(source).stream().filter(x -> x.name().equals(snapshot)).findFirst();
        if (!implicit && existing.isEmpty()) {
            throw new ApiError.NotFound("snapshot", source + "/" + snapshot);
        }
        if (implicit && existing.isPresent()) {
            throw new ApiError.Conflict("snapshot '" + snapshot + "' of '" + source + "' already exists");
        }
        boolean running = src.state() == InstanceState.RUNNING || src.state() == InstanceState.PAUSED;
        store.insertCopy(name, src, snapshot);
        try {
            // the copy is on the source's tenant networks with NICs of its own (new MACs, new addresses); its
            // published ports are not copied (they would clash on the one host both run on)
            networks.allocate(name, networks.nicsOf(source).stream().map(dev.virga.api.Nic::network).toList());
            return operations.start("copy", name, progress -> {
                try {
                    return runCopy(src, name, snapshot, implicit, running, request.stateless(), receivedNanos,
                            progress);
                } catch (RuntimeException e) {
                    store.delete(name);
                    events.publish("instance-launch-failed", name, e.getMessage());
                    throw e;
                }
            });
        } catch (RuntimeException e) {
            store.delete(name);
            throw e;
        }
    }

    private Map<String, Object> runCopy(InstanceRow src, String name, String snapshot, boolean implicit,
                                        boolean running, boolean stateless, long receivedNanos,
                                        Operations.Progress progress) {
        var agent = hosts.client(src.host());
        dev.virga.api.Snapshot snap;
        if (implicit) {
            progress.update("taking snapshot " + snapshot + " of " + src.name());
            snap = agent.createSnapshot(src.name(), new dev.virga.api.SnapshotRequest(snapshot, running && !stateless));
            events.publish("snapshot-created", src.name(), "snapshot " + snapshot + " for the copy " + name,
                    Map.of("snapshot", snapshot));
        } else {
            snap = agent.snapshots(src.name()).stream().filter(x -> x.name().equals(snapshot)).findFirst()
                    .orElseThrow(() -> new ApiError.NotFound("snapshot", src.name() + "/" + snapshot));
        }
        var nics = networks.specsOf(name);
        // a guest resumed from the source's memory would wake up with the source's MACs and addresses: with tenant
        // NICs the copy boots from the snapshot's disk instead and gets its own by DHCP
        boolean resume = snap.stateful() && !stateless && nics.isEmpty();
        store.state(name, InstanceState.CREATING, "");
        progress.update("making " + name + " over " + src.name() + "/" + snapshot + (resume ? ", resuming its memory"
                : snap.stateful() && !stateless ? ", booting (it has tenant NICs of its own, so not from the "
                + "source's memory)" : ""));
        var status = agent.create(new VmSpec(name, src.fingerprint(), src.cpus(), src.memoryBytes(), src.diskBytes(),
                src.name(), snapshot, resume).withNics(nics));
        long millis = (System.nanoTime() - receivedNanos) / 1_000_000;
        store.started(name, status.accelerator(), status.guest());
        store.launchMillis(name, millis);
        events.publish("instance-started", name, "copied from " + src.name() + "/" + snapshot + " in " + millis + " ms",
                Map.of("host", src.host(), "base", src.name() + "/" + snapshot));
        var result = new HashMap<String, Object>();
        result.put("host", src.host());
        result.put("snapshot", snapshot);
        result.put("resumed", resume);
        result.put("launchMillis", millis);
        result.put("guestReadyMillis", status.readyMillis());
        return result;
    }

    /** Where the launch would go and why, validating it fully but making nothing. */
    public dev.virga.api.PlacementPreview dryRun(LaunchRequest request) {
        var spec = LaunchSpec.of(request);
        var image = images.find(spec.image()).orElseThrow(() -> new ApiError.NotFound("image", spec.image()));
        if (!spec.placing().group().isEmpty()) {
            groups.get(spec.placing().group());
        }
        long disk = spec.diskBytes() == 0 ? image.image().virtualSize() : spec.diskBytes();
        var decision = placement.preview(demand(spec, image.image().fingerprint(), disk), spec.placing().target(),
                spec.placing().force());
        return new dev.virga.api.PlacementPreview(decision.host().orElse(""), decision.candidates().stream()
                .map(c -> new dev.virga.api.PlacementPreview.Verdict(c.host(), c.fits(), c.score(), c.reason()))
                .toList());
    }

    /** start, stop, restart, pause, resume. */
    public Operation changeState(String name, StateChange change) {
        var row = store.get(name);
        if (change.action() == null) {
            throw new ApiError.BadInput("action", "must be one of start, stop, restart, pause, resume");
        }
        if (change.timeout() < 0 || change.timeout() > MAX_STOP_TIMEOUT) {
            throw new ApiError.BadInput("timeout", change.timeout() + " is not between 0 and " + MAX_STOP_TIMEOUT);
        }
        var action = change.action();
        var allowed = switch (action) {
            case "start" -> Set.of(InstanceState.STOPPED, InstanceState.ERROR);
            case "stop" -> Set.of(InstanceState.RUNNING, InstanceState.PAUSED);
            case "restart" -> Set.of(InstanceState.RUNNING, InstanceState.PAUSED);
            case "pause" -> Set.of(InstanceState.RUNNING);
            case "resume" -> Set.of(InstanceState.PAUSED);
            default -> throw new ApiError.BadInput("action",
                    "'" + action + "' is not one of start, stop, restart, pause, resume");
        };
        if (!allowed.contains(row.state())) {
            throw new ApiError.Conflict("cannot " + action + " instance '" + name + "': it is "
                    + row.state().name().toLowerCase(), Map.of("state", row.state().name().toLowerCase()));
        }
        if (row.host().isEmpty()) {
            throw new ApiError.Conflict("instance '" + name + "' never reached a host (" + row.reason()
                    + "); delete it and launch it again");
        }
        var agent = hosts.client(row.host());
        return operations.start(action, name, progress -> {
            try {
                return runStateChange(row, change, agent, progress);
            } catch (RuntimeException e) {
                resync(row.name(), agent);
                throw e;
            }
        });
    }

    private Map<String, Object> runStateChange(InstanceRow row, StateChange change, AgentClient agent,
                                               Operations.Progress progress) {
        var name = row.name();
        var stop = new StopSpec(change.force(), change.timeout() == 0 ? 30 : change.timeout());
        switch (change.action()) {
            case "start" -> {
                store.state(name, InstanceState.STARTING, "");
                progress.update("starting QEMU and waiting for the guest agent");
                running(name, agent.start(name), "started");
            }
            case "stop" -> {
                store.state(name, InstanceState.STOPPING, "");
                progress.update(change.force() ? "powering off" : "asking the guest to power off");
                agent.stop(name, stop);
                store.state(name, InstanceState.STOPPED, "stopped by request");
                events.publish("instance-stopped", name, "stopped by request");
            }
            case "restart" -> {
                store.state(name, InstanceState.STOPPING, "");
                progress.update("stopping");
                agent.stop(name, stop);
                store.state(name, InstanceState.STARTING, "");
                progress.update("starting");
                running(name, agent.start(name), "restarted");
            }
            case "pause" -> {
                agent.pause(name);
                store.state(name, InstanceState.PAUSED, "paused by request");
                events.publish("instance-paused", name, "paused by request");
            }
            case "resume" -> {
                agent.resume(name);
                store.state(name, InstanceState.RUNNING, "");
                events.publish("instance-resumed", name, "resumed by request");
            }
            default -> throw new IllegalStateException(change.action());
        }
        return Map.of("state", store.get(name).state().name().toLowerCase());
    }

    void running(String name, VmStatus status, String what) {
        store.started(name, status.accelerator(), status.guest());
        events.publish("instance-started", name, what + (status.readyMillis() > 0 ? " (guest agent ready after "
                + status.readyMillis() + " ms)" : ""));
    }

    /**
     * Cold move: chooses the new host first (the scheduler, never the current host; or {@code target}), stops the
     * VM if it runs, copies its instance directory (disk chain, snapshots, memory states) host to host through
     * this server, switches the record to the new host, removes it from the old one and starts it again if it ran.
     * The image must already be on the new host (placement only picks such hosts). Any failure before the switch
     * removes what reached the new host and starts the VM again where it was.
     */
    public Operation move(String name, dev.virga.api.MoveRequest request) {
        var row = store.get(name);
        if (request.downtimeLimitMillis() < 0 || request.downtimeLimitMillis() > 600_000) {
            throw new ApiError.BadInput("downtimeLimitMillis", "must be between 1 and 600000 ms (0: "
                    + dev.virga.api.MoveRequest.DEFAULT_DOWNTIME_MILLIS + ")");
        }
        if (request.bandwidthBytesPerSecond() != 0 && request.bandwidthBytesPerSecond() < (1L << 20)) {
            throw new ApiError.BadInput("bandwidthBytesPerSecond", "must be at least 1 MiB/s (0: "
                    + (dev.virga.api.MoveRequest.DEFAULT_BANDWIDTH >> 20) + " MiB/s)");
        }
        boolean live = request.live() && (row.state() == InstanceState.RUNNING || row.state() == InstanceState.PAUSED);
        if (row.host().isEmpty() || row.state().transitional() || row.state() == InstanceState.UNKNOWN
                || row.state() == InstanceState.ERROR) {
            throw new ApiError.Conflict("cannot move '" + name + "' while it is " + row.state().name().toLowerCase()
                    + (row.reason().isEmpty() ? "" : " (" + row.reason() + ")"));
        }
        var target = request.target().strip();
        if (!target.isEmpty() && hosts.find(target).isEmpty()) {
            throw new ApiError.NotFound("host", target);
        }
        if (target.equals(row.host())) {
            throw new ApiError.BadInput("target", "'" + name + "' is already on " + target);
        }
        if (store.isCopy(name) || !store.copiesOf(name, "").isEmpty()) {
            throw new ApiError.Conflict("'" + name + "' shares disk layers with "
                    + (store.isCopy(name) ? "the instance it is a copy of" : String.join(", ", store.copiesOf(name, "")))
                    + " on " + row.host() + "; linked copies cannot move");
        }
        if (live) {
            return operations.start("move", name, progress -> new LiveMove(this, row, target, request, progress).run());
        }
        return operations.start("move", name, progress -> runMove(row, target, request.force(), progress));
    }

    private Map<String, Object> runMove(InstanceRow row, String target, boolean force, Operations.Progress progress) {
        var name = row.name();
        var source = row.host();
        boolean wasRunning = row.state() == InstanceState.RUNNING || row.state() == InstanceState.PAUSED;
        var decision = reserveMove(row, target, force);
        var dest = decision.host().orElseThrow();
        long started = System.nanoTime();
        var from = hosts.client(source);
        var to = hosts.client(dest);
        store.state(name, InstanceState.MOVING, "moving from " + source + " to " + dest);
        events.publish("instance-moving", name, "moving from " + source + " to " + dest + " (" + decision.explain()
                + ")", Map.of("from", source, "to", dest));
        long bytes;
        try {
            if (wasRunning) {
                progress.update("stopping on " + source);
                from.stop(name, new StopSpec(false, 60));
            }
            images.ensureOn(row.fingerprint(), dest, progress::update);
            progress.update("copying the disk chain from " + source + " to " + dest);
            try (var archive = new CountingInputStream(from.exportInstance(name))) {
                to.importInstance(name, archive);
                bytes = archive.count();
            }
        } catch (RuntimeException | java.io.IOException e) {
            undoMove(name, dest, to, from, wasRunning);
            throw new IllegalStateException("move of " + name + " to " + dest + " failed: " + e.getMessage()
                    + "; it stays on " + source, e);
        }
        placement.moved(name, dest);
        store.state(name, InstanceState.STOPPED, "moved from " + source);
        var leftover = "";
        try {
            from.delete(name);
        } catch (RuntimeException e) {
            leftover = "its old copy on " + source + " could not be removed: " + e.getMessage();
            LOG.warn("move of {}: {}", name, leftover);
        }
        if (wasRunning) {
            progress.update("starting on " + dest);
            store.state(name, InstanceState.STARTING, "");
            running(name, to.start(name), "started on " + dest + " after a move");
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        events.publish("instance-moved", name, "moved from " + source + " to " + dest + " in " + millis + " ms ("
                + bytes + " bytes copied)", Map.of("from", source, "to", dest));
        var result = new HashMap<String, Object>();
        result.put("from", source);
        result.put("host", dest);
        result.put("bytes", bytes);
        result.put("millis", millis);
        result.put("placement", decision.explain());
        if (!leftover.isEmpty()) {
            result.put("warning", leftover);
        }
        return result;
    }

    /**
     * Chooses and reserves the host a move goes to (never the current one); a 409 explaining every host when none
     * can take it.
     */
    dev.virga.server.scheduler.Scheduler.Decision reserveMove(InstanceRow row, String target, boolean force) {
        var name = row.name();
        var placing = row.placing();
        var constraints = new java.util.ArrayList<>(placing.constraints());
        constraints.add("name!=" + row.host());
        var moving = new LaunchSpec(name, row.image(), row.cpus(), row.memoryBytes(), row.diskBytes(),
                new LaunchSpec.Placing(constraints, row.group(), target, force, true));
        var decision = placement.reserveMove(name, demand(moving, row.fingerprint(), row.diskBytes()), target, force);
        if (decision.host().isEmpty()) {
            throw new ApiError.Conflict("no host can take '" + name + "': " + decision.explain(),
                    Map.of("hosts", decision.explain()));
        }
        return decision;
    }

    /** A move that failed before the switch: nothing stays on the new host, the VM runs again where it was. */
    private void undoMove(String name, String dest, AgentClient to, AgentClient from, boolean wasRunning) {
        try {
            to.delete(name);
        } catch (RuntimeException e) {
            LOG.warn("move of {}: cannot remove the partial copy on {}: {}", name, dest, e.getMessage());
        }
        placement.notMoved(name);
        try {
            if (wasRunning) {
                running(name, from.start(name), "started again after a failed move");
            }
        } catch (RuntimeException e) {
            LOG.warn("move of {}: cannot start it again: {}", name, e.getMessage());
        }
        resync(name, from);
    }

    /**
     * Puts the host in maintenance and moves every instance off it, one after another (cold moves). The operation
     * succeeds when the host is empty, and otherwise names each instance that stayed and why.
     */
    public Operation evacuate(String host) {
        var h = hosts.find(host).orElseThrow(() -> new ApiError.NotFound("host", host));
        if (!Hosts.ONLINE.equals(h.state())) {
            throw new ApiError.Conflict("host " + host + " is offline; its instances cannot be copied off it");
        }
        return operations.start("evacuate", "host:" + host, progress -> {
            hosts.mode(host, dev.virga.server.scheduler.Scheduler.HostState.MAINTENANCE);
            events.publish("host-maintenance", host, "in maintenance: being evacuated");
            var moved = new java.util.TreeMap<String, String>();
            var stayed = new java.util.TreeMap<String, String>();
            for (var row : store.onHost(host)) {
                progress.update("moving " + row.name() + " (" + (moved.size() + stayed.size() + 1) + " of "
                        + store.onHost(host).size() + ")");
                try {
                    // live when it runs (move() itself moves a stopped one cold)
                    var op = move(row.name(), new dev.virga.api.MoveRequest("", false, true));
                    var done = operations.waitFor(op.id(), java.time.Duration.ofHours(6));
                    if (done.status() == dev.virga.api.OperationStatus.SUCCESS) {
                        moved.put(row.name(), String.valueOf(done.result().get("host")));
                    } else {
                        stayed.put(row.name(), done.error());
                    }
                } catch (RuntimeException e) {
                    stayed.put(row.name(), e.getMessage());
                }
            }
            if (!stayed.isEmpty()) {
                throw new IllegalStateException("host " + host + " still has " + stayed.size() + " instance(s): "
                        + stayed.entrySet().stream().map(e -> e.getKey() + " (" + e.getValue() + ")")
                        .collect(java.util.stream.Collectors.joining("; ")) + "; moved: " + moved);
            }
            return Map.of("moved", moved);
        });
    }

    /** Deletes the instance and everything its host has of it. A running one needs {@code force}. */
    public Operation delete(String name, boolean force) {
        var row = store.get(name);
        if (row.state() == InstanceState.PENDING && row.host().isEmpty()) {
            var waiting = operations.busy(name);
            if (waiting.isPresent()) {
                operations.cancel(waiting.get());
                return operations.get(waiting.get());
            }
        }
        if (row.state() == InstanceState.UNKNOWN) {
            throw new ApiError.Conflict("instance '" + name + "' is on host " + row.host() + ", which is offline ("
                    + row.reason() + "); delete it when the host is back, or remove the host with --force");
        }
        var copies = store.copiesOf(name, "");
        if (!copies.isEmpty()) {
            throw new ApiError.Conflict("'" + name + "' is the base of " + String.join(", ", copies)
                    + " (their disks read through its snapshots); delete those first", Map.of("copies", copies));
        }
        if (!force && (row.state() == InstanceState.RUNNING || row.state() == InstanceState.PAUSED)) {
            throw new ApiError.Conflict("instance '" + name + "' is " + row.state().name().toLowerCase()
                    + "; stop it first or delete with --force");
        }
        return operations.start("delete", name, progress -> {
            store.state(name, InstanceState.DELETING, "");
            if (!row.host().isEmpty()) {
                progress.update("removing from " + row.host());
                try {
                    hosts.client(row.host()).delete(name);
                } catch (RuntimeException e) {
                    store.state(name, InstanceState.ERROR, "delete failed: " + e.getMessage());
                    throw e;
                }
            }
            store.delete(name);
            events.publish("instance-deleted", name, "deleted");
            return Map.of();
        });
    }

    public ExecResult exec(String name, ExecRequest request) {
        var row = store.get(name);
        if (request.command() == null || request.command().isEmpty() || request.command().getFirst() == null
                || request.command().getFirst().isBlank()) {
            throw new ApiError.BadInput("command", "must name a program to run");
        }
        if (request.command().contains(null)) {
            throw new ApiError.BadInput("command", "argument " + request.command().indexOf(null) + " is null; "
                    + "every argument is a string");
        }
        if (request.stdinBase64() != null && !request.stdinBase64().isEmpty()) {
            try {
                java.util.Base64.getDecoder().decode(request.stdinBase64());
            } catch (IllegalArgumentException e) {
                throw new ApiError.BadInput("stdinBase64", "not base64: " + e.getMessage());
            }
        }
        if (request.timeout() < 0 || request.timeout() > 86_400) {
            throw new ApiError.BadInput("timeout", request.timeout() + " is not between 0 and 86400 seconds");
        }
        if (row.state() != InstanceState.RUNNING) {
            throw new ApiError.Conflict("instance '" + name + "' is " + row.state().name().toLowerCase()
                    + "; exec needs it running");
        }
        return hosts.client(row.host()).exec(name, request);
    }

    public java.io.InputStream consoleLog(String name) {
        var row = store.get(name);
        if (row.host().isEmpty()) {
            throw new ApiError.Conflict("instance '" + name + "' has no host yet");
        }
        return hosts.client(row.host()).consoleLog(name);
    }

    /** Opens the instance's console on its host. */
    public java.util.concurrent.CompletableFuture<java.net.http.WebSocket> openConsole(String name,
                                                                                     java.net.http.WebSocket.Listener listener) {
        var row = store.get(name);
        if (row.state() != InstanceState.RUNNING && row.state() != InstanceState.PAUSED) {
            throw new ApiError.Conflict("instance '" + name + "' is " + row.state().name().toLowerCase()
                    + "; its console needs it running");
        }
        return hosts.client(row.host()).console(name, listener);
    }

    /** After a failed operation: take the host's word for the instance's state. */
    void resync(String name, AgentClient agent) {
        try {
            var status = agent.report().instances().stream().filter(s -> s.name().equals(name)).findFirst();
            Reconciler.apply(store, events, store.get(name), status);
        } catch (RuntimeException e) {
            LOG.warn("cannot resync {} after a failed operation: {}", name, e.getMessage());
            store.state(name, InstanceState.ERROR, "host unreachable: " + e.getMessage());
        }
    }

    /**
     * A move no operation drives any more (the server that ran it stopped). While the source still migrates it is
     * left alone. A live move whose migration completed meanwhile (the destination runs the guest from the complete
     * state) is finished: the record switches to the destination and the source's copy goes. Otherwise the
     * instance still lives on its old host (the switch is a move's last store write), so what reached the new host
     * is removed and the reservation freed.
     */
    void settleInterruptedMove(String name, String dest) {
        var row = store.get(name);
        var from = hosts.client(row.host());
        var to = hosts.client(dest);
        try {
            from.migration(name);
            return; // its source still migrates it: the outcome is not known yet
        } catch (RuntimeException e) {
            // no live migration under way there
        }
        VmStatus arrived = null;
        try {
            // the row says moving, not whether the guest ran before: most moved guests run, so it is let run
            arrived = to.arrivedIncoming(name, row.state() != InstanceState.PAUSED);
        } catch (RuntimeException e) {
            // not there, or still waiting for a migration nobody will send
        }
        if (arrived != null) {
            placement.moved(name, dest);
            try {
                from.delete(name);
            } catch (RuntimeException e) {
                LOG.warn("interrupted move of {}: cannot remove its old copy on {}: {}", name, row.host(),
                        e.getMessage());
            }
            running(name, arrived, "its interrupted live move to " + dest + " had completed");
            events.publish("instance-moved", name, "an interrupted live move from " + row.host() + " to " + dest
                    + " had completed; the instance now lives on " + dest, Map.of("from", row.host(), "to", dest));
            return;
        }
        to.delete(name);
        placement.notMoved(name);
        events.publish("instance-move-abandoned", name, "a move to " + dest + " was interrupted; "
                + "its partial copy there was removed");
        resync(name, from);
    }

    InstanceStore store() {
        return store;
    }

    Hosts hosts() {
        return hosts;
    }

    EventBus events() {
        return events;
    }

    ImageCatalog images() {
        return images;
    }

    dev.virga.server.scheduler.Placement placement() {
        return placement;
    }

}
