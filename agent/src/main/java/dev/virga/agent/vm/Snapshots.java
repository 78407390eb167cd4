package dev.virga.agent.vm;

import dev.virga.agent.storage.Trees;

import dev.virga.agent.AgentError;
import dev.virga.api.Snapshot;
import dev.virga.qemu.ga.GuestAgentException;
import dev.virga.qemu.img.QemuImg;
import dev.virga.qemu.img.QemuImgException;
import dev.virga.qemu.qmp.QmpClient;
import dev.virga.qemu.qmp.QmpException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * Snapshots of a VM's disk as external qcow2 layers, live through QMP when the VM runs: taking one freezes the
 * active layer under the snapshot's name and puts a new empty layer on top; restoring puts a new empty layer on the
 * snapshot's; deleting merges the snapshot's layer into the layers above it, so chains never grow without bound.
 * Stateful snapshots also save memory and device state (QEMU migration to a file) and restore resumes from it.
 */
final class Snapshots {
    private static final Logger LOG = LoggerFactory.getLogger(Snapshots.class);
    private static final Duration FREEZE = Duration.ofSeconds(10);
    private static final Duration MERGE = Duration.ofHours(1);
    private final QemuImg img;

    Snapshots(QemuImg img) {
        this.img = img;
    }

    List<Snapshot> list(VmEntry e) {
        var chain = DiskChain.read(e.dir());
        return chain.snapshots().stream().map(l -> toApi(e, l)).toList();
    }

    Snapshot get(VmEntry e, String name) {
        var chain = DiskChain.read(e.dir());
        return toApi(e, chain.snapshot(name).orElseThrow(() -> AgentError.notFound("snapshot", e.name() + "/" + name)));
    }

    /** Takes a snapshot; live (and quiesced when the guest agent answers) if the VM runs. */
    Snapshot create(VmEntry e, String name, boolean stateful) {
        var dir = e.dir();
        var chain = DiskChain.read(dir);
        if (chain.snapshot(name).isPresent()) {
            throw AgentError.conflict("snapshot '" + name + "' of '" + e.name() + "' already exists");
        }
        var running = e.running();
        if (stateful && running == null) {
            throw AgentError.conflict("a stateful snapshot needs '" + e.name() + "' running (it saves its memory)");
        }
        var id = UUID.randomUUID().toString().substring(0, 8);
        var newFile = "layer-" + id + ".qcow2";
        var state = stateful ? "state-" + id + ".bin" : "";
        chain.pending(new DiskChain.Pending("snapshot", name, newFile, state)).write(dir);
        boolean quiesced = false;
        try {
            if (running == null) {
                img.createOverlay(dir.resolve(chain.active()), "qcow2", dir.resolve(newFile), OptionalLong.empty());
            } else if (stateful) {
                saveLive(running, dir.resolve(newFile), dir.resolve(state));
            } else {
                quiesced = cutLive(running, dir.resolve(newFile));
            }
        } catch (RuntimeException ex) {
            recover(e);
            throw ex;
        }
        var layer = new DiskChain.Layer(name, chain.active(), System.currentTimeMillis(), quiesced, running != null,
                state);
        chain.withSnapshot(layer, newFile).write(dir);
        LOG.info("vm {}: snapshot {} taken ({}{})", e.name(), name, running == null ? "offline" : "live",
                stateful ? ", with memory" : quiesced ? ", quiesced" : "");
        return toApi(e, layer);
    }

    /** Disk only: freeze the guest's filesystems if its agent answers, switch to a new layer, thaw. */
    private static boolean cutLive(RunningVm vm, Path newFile) {
        boolean frozen = false;
        try {
            frozen = vm.guest().call(ga -> ga.fsfreezeFreeze()) > 0;
        } catch (GuestAgentException ex) {
            LOG.info("vm {}: not quiesced ({})", vm.name(), ex.getMessage());
        }
        try {
            switchLayer(vm.qmp(), newFile);
            // the frozen layer's cached metadata goes to disk now, so a QEMU killed later cannot lose it
            BlockNodes.flush(vm.qmp());
        } finally {
            if (frozen) {
                thaw(vm);
            }
        }
        return frozen;
    }

    /** Disk and memory: pause, switch to a new layer, write the machine state to a file, resume. */
    private static void saveLive(RunningVm vm, Path newFile, Path state) {
        var qmp = vm.qmp();
        boolean wasRunning = !"paused".equals(qmp.status());
        qmp.stop();
        try {
            switchLayer(qmp, newFile);
            Migration.toFile(qmp, state);
        } finally {
            if (wasRunning) {
                qmp.cont();
            }
        }
    }

