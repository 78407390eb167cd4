package dev.virga.server.instance;

import dev.virga.api.InstanceState;
import dev.virga.api.Operation;
import dev.virga.api.Snapshot;
import dev.virga.api.SnapshotRequest;
import dev.virga.api.agent.VmPower;
import dev.virga.server.event.EventBus;
import dev.virga.server.host.Hosts;
import dev.virga.server.http.ApiError;
import dev.virga.server.operation.Operations;

import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Snapshots of instances: validated here, made by the instance's host, each change an operation on the instance. */
public final class SnapshotService {
    private static final DateTimeFormatter AUTO_NAME = DateTimeFormatter.ofPattern("'snap-'yyyyMMdd-HHmmss");
    private static final Set<InstanceState> DISK_READY = Set.of(InstanceState.RUNNING, InstanceState.PAUSED,
            InstanceState.STOPPED, InstanceState.ERROR);
    private final InstanceStore store;
    private final Hosts hosts;
    private final Operations operations;
    private final EventBus events;

    private final dev.virga.server.image.ImageCatalog images;

    public SnapshotService(InstanceService instances, dev.virga.server.image.ImageCatalog images, Hosts hosts,
                           Operations operations, EventBus events) {
        this.images = images;
        this.store = instances.store();
        this.hosts = hosts;
        this.operations = operations;
        this.events = events;
    }

    public List<Snapshot> list(String instance) {
        var row = placed(instance);
        return hosts.client(row.host()).snapshots(instance);
    }

    public Operation create(String instance, SnapshotRequest request) {
        var row = placed(instance);
        var agent = hosts.client(row.host());
        var existing = agent.snapshots(instance).stream().map(Snapshot::name).collect(java.util.stream.Collectors.toSet());
        var name = request.name() == null || request.name().isBlank()
                ? autoName(existing) : Names.check("name", request.name());
        if (!DISK_READY.contains(row.state())) {
            throw conflict(row, "snapshot");
        }
        if (request.stateful() && row.state() != InstanceState.RUNNING && row.state() != InstanceState.PAUSED) {
            throw new ApiError.Conflict("a stateful snapshot saves the memory of a running instance; '" + instance
                    + "' is " + row.state().name().toLowerCase());
        }
        if (existing.contains(name)) {
            throw new ApiError.Conflict("snapshot '" + name + "' of '" + instance + "' already exists");
        }
        return operations.start("snapshot", instance, progress -> {
            progress.update((row.state() == InstanceState.RUNNING ? "live " : "") + "snapshot " + name);
            var s = agent.createSnapshot(instance, new SnapshotRequest(name, request.stateful()));
            events.publish("snapshot-created", instance, "snapshot " + name + (s.stateful() ? " (with memory)"
                    : s.quiesced() ? " (quiesced)" : s.wasRunning() ? " (not quiesced)" : ""),
                    Map.of("snapshot", name));
            return describe(s);
        });
    }

    /** Restores; a running instance needs {@code force} (it is stopped and started again). */
    public Operation restore(String instance, String snapshot, boolean force) {
        var row = placed(instance);
        if (!DISK_READY.contains(row.state())) {
            throw conflict(row, "restore");
        }
        var agent = hosts.client(row.host());
        var s = find(agent.snapshots(instance), instance, snapshot);
        boolean running = row.state() == InstanceState.RUNNING || row.state() == InstanceState.PAUSED;
        if (running && !force) {
            throw new ApiError.Conflict("'" + instance + "' is running: restoring '" + snapshot + "' stops it and "
                    + "starts it again; use --force to do that", Map.of("state", row.state().name().toLowerCase()));
        }
        return operations.start("restore", instance, progress -> {
            progress.update("restoring " + snapshot + (s.stateful() ? " with its memory" : ""));
            var status = agent.restoreSnapshot(instance, snapshot, force);
            if (status.power() == VmPower.STOPPED) {
                store.state(instance, InstanceState.STOPPED, "restored " + snapshot);
            } else {
                store.started(instance, status.accelerator(), status.guest());
            }
            events.publish("snapshot-restored", instance, "restored " + snapshot, Map.of("snapshot", snapshot));
            return Map.of("snapshot", snapshot, "state", status.power().name().toLowerCase());
        });
    }

