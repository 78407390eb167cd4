package dev.virga.agent.vm;

import dev.virga.agent.AgentError;
import dev.virga.agent.AgentPaths;
import dev.virga.agent.Undo;
import dev.virga.agent.storage.ImageStore;
import dev.virga.agent.storage.Trees;
import dev.virga.api.ExecRequest;
import dev.virga.api.ExecResult;
import dev.virga.api.GuestDetails;
import dev.virga.api.agent.StopSpec;
import dev.virga.api.agent.VmPower;
import dev.virga.api.agent.VmSpec;
import dev.virga.api.agent.VmStatus;
import dev.virga.qemu.ga.GuestAgentException;
import dev.virga.qemu.img.QemuImg;
import dev.virga.qemu.vm.QemuCommandLine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/** The VMs of this host and everything that can be done to them. */
public final class VmHost implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VmHost.class);
    static final Duration GUEST_READY = Duration.ofSeconds(180);
    private final AgentPaths paths;
    private final ImageStore images;
    private final Supplier<String> accelerator;
    private final QemuImg qemuImg = new QemuImg();
    private final VmLauncher launcher;
    private final Snapshots snapshots = new Snapshots(qemuImg);
    private final DiskBackup backups;
    private final Publisher publisher;
    private final Map<String, VmEntry> vms = new ConcurrentHashMap<>();
    private final Admission admission;
    private final InstanceMoves moves;
    private final WarmStates warmStates;
    private final WarmMaker warmMaker;
    private final WarmStart warmStart;

    public VmHost(AgentPaths paths, ImageStore images, Supplier<String> accelerator, Path qemuBinary,
                  dev.virga.agent.network.HostSwitch hostSwitch) {
        this(paths, images, accelerator, qemuBinary, new Admission(paths.dataDir().resolve("standby"),
                Admission::machineMemory, 0), hostSwitch);
    }

    public VmHost(AgentPaths paths, ImageStore images, Supplier<String> accelerator, Path qemuBinary,
                  Admission admission, dev.virga.agent.network.HostSwitch hostSwitch) {
        this(paths, images, accelerator, qemuBinary, dev.virga.qemu.vm.QemuVersion.of(qemuBinary), admission,
                hostSwitch);
    }

    public VmHost(AgentPaths paths, ImageStore images, Supplier<String> accelerator, Path qemuBinary,
                  String qemuVersion, Admission admission, dev.virga.agent.network.HostSwitch hostSwitch) {
        this.admission = admission;
        this.paths = paths;
        this.images = images;
        this.accelerator = accelerator;
        this.launcher = new VmLauncher(paths, qemuBinary, hostSwitch);
        this.backups = new DiskBackup(qemuImg, qemuBinary);
        this.publisher = new Publisher(qemuImg, paths.images());
        this.moves = new InstanceMoves(paths, images, qemuImg, launcher, snapshots, this::copiesOf);
        this.warmStates = new WarmStates(paths.images(), paths.runRoot());
        this.warmMaker = new WarmMaker(launcher, qemuImg, warmStates, qemuVersion);
        this.warmStart = new WarmStart(warmStates, qemuImg, qemuVersion, launcher);
    }

    /** At agent start: take over every QEMU still running, clean away creations that died half-way. */
    public void adoptAll() {
        warmStates.recover(() -> images.list().stream().map(ImageStore.Stored::dir).toList());
        List<Path> dirs;
        try (var list = Files.list(paths.instances())) {
            dirs = list.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (var dir : dirs) {
            var name = dir.getFileName().toString();
            try {
                var entry = launcher.adopt(name, dir);
                entry.ifPresent(e -> {
                    vms.put(name, e);
                    snapshots.recover(e);
                    backups.recover(e);
                });
            } catch (RuntimeException e) {
                LOG.error("cannot adopt vm {}: {}", name, e.getMessage(), e);
            }
        }
        LOG.info("adopted {} vm(s), {} running", vms.size(),
                vms.values().stream().filter(e -> e.running() != null).count());
    }

    public List<VmStatus> statuses() {
        return vms.values().stream().sorted(Comparator.comparing(VmEntry::name)).map(VmEntry::status).toList();
    }

    public VmStatus status(String name) {
        return entry(name).status();
    }

    /**
     * Makes the VM's disk and starts it: a launch from an image with a warm state of its shape resumes that state
     * (a copy of the saved guest's disk, then its memory) and takes its own identity; otherwise it boots on a linked
     * clone of the image (or, for a copy, of the source's snapshot). On any failure nothing of it remains.
     */
    public VmStatus create(VmSpec spec) {
        var placeholder = new VmEntry(spec.name(), null, paths);
        if (vms.putIfAbsent(spec.name(), placeholder) != null || Files.exists(paths.instanceDir(spec.name()))) {
            vms.remove(spec.name(), placeholder);
            throw AgentError.conflict("vm '" + spec.name() + "' already exists on this host");
        }
        try (var undo = new Undo()) {
            undo.push("forget " + spec.name(), () -> vms.remove(spec.name(), placeholder));
            admission.admit(spec.name(), spec.memoryBytes(), runningMemory(spec.name()));
            undo.push("release the memory reserved for " + spec.name(), () -> admission.done(spec.name()));
            var base = DiskBase.of(spec, images, this::entry);
            var dir = paths.instanceDir(spec.name());
            Files.createDirectories(dir);
            undo.push("remove " + dir, () -> Trees.delete(dir));
            undo.push("remove run dir", () -> Trees.delete(paths.runDir(spec.name())));
            var def = new VmDefinition(spec.name(), UUID.randomUUID().toString(), spec.imageFingerprint(),
                    spec.cpus(), spec.memoryBytes(), spec.diskBytes(), QemuCommandLine.macFor(spec.name()), "pc",
                    base.kernel(), base.initrd(), base.cmdline() + " virga.hostname=" + spec.name(),
                    spec.baseInstance(), spec.baseSnapshot(), spec.nics(), spec.publish());
            var entry = new VmEntry(spec.name(), def, paths);
            var coldReason = spec.isCopy() ? "" : warmStart.tryStart(spec, entry, base.disk(),
                    images.get(spec.imageFingerprint()).manifest().name(), accelerator.get());
            if (entry.running() == null) {
                qemuImg.createOverlay(base.disk(), "qcow2", dir.resolve(DiskChain.FIRST), spec.diskBytes()
                        > base.virtualSize() ? OptionalLong.of(spec.diskBytes()) : OptionalLong.empty());
                launcher.start(entry, accelerator.get(), spec.resume() ? base.state() : java.util.Optional.empty());
                if (!spec.isCopy()) {
                    entry.booted("cold", coldReason);
                }
            }
            undo.push("kill QEMU of " + spec.name(), () -> entry.running().kill());
            def.write(dir);
            vms.put(spec.name(), entry);
            undo.keep();
            admission.done(spec.name());
            return entry.status();
        } catch (IOException e) {
            throw AgentError.failed("cannot make vm " + spec.name() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Streams a stopped VM's instance directory for a cold move; {@code live}: the VM runs, and everything but the
     * layer it writes is sent (see {@link InstanceMoves}).
     */
    public void exportInstance(String name, java.io.OutputStream out, boolean live) throws IOException {
        moves.exportInstance(entry(name), out, live);
    }

    public void exportInstance(String name, java.io.OutputStream out) throws IOException {
        exportInstance(name, out, false);
    }

    /** Refuses (before any byte is sent) what {@link #exportInstance} would refuse; finishes a pending change. */
    public void checkMovable(String name, boolean live) {
        moves.checkMovable(entry(name), live);
    }

    public void checkMovable(String name) {
        checkMovable(name, false);
    }

    /**
     * Takes a VM moved from another host (registered stopped; {@code live}: its active layer is made empty here
     * for the live migration's mirror). On any failure nothing of it remains.
     */
    public VmStatus importInstance(String name, java.io.InputStream in, boolean live) {
        var placeholder = new VmEntry(name, null, paths);
        if (vms.putIfAbsent(name, placeholder) != null || Files.exists(paths.instanceDir(name))) {
            vms.remove(name, placeholder);
            throw AgentError.conflict("vm '" + name + "' already exists on this host");
        }
        try {
            var entry = moves.importInstance(name, in, live);
            vms.put(name, entry);
            return entry.status();
        } catch (RuntimeException e) {
            vms.remove(name, placeholder);
            throw e;
        }
    }

    public VmStatus importInstance(String name, java.io.InputStream in) {
        return importInstance(name, in, false);
    }

    /** Live moves under way from this host, by VM. */
    private final Map<String, LiveMigration> migrations = new ConcurrentHashMap<>();

    /**
     * Destination of a live move: the VM (imported live, so stopped here, its active layer empty) starts a QEMU
     * that waits for the migration and exports its disk for the mirror, listening on {@code host}.
     */
    public dev.virga.api.agent.IncomingEndpoint incoming(String name, String host) {
        var entry = entry(name);
        synchronized (entry) {
            if (entry.running() != null) {
                throw AgentError.conflict("vm '" + name + "' already runs here");
            }
            admission.admit(name, entry.definition().memoryBytes(), runningMemory(name));
            try {
                return launcher.startIncoming(entry, accelerator.get(), host);
            } finally {
                admission.done(name);
            }
        }
    }

    /**
     * Destination of a live move: the migration ended on the source; the VM runs here now. Without {@code wait}, a
     * QEMU still waiting for the migration is a 409 at once (after a failure on the source: did it arrive?).
     */
    public VmStatus finishIncoming(String name, boolean wait, boolean resume) {
        var entry = entry(name);
        synchronized (entry) {
            launcher.finishIncoming(entry, accelerator.get(), wait ? Duration.ofMinutes(5) : Duration.ZERO, resume);
            return entry.status();
        }
    }

    /**
     * Source of a live move: mirrors the disk and copies the memory to the destination's endpoint, then ends the
     * QEMU here (the guest runs there). On failure or cancel the VM keeps running here and this throws.
     */
    public dev.virga.api.agent.MigrationProgress migrate(String name, dev.virga.api.agent.MigrateSpec spec) {
        var running = runningOf(name);
        var migration = new LiveMigration(name, running.qmp(), spec, "tcg".equals(accelerator.get()));
        if (migrations.putIfAbsent(name, migration) != null) {
            throw AgentError.conflict("vm '" + name + "' is already being migrated");
        }
        try {
            var done = migration.run();
            running.kill(); // QEMU waits in postmigrate; the guest lives on the destination now
            return done;
        } finally {
            migrations.remove(name, migration);
        }
    }

    /** The live move under way from this host, if any. */
    public java.util.Optional<dev.virga.api.agent.MigrationProgress> migration(String name) {
        return java.util.Optional.ofNullable(migrations.get(name)).map(LiveMigration::progress);
    }

    /** Cancels the live move under way (its {@link #migrate} call then fails; the VM keeps running here). */
    public boolean cancelMigration(String name) {
        var m = migrations.get(name);
        if (m != null) {
            m.cancel();
        }
        return m != null;
    }

    /** Memory given to the VMs whose QEMU runs now, other than {@code except}. */
    private long runningMemory(String except) {
        return vms.values().stream().filter(e -> !e.name().equals(except) && e.running() != null
                && e.definition() != null).mapToLong(e -> e.definition().memoryBytes()).sum();
    }

    /** Enters or leaves standby (entering needs every VM stopped). */
    public void standby(boolean on) {
        admission.standby(on, vms.values().stream().filter(e -> e.running() != null).count());
    }

    public boolean standby() {
        return admission.standby();
    }

    /** VMs whose disks read through a snapshot of {@code name} (any snapshot when {@code snapshot} is empty). */
    public List<String> copiesOf(String name, String snapshot) {
        return vms.values().stream().filter(e -> e.definition() != null
                && e.definition().isCopyOf(name, snapshot)).map(VmEntry::name).sorted().toList();
    }

    public VmStatus start(String name) {
        var entry = entry(name);
        synchronized (entry) {
            if (entry.running() != null) {
                throw AgentError.conflict("vm '" + name + "' is already running");
            }
            // a snapshot change cut short (e.g. QEMU died mid-merge) is finished before QEMU opens the chain
            snapshots.recover(entry);
            admission.admit(name, entry.definition().memoryBytes(), runningMemory(name));
            try {
                launcher.start(entry, accelerator.get());
            } finally {
                admission.done(name);
            }
            return entry.status();
        }
    }

    public VmStatus stop(String name, StopSpec spec) {
        var entry = entry(name);
        synchronized (entry) {
            var running = entry.running();
            if (running == null) {
                return entry.status();
            }
            running.stop(spec.force(), Duration.ofSeconds(Math.max(1, spec.timeoutSeconds())));
            return entry.status();
        }
    }

    public VmStatus pause(String name) {
        var running = runningOf(name);
        running.qmp().stop();
        return entry(name).status();
    }

    public VmStatus resume(String name) {
        var running = runningOf(name);
        running.qmp().cont();
        return entry(name).status();
    }

    /** Stops the VM if needed and removes its disk and files. Unknown names are fine: deleting is idempotent. */
    public void delete(String name) {
        var copies = copiesOf(name, "");
        if (!copies.isEmpty()) {
            throw AgentError.conflict("'" + name + "' is the base of " + String.join(", ", copies)
                    + "; delete those first");
        }
        var entry = vms.get(name);
        if (entry != null) {
            synchronized (entry) {
                entry.deleting();
                var running = entry.running();
                if (running != null) {
                    running.kill();
                }
                vms.remove(name);
            }
        }
        Trees.delete(paths.runDir(name));
        Trees.delete(paths.instanceDir(name));
    }

    public ExecResult exec(String name, ExecRequest request) {
        var running = runningOf(name);
        var stdin = request.stdinBase64() == null || request.stdinBase64().isEmpty() ? new byte[0]
                : Base64.getDecoder().decode(request.stdinBase64());
        var timeout = Duration.ofSeconds(request.timeout() == 0 ? 300 : request.timeout());
        try {
            var r = running.guest().call(ga -> ga.run(request.command(), stdin, timeout));
            return new ExecResult(r.exitCode(), r.signal(), Base64.getEncoder().encodeToString(r.stdout()),
                    Base64.getEncoder().encodeToString(r.stderr()), r.truncated());
        } catch (dev.virga.qemu.ga.GuestAgentCommandException e) {
            // the guest's answer to what was asked (no such program, say): the request's fault, not the agent's
            if (e.command().equals("guest-exec")) {
                throw AgentError.badInput("command", "the guest could not run " + request.command().getFirst() + ": "
                        + e.description());
            }
            throw AgentError.failed("guest agent of '" + name + "': " + e.getMessage(), e);
        } catch (GuestAgentException e) {
            throw AgentError.failed("guest agent of '" + name + "': " + e.getMessage(), e);
        }
    }

    // ---- warm states (WarmMaker, WarmStates)

    /**
     * Boots the image once and saves its guest idle and ready, so launches of {@code cpus} and {@code memoryBytes}
     * resume it instead of booting; replaces the state of that shape unless {@code onlyIfMissing} and it is one
     * this host can resume as it is.
     */
    public dev.virga.api.agent.WarmInfo warm(String fingerprint, int cpus, long memoryBytes, boolean onlyIfMissing) {
        var image = images.get(fingerprint);
        if (cpus < 1 || cpus > 255 || memoryBytes < (16L << 20) || memoryBytes % (1L << 20) != 0) {
            throw AgentError.badInput("cpus/memory", cpus + " vCPU and " + memoryBytes + " bytes is no VM shape");
        }
        var key = "warm state of " + fingerprint.substring(0, 12);
        admission.admit(key, memoryBytes, runningMemory(key));
        try {
            return warmMaker.make(image, cpus, memoryBytes, accelerator.get(), onlyIfMissing).toApi();
        } finally {
            admission.done(key);
        }
    }

    public List<dev.virga.api.agent.WarmInfo> warmStates(String fingerprint) {
        images.get(fingerprint);
        return warmStates.of(fingerprint).stream().map(WarmState::toApi).toList();
    }

    /** Removes the warm state of that shape (every shape when {@code cpus} is 0); false when there was none. */
    public boolean unwarm(String fingerprint, int cpus, long memoryBytes) {
        images.get(fingerprint);
        boolean any = false;
        for (var state : warmStates.of(fingerprint)) {
            if (cpus == 0 || (state.cpus() == cpus && state.memoryBytes() == memoryBytes)) {
                any |= warmStates.delete(fingerprint, state.cpus(), state.memoryBytes());
            }
        }
        return any;
    }

    // ---- backups (DiskBackup)

    /** Backs up the VM's disk into the repository at {@code repo}; the VM may run (live) or be stopped. */
    public dev.virga.api.Backup backup(String name, Path repo, boolean full) {
        var entry = entry(name);
        synchronized (entry) {
            return backups.backup(entry, repo, full);
        }
    }

    public Map<String, Object> backupProgress(String name) {
        return backups.progress(entry(name).name());
    }

    /**
     * Makes backup {@code backupId} the VM's disk. A running VM is refused unless {@code force}: then it is powered
     * off, restored and started again.
     */
    public VmStatus restoreBackup(String name, Path repo, String backupId, boolean force) {
        var entry = entry(name);
        synchronized (entry) {
            var running = entry.running();
            if (running != null && !force) {
                throw AgentError.conflict("'" + name + "' is running: restoring backup " + backupId
                        + " stops and restarts it; ask again with force");
            }
            dev.virga.agent.backup.Repositories.info(repo, backupId);
            if (running != null) {
                running.kill();
            }
            backups.restore(entry, repo, backupId);
            snapshots.collectGarbage(entry, DiskChain.read(entry.dir()));
            if (running != null) {
                launcher.start(entry, accelerator.get());
            }
            return entry.status();
        }
    }

    // ---- snapshots

    public List<dev.virga.api.Snapshot> snapshots(String name) {
        return snapshots.list(entry(name));
    }

    public dev.virga.api.Snapshot snapshot(String name, String snapshot) {
        return snapshots.get(entry(name), snapshot);
    }

    public dev.virga.api.Snapshot createSnapshot(String name, String snapshot, boolean stateful) {
        var entry = entry(name);
        synchronized (entry) {
            return snapshots.create(entry, snapshot, stateful);
        }
    }

    /**
     * Restores a snapshot. A running VM is refused unless {@code force}: then it is powered off, restored and
     * started again. A stateful snapshot always comes back running, where it was.
     */
    public VmStatus restoreSnapshot(String name, String snapshot, boolean force) {
        var entry = entry(name);
        synchronized (entry) {
            snapshots.get(entry, snapshot);
            var running = entry.running();
            if (running != null && !force) {
                throw AgentError.conflict("'" + name + "' is running: restoring '" + snapshot
                        + "' stops and restarts it; ask again with force");
            }
            if (running != null) {
                running.kill();
            }
            try {
                var layer = snapshots.restore(entry, snapshot);
                if (layer.stateful()) {
                    launcher.start(entry, accelerator.get(), java.util.Optional.of(entry.dir().resolve(layer.state())));
                } else if (running != null) {
                    launcher.start(entry, accelerator.get());
                }
            } catch (RuntimeException e) {
                snapshots.recover(entry);
                throw e;
            }
            return entry.status();
        }
    }

    public void deleteSnapshot(String name, String snapshot) {
        var copies = copiesOf(name, snapshot);
        if (!copies.isEmpty()) {
            throw AgentError.conflict("snapshot '" + snapshot + "' of '" + name + "' is the base of "
                    + String.join(", ", copies) + "; delete those first");
        }
        var entry = entry(name);
        synchronized (entry) {
            try {
                snapshots.delete(entry, snapshot);
            } catch (AgentError e) {
                throw e;
            } catch (RuntimeException e) {
                try {
                    snapshots.recover(entry);
                } catch (RuntimeException again) {
                    LOG.warn("vm {}: finishing the delete of snapshot {} failed too: {}", name, snapshot,
                            again.getMessage());
                }
                throw AgentError.failed("deleting snapshot " + snapshot + " of " + name + " was interrupted ("
                        + e.getMessage() + "); it is finished now, or when the VM next starts", e);
            }
        }
    }

    /**
     * Makes an image of the VM's disk at {@code snapshot}, or of its current disk when it is stopped and no
     * snapshot is named. Returns the image's directory.
     */
    public Path publish(String name, String snapshot, String alias) {
        var entry = entry(name);
        synchronized (entry) {
            var chain = DiskChain.read(entry.dir());
            Path layer;
            if (snapshot.isEmpty()) {
                if (entry.running() != null) {
                    throw AgentError.conflict("'" + name + "' is running: publish one of its snapshots, or stop it");
                }
                layer = entry.dir().resolve(chain.active());
            } else {
                layer = entry.dir().resolve(chain.snapshot(snapshot).orElseThrow(() ->
                        AgentError.notFound("snapshot", name + "/" + snapshot)).file());
            }
            return publisher.publish(entry, layer, alias);
        }
    }

    public Path serialLog(String name) {
        return entry(name).serialLog();
    }

    public Path consoleSocket(String name) {
        runningOf(name);
        return entry(name).vmPaths().consoleSocket();
    }

    /** Names of the VMs whose disks are clones of the image. */
    public List<String> usersOf(String fingerprint) {
        var out = new ArrayList<String>();
        for (var e : vms.values()) {
            if (e.definition() != null && e.definition().imageFingerprint().equals(fingerprint)) {
                out.add(e.name());
            }
        }
        return out;
    }

    private RunningVm runningOf(String name) {
        var running = entry(name).running();
        if (running == null) {
            throw AgentError.conflict("vm '" + name + "' is not running");
        }
        return running;
    }

    VmEntry entry(String name) {
        var e = vms.get(name);
        if (e == null || e.definition() == null) {
            throw AgentError.notFound("vm", name);
        }
        return e;
    }

    /** Leaves every VM running: QEMU outlives the agent by design. */
    @Override
    public void close() {
        for (var e : vms.values()) {
            e.detach();
        }
    }
}