    private static void switchLayer(QmpClient qmp, Path newFile) {
        qmp.execute("blockdev-snapshot-sync", Map.of("node-name", BlockNodes.top(qmp),
                "snapshot-file", newFile.toString(), "snapshot-node-name", nodeName(newFile), "format", "qcow2"));
    }

    static void thaw(RunningVm vm) {
        try {
            vm.guest().call(ga -> ga.fsfreezeThaw());
        } catch (GuestAgentException ex) {
            LOG.error("vm {}: could not thaw the guest's filesystems: {}", vm.name(), ex.getMessage());
        }
    }

    /**
     * Points the VM (stopped) at a new empty layer over the snapshot. Returns the snapshot, so the caller can
     * resume a stateful one from its saved state.
     */
    DiskChain.Layer restore(VmEntry e, String name) {
        var dir = e.dir();
        var chain = DiskChain.read(dir);
        var layer = chain.snapshot(name).orElseThrow(() -> AgentError.notFound("snapshot", e.name() + "/" + name));
        if (e.running() != null) {
            throw AgentError.conflict("'" + e.name() + "' must be stopped to restore a snapshot");
        }
        var newFile = "layer-" + UUID.randomUUID().toString().substring(0, 8) + ".qcow2";
        chain.pending(new DiskChain.Pending("restore", name, newFile, "")).write(dir);
        img.createOverlay(dir.resolve(layer.file()), "qcow2", dir.resolve(newFile), OptionalLong.empty());
        var restored = chain.withActive(newFile);
        restored.write(dir);
        collectGarbage(e, restored);
        LOG.info("vm {}: restored snapshot {}", e.name(), name);
        return layer;
    }

    /** Forgets the snapshot and merges its layer into the layers that read through it. */
    void delete(VmEntry e, String name) {
        var dir = e.dir();
        var chain = DiskChain.read(dir);
        var layer = chain.snapshot(name).orElseThrow(() -> AgentError.notFound("snapshot", e.name() + "/" + name));
        var remaining = chain.without(name).pending(new DiskChain.Pending("delete", name, layer.file(), layer.state()));
        remaining.write(dir);
        mergeAway(e, layer.file());
        var done = remaining.done();
        done.write(dir);
        collectGarbage(e, done);
        LOG.info("vm {}: snapshot {} deleted", e.name(), name);
    }

    /** Every layer that reads through {@code file} is made to read through {@code file}'s own backing instead. */
    private void mergeAway(VmEntry e, String file) {
        var dir = e.dir();
        var path = dir.resolve(file);
        if (!Files.exists(path)) {
            return;
        }
        var below = img.info(path, true).backingFile().map(Path::of)
                .orElseThrow(() -> AgentError.failed("layer " + path + " has no backing file", null));
        for (var child : layers(dir)) {
            var childPath = dir.resolve(child);
            if (!backingOf(childPath).equals(Optional.of(path))) {
                continue;
            }
            var running = e.running();
            var node = running == null ? Optional.<String>empty() : BlockNodes.formatNodeOf(running.qmp(), childPath);
            if (node.isPresent()) {
                var base = BlockNodes.formatNodeOf(running.qmp(), below).orElseThrow(() -> AgentError.failed(
                        "QEMU does not have " + below + " open", null));
                BlockNodes.stream(running.qmp(), node.get(), base, MERGE);
            } else {
                img.rebase(childPath, below, "qcow2");
            }
        }
    }

    /**
     * Finishes or undoes what a dead agent or a failed call left half-done (see {@link DiskChain.Pending}); also
     * thaws a guest left frozen. Safe to run any time; does nothing when nothing is pending.
     */
    void recover(VmEntry e) {
        var dir = e.dir();
        var chain = DiskChain.read(dir);
        var running = e.running();
        if (running != null) {
            thawIfFrozen(running);
        }
        if (chain.pending().isEmpty()) {
            return;
        }
        var p = chain.pending().get();
        LOG.warn("vm {}: finishing an interrupted {} of snapshot {}", e.name(), p.action(), p.snapshot());
        switch (p.action()) {
            case "snapshot" -> recoverSnapshot(e, chain, p);
            case "restore" -> recoverRestore(e, chain, p);
            case "delete" -> {
                mergeAway(e, p.newFile());
                var done = chain.without(p.snapshot()).done();
                done.write(dir);
                collectGarbage(e, done);
            }
            default -> chain.done().write(dir);
        }
    }