    public Operation delete(String instance, String snapshot) {
        var row = placed(instance);
        var copies = store.copiesOf(instance, snapshot);
        if (!copies.isEmpty()) {
            throw new ApiError.Conflict("snapshot '" + snapshot + "' of '" + instance + "' is the base of "
                    + String.join(", ", copies) + "; delete those first", Map.of("copies", copies));
        }
        var agent = hosts.client(row.host());
        find(agent.snapshots(instance), instance, snapshot);
        return operations.start("snapshot-delete", instance, progress -> {
            progress.update("merging the layer of " + snapshot);
            agent.deleteSnapshot(instance, snapshot);
            events.publish("snapshot-deleted", instance, "snapshot " + snapshot + " deleted",
                    Map.of("snapshot", snapshot));
            return Map.of("snapshot", snapshot);
        });
    }

    /**
     * Makes an image of the instance at a snapshot. Without one: a stopped instance's current disk, or for a
     * running one a quiesced snapshot taken for the purpose and removed afterwards.
     */
    public Operation publish(String instance, dev.virga.api.PublishRequest request) {
        var row = placed(instance);
        var alias = Names.check("alias", request.alias());
        if (images.find(alias).isPresent()) {
            throw new ApiError.Conflict("image '" + alias + "' already exists", Map.of("image", alias));
        }
        var agent = hosts.client(row.host());
        boolean named = request.snapshot() != null && !request.snapshot().isBlank();
        if (named) {
            find(agent.snapshots(instance), instance, request.snapshot());
        }
        if (!DISK_READY.contains(row.state())) {
            throw conflict(row, "publish");
        }
        boolean running = row.state() == InstanceState.RUNNING || row.state() == InstanceState.PAUSED;
        return operations.start("publish", instance, progress -> {
            var snapshot = named ? request.snapshot() : "";
            if (!named && running) {
                snapshot = ("publish-" + alias).substring(0, Math.min(63, 8 + alias.length()));
                progress.update("taking snapshot " + snapshot);
                agent.createSnapshot(instance, new SnapshotRequest(snapshot, false));
            }
            progress.update("flattening " + instance + (snapshot.isEmpty() ? "" : "/" + snapshot) + " into " + alias);
            var image = agent.publish(instance, new dev.virga.api.PublishRequest(snapshot, alias));
            if (!named && running) {
                agent.deleteSnapshot(instance, snapshot);
            }
            var from = instance + (named ? "/" + request.snapshot() : "");
            images.registerPublished(alias, image, row.host(), "published from " + from);
            if (!request.warm()) {
                return Map.of("image", alias, "fingerprint", image.fingerprint(), "from", from);
            }
            dev.virga.api.agent.WarmInfo info;
            try {
                info = images.warm().warmOn(alias, image.fingerprint(), row.host(),
                        new dev.virga.server.image.WarmImages.Shape(row.cpus(), row.memoryBytes()), progress::update);
            } catch (RuntimeException e) {
                throw new IllegalStateException("image " + alias + " is published, but warming it failed: "
                        + e.getMessage(), e);
            }
            return Map.of("image", alias, "fingerprint", image.fingerprint(), "from", from, "warm",
                    Map.of("host", row.host(), "cpus", info.cpus(), "memoryBytes", info.memoryBytes(),
                            "stateBytes", info.stateBytes()));
        });
    }

    /** snap-YYYYMMDD-HHMMSS, with -2, -3 ... when several are taken within a second. */
    private static String autoName(Set<String> existing) {
        var base = LocalDateTime.now().format(AUTO_NAME);
        var name = base;
        for (int i = 2; existing.contains(name); i++) {
            name = base + "-" + i;
        }
        return name;
    }

    private InstanceRow placed(String instance) {
        var row = store.get(instance);
        if (row.host().isEmpty()) {
            throw new ApiError.Conflict("instance '" + instance + "' has no disk yet (" + row.state().name()
                    .toLowerCase() + ")");
        }
        return row;
    }

    private static Snapshot find(List<Snapshot> list, String instance, String snapshot) {
        return list.stream().filter(s -> s.name().equals(snapshot)).findFirst()
                .orElseThrow(() -> new ApiError.NotFound("snapshot", instance + "/" + snapshot));
    }

    private static ApiError conflict(InstanceRow row, String what) {
        return new ApiError.Conflict("cannot " + what + " '" + row.name() + "' while it is "
                + row.state().name().toLowerCase());
    }

    private static Map<String, Object> describe(Snapshot s) {
        var m = new HashMap<String, Object>();
        m.put("snapshot", s.name());
        m.put("stateful", s.stateful());
        m.put("quiesced", s.quiesced());
        m.put("live", s.wasRunning());
        m.put("sizeBytes", s.sizeBytes());
        return m;
    }
}