    private void recoverSnapshot(VmEntry e, DiskChain chain, DiskChain.Pending p) {
        var dir = e.dir();
        var newPath = dir.resolve(p.newFile());
        var running = e.running();
        boolean taken;
        if (running != null) {
            Path top;
            try {
                top = BlockNodes.topFile(running.qmp());
            } catch (QmpException ex) {
                top = dir.resolve(chain.active());
            }
            taken = top.equals(newPath);
            var status = safeStatus(running);
            if (!p.state().isEmpty() && (status.equals("paused") || status.equals("postmigrate"))) {
                running.qmp().cont();
            }
        } else {
            taken = Files.exists(newPath) && backingOf(newPath).equals(Optional.of(dir.resolve(chain.active())));
        }
        if (taken) {
            // the disk was cut; a memory state may be incomplete, so keep the snapshot as disk-only
            Trees.deleteQuietly(dir.resolve(p.state()));
            var layer = new DiskChain.Layer(p.snapshot(), chain.active(), System.currentTimeMillis(), false,
                    running != null, "");
            chain.withSnapshot(layer, p.newFile()).write(dir);
        } else {
            Trees.deleteQuietly(newPath);
            Trees.deleteQuietly(dir.resolve(p.state()));
            chain.done().write(dir);
        }
    }

    private void recoverRestore(VmEntry e, DiskChain chain, DiskChain.Pending p) {
        var dir = e.dir();
        var layer = chain.snapshot(p.snapshot());
        var newPath = dir.resolve(p.newFile());
        if (layer.isPresent() && Files.exists(newPath)
                && backingOf(newPath).equals(Optional.of(dir.resolve(layer.get().file())))) {
            var restored = chain.withActive(p.newFile());
            restored.write(dir);
            collectGarbage(e, restored);
        } else {
            Trees.deleteQuietly(newPath);
            chain.done().write(dir);
        }
    }

    /** Removes layer files and memory states that neither the active layer nor any snapshot needs any more. */
    void collectGarbage(VmEntry e, DiskChain chain) {
        var dir = e.dir();
        var live = new java.util.HashSet<Path>();
        var todo = new java.util.ArrayDeque<Path>();
        todo.add(dir.resolve(chain.active()));
        chain.snapshots().forEach(s -> todo.add(dir.resolve(s.file())));
        chain.pending().ifPresent(p -> {
            if (!p.newFile().isEmpty()) {
                todo.add(dir.resolve(p.newFile()));
            }
        });
        while (!todo.isEmpty()) {
            var f = todo.poll();
            if (live.add(f) && Files.exists(f)) {
                backingOf(f).filter(b -> b.getParent().equals(dir)).ifPresent(todo::add);
            }
        }
        var states = chain.snapshots().stream().map(DiskChain.Layer::state).filter(s -> !s.isEmpty()).toList();
        try (var files = Files.list(dir)) {
            for (var f : files.toList()) {
                var n = f.getFileName().toString();
                boolean deadLayer = n.endsWith(".qcow2") && !live.contains(f);
                boolean deadState = n.startsWith("state-") && !states.contains(n)
                        && chain.pending().map(p -> !p.state().equals(n)).orElse(true);
                if (deadLayer || deadState) {
                    LOG.info("vm {}: removing {}, nothing needs it any more", e.name(), n);
                    Files.deleteIfExists(f);
                }
            }
        } catch (IOException ex) {
            LOG.warn("vm {}: garbage collection of layers failed: {}", e.name(), ex.toString());
        }
    }

    private List<String> layers(Path dir) {
        try (var files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".qcow2")).sorted().toList();
        } catch (IOException ex) {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    private Optional<Path> backingOf(Path layer) {
        try {
            return img.info(layer, true).backingFile().map(Path::of);
        } catch (QemuImgException ex) {
            return Optional.empty();
        }
    }

    private static void thawIfFrozen(RunningVm vm) {
        try {
            if ("frozen".equals(vm.guest().call(ga -> ga.fsfreezeStatus()))) {
                LOG.warn("vm {}: guest filesystems were left frozen; thawing", vm.name());
                vm.guest().call(ga -> ga.fsfreezeThaw());
            }
        } catch (GuestAgentException ex) {
            LOG.debug("vm {}: freeze state unknown: {}", vm.name(), ex.getMessage());
        }
    }

    private static String safeStatus(RunningVm vm) {
        try {
            return vm.qmp().status();
        } catch (QmpException ex) {
            return "";
        }
    }


    private static String nodeName(Path file) {
        return "vda-" + file.getFileName().toString().replace(".qcow2", "");
    }

    private Snapshot toApi(VmEntry e, DiskChain.Layer l) {
        long size = fileSize(e.dir().resolve(l.file())) + (l.stateful() ? fileSize(e.dir().resolve(l.state())) : 0);
        return new Snapshot(l.name(), e.name(), Instant.ofEpochMilli(l.createdAt()), l.stateful(), l.quiesced(),
                l.wasRunning(), size);
    }

    private static long fileSize(Path p) {
        try {
            return Files.size(p);
        } catch (IOException ex) {
            return 0;
        }
    }
}
