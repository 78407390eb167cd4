package dev.virga.agent.vm;

import dev.virga.agent.AgentError;
import dev.virga.agent.AgentPaths;
import dev.virga.agent.storage.Trees;
import dev.virga.api.GuestDetails;
import dev.virga.qemu.ga.GuestAgentException;
import dev.virga.qemu.qmp.QmpClient;
import dev.virga.qemu.qmp.QmpException;
import dev.virga.qemu.vm.QemuCommandLine;
import dev.virga.qemu.vm.VmConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Starts a VM's QEMU and waits for its guest; takes over a QEMU that an earlier agent started. */
final class VmLauncher {
    private static final Logger LOG = LoggerFactory.getLogger(VmLauncher.class);
    private final AgentPaths paths;
    private final Path qemuBinary;
    private final dev.virga.agent.network.HostSwitch hostSwitch;

    VmLauncher(AgentPaths paths, Path qemuBinary, dev.virga.agent.network.HostSwitch hostSwitch) {
        this.paths = paths;
        this.qemuBinary = qemuBinary;
        this.hostSwitch = hostSwitch;
    }

    /** QEMU listens on the NICs' sockets once spawned; the switch dials them (again, until they answer). */
    private void attachNics(VmEntry entry) {
        var def = entry.definition();
        if (!def.nics().isEmpty()) {
            hostSwitch.attach(def.name(), entry.runDir(), def.nics());
        }
    }

    /** Spawns QEMU paused, lets it run, and returns once the guest agent answers; kills it on any failure. */
    void start(VmEntry entry, String accelerator) {
        start(entry, accelerator, Optional.empty());
    }

    /**
     * As {@link #start(VmEntry, String)}, but with {@code state} the guest resumes from a saved memory and device
     * state instead of booting.
     */
    void start(VmEntry entry, String accelerator, Optional<Path> state) {
        launch(entry, accelerator, new How(state, Optional.empty(), false, vm -> { }, Optional.empty()));
        entry.booted(state.isPresent() ? "resumed" : "cold", "");
    }

    /**
     * Resumes {@code state}, an image's warm state (saved with the provider NIC only, its RAM in {@code ram}, which
     * this VM maps copy-on-write), plugs the VM's tenant NICs in, and once the guest agent answers lets
     * {@code identity} make the guest the VM's own before the VM counts as started.
     */
    void startWarm(VmEntry entry, String accelerator, Path state, Path ram, GuestDetails saved,
                   java.util.function.Consumer<RunningVm> identity) {
        launch(entry, accelerator, new How(Optional.of(state), Optional.of(new VmConfig.MemoryFile(ram, false)), true,
                identity, Optional.of(saved)));
        entry.booted("warm", "");
    }

    /** Boots the guest a warm state is saved from, its RAM written into {@code ram}. */
    void startTemplate(VmEntry entry, String accelerator, Path ram) {
        launch(entry, accelerator, new How(Optional.empty(), Optional.of(new VmConfig.MemoryFile(ram, true)), false,
                vm -> { }, Optional.empty()));
    }

    /**
     * How a start goes: from a saved state or not; the RAM in a file (a warm state's RAM, whose pages the saved
     * state then leaves out); tenant NICs plugged in after the resume rather than on the command line; what the
     * guest's agent would say of it, when that is known already (the saved guest of a warm state said it).
     */
    private record How(Optional<Path> state, Optional<VmConfig.MemoryFile> memory, boolean plugNics,
                       java.util.function.Consumer<RunningVm> beforeReady, Optional<GuestDetails> known) {
    }

    private void launch(VmEntry entry, String accelerator, How how) {
        var def = entry.definition();
        long t0 = System.nanoTime();
        var state = how.state();
        boolean plugNics = how.plugNics();
        var beforeReady = how.beforeReady();
        var config = config(entry, accelerator);
        if (how.memory().isPresent()) {
            config = config.withMemoryFile(how.memory().get().path(), how.memory().get().shared());
        }
        var command = new java.util.ArrayList<>(QemuCommandLine.build(qemuBinary, plugNics
                ? config.withTenantNics(List.of()) : config));
        if (state.isPresent()) {
            command.addAll(List.of("-incoming", "defer"));
        }
        var finalConfig = config;
        prepare(entry, command);
        var starting = startingMarker(entry);
        touch(starting);
        LOG.info("vm {}: starting QEMU ({}, {} vCPU, {} MiB{})", def.name(), accelerator, def.cpus(),
                def.memoryBytes() >> 20, state.isPresent() ? ", resuming " + state.get().getFileName() : "");
        var spawned = QemuProcess.spawn(command, entry.dir().resolve("qemu.log"), entry.vmPaths().qmpSocket(), state);
        long spawnedAt = millisSince(t0);
        var guest = new GuestLink(entry.vmPaths().guestAgentSocket());
        var vm = new RunningVm(def.name(), spawned, guest, (r, why) -> ended(entry, r, why));
        try {
            if (!plugNics) {
                attachNics(entry);
            }
            if (state.isPresent()) {
                guest.connectEarly();
                Migration.fromFile(spawned.qmp(), state.get(), how.memory().isPresent());
            }
            long loadedAt = millisSince(t0);
            if (plugNics) {
                // the sockets first, so that the switch reaches them at its first dial: QEMU 7.2 crashes on a
                // frame sent through a stream netdev nobody has connected to yet
                plugNics(spawned.qmp(), finalConfig.tenantNics());
                attachNics(entry);
            }
            spawned.qmp().cont();
            Trees.deleteQuietly(starting);
            long started = millisSince(t0);
            waitForGuest(vm, guest);
            long answeredAt = millisSince(t0);
            beforeReady.accept(vm);
            long ready = millisSince(t0);
            // a warm state saved before states kept the guest agent's details has them empty: asked then
            var details = how.known().filter(k -> !k.agentVersion().isEmpty()).map(k -> new GuestDetails(true,
                    k.agentVersion(), k.os(), k.kernel(), def.name(), guest.clockOffsetMillis()))
                    .orElseGet(() -> details(guest));
            entry.started(vm, started, ready, details, accelerator);
            if (state.isPresent()) {
                LOG.info("vm {}: QEMU spawned after {} ms, state loaded after {}, running after {}, guest agent "
                        + "answered after {}, ready after {}", def.name(), spawnedAt, loadedAt, started, answeredAt,
                        ready);
            }
            LOG.info("vm {}: QEMU running after {} ms, guest agent ready after {} ms", def.name(), started, ready);
        } catch (RuntimeException e) {
            vm.kill();
            throw e instanceof AgentError ? e : AgentError.failed("vm " + def.name() + " did not start: "
                    + e.getMessage() + "; QEMU said: " + QemuProcess.lastLines(entry.dir().resolve("qemu.log")), e);
        }
    }

    /** Each tenant NIC as the command line would have made it, in the same PCI slot. */
    private static void plugNics(QmpClient qmp, List<VmConfig.TenantNic> nics) {
        for (int i = 0; i < nics.size(); i++) {
            var plug = QemuCommandLine.hotPlug(nics.get(i), i);
            qmp.execute("netdev_add", plug.netdev());
            qmp.execute("device_add", plug.device());
        }
    }

    /**
     * The VM's virtual hardware without its tenant NICs (a warm start plugs those in), with everything that is the
     * VM's own left out (see QemuCommandLine#deviceSignature).
     */
    String signature(VmEntry entry, String accelerator) {
        return QemuCommandLine.deviceSignature(config(entry, accelerator).withTenantNics(List.of()));
    }

    /**
     * The destination side of a live migration: spawns QEMU with the VM's command line, not paused ({@code -S}
     * would keep the guest stopped after the migration until a {@code cont}, which only lengthens the downtime) but
     * waiting for the migration ({@code -incoming defer}); exports its disk over NBD for the source's mirror and
     * listens for the memory. The VM counts as running from now on, so a delete ends this QEMU.
     */
    dev.virga.api.agent.IncomingEndpoint startIncoming(VmEntry entry, String accelerator, String host) {
        var def = entry.definition();
        var command = new java.util.ArrayList<>(QemuCommandLine.build(qemuBinary, config(entry, accelerator)));
        command.remove("-S");
        command.addAll(List.of("-incoming", "defer"));
        // The writable NBD export of the disk (for the mirror) and the guest's disk device both need write
        // permission on node vda; unless the device shares it, activating the images at the end of the migration
        // can fail with "Permission conflict on node 'vda'" while the export is still there (seen under load), and
        // the guest then runs without a usable disk. The export goes right after; QEMU's image file lock is all
        // that share-rw gives up, and the agent never starts a second QEMU on a disk anyway.
        command.replaceAll(arg -> arg.startsWith("virtio-blk-pci,drive=vda,") ? arg + ",share-rw=on" : arg);
        prepare(entry, command);
        LOG.info("vm {}: starting QEMU for an incoming live migration ({}, {} vCPU, {} MiB)", def.name(),
                accelerator, def.cpus(), def.memoryBytes() >> 20);
        var spawned = QemuProcess.spawn(command, entry.dir().resolve("qemu.log"), entry.vmPaths().qmpSocket());
        var vm = new RunningVm(def.name(), spawned, new GuestLink(entry.vmPaths().guestAgentSocket()),
                (r, why) -> ended(entry, r, why));
        entry.adopted(vm);
        try {
            attachNics(entry);
            var qmp = spawned.qmp();
            int nbdPort = FreePort.on(host);
            qmp.execute("nbd-server-start", java.util.Map.of("addr", java.util.Map.of("type", "inet", "data",
                    java.util.Map.of("host", host, "port", String.valueOf(nbdPort)))));
            qmp.execute("block-export-add", java.util.Map.of("type", "nbd", "id", INCOMING_EXPORT,
                    "node-name", "vda", "name", INCOMING_EXPORT, "writable", true));
            qmp.execute("migrate-set-capabilities", java.util.Map.of("capabilities",
                    List.of(java.util.Map.of("capability", "events", "state", true))));
            int migrationPort = FreePort.on(host);
            qmp.execute("migrate-incoming", java.util.Map.of("uri", "tcp:" + host + ":" + migrationPort));
            return new dev.virga.api.agent.IncomingEndpoint(host, nbdPort, INCOMING_EXPORT, migrationPort);
        } catch (RuntimeException e) {
            vm.kill();
            throw AgentError.failed("vm " + def.name() + " cannot wait for a live migration: " + e.getMessage()
                    + "; QEMU said: " + QemuProcess.lastLines(entry.dir().resolve("qemu.log")), e);
        }
    }

    /**
     * The migration reached this host: waits until QEMU runs the guest (or holds it paused, if it was paused on
     * the source), removes the NBD export, and waits for the guest agent. {@code resume}: the guest ran before the
     * move, so a guest that arrived paused (a source under TCG pauses it for the memory copy, see LiveMigration) is
     * let run here.
     */
    void finishIncoming(VmEntry entry, String accelerator, Duration timeout, boolean resume) {
        var vm = entry.running();
        if (vm == null || !vm.alive()) {
            throw AgentError.conflict("vm " + entry.name() + " has no incoming QEMU here");
        }
        var qmp = vm.qmp();
        long deadline = System.nanoTime() + timeout.toNanos();
        String status;
        while ((status = qmp.status()).equals("inmigrate") || status.equals("finish-migrate")) {
            if (timeout.isZero()) {
                throw AgentError.conflict("vm " + entry.name() + " is still waiting for its migration here");
            }
            if (System.nanoTime() > deadline) {
                throw AgentError.failed("vm " + entry.name() + ": the incoming migration did not end within "
                        + timeout.toSeconds() + " s (QEMU status " + status + ")", null);
            }
            QemuProcess.sleep(10);
        }
        try {
            qmp.execute("block-export-del", java.util.Map.of("id", INCOMING_EXPORT));
            qmp.execute("nbd-server-stop");
        } catch (QmpException e) {
            LOG.warn("vm {}: removing the migration's NBD export: {}", entry.name(), e.getMessage());
        }
        if (resume && status.equals("paused")) {
            qmp.cont();
            status = qmp.status();
        }
        boolean running = status.equals("running");
        if (running) {
            waitForGuest(vm, vm.guest());
        }
        entry.started(vm, 0, 0, running ? details(vm.guest()) : GuestDetails.unknown(), accelerator);
        LOG.info("vm {}: live migration arrived, QEMU {}", entry.name(), status);
    }

    static final String INCOMING_EXPORT = "virga-incoming";

    /** The run directory without stale sockets, and the exact command beside the disk. */
    /** Present from the spawn of a VM's QEMU until it was let run ({@code cont}): a start under way. */
    private Path startingMarker(VmEntry entry) {
        return entry.runDir().resolve("starting");
    }

    private static void touch(Path file) {
        try {
            Files.write(file, new byte[0]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void prepare(VmEntry entry, List<String> command) {
        try {
            Files.createDirectories(entry.runDir());
            Files.deleteIfExists(entry.vmPaths().guestAgentSocket());
            Files.deleteIfExists(entry.vmPaths().consoleSocket());
            // the exact command, runnable by hand and replayed by `virga bench launch` for the bare-QEMU figure
            Files.writeString(entry.dir().resolve("qemu.cmdline"), QemuCommandLine.shellQuoted(command) + "\n");
            Files.write(entry.dir().resolve("qemu.argv.json"), dev.virga.client.Json.mapper().writeValueAsBytes(command));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void waitForGuest(RunningVm vm, GuestLink guest) {
        long deadline = System.nanoTime() + VmHost.GUEST_READY.toNanos();
        while (true) {
            if (!vm.alive()) {
                throw AgentError.failed("QEMU ended before the guest agent answered: " + vm.ended().getNow(""), null);
            }
            try {
                guest.awaitReady(Duration.ofSeconds(3));
                return;
            } catch (GuestAgentException e) {
                if (System.nanoTime() > deadline) {
                    throw AgentError.failed("the guest agent did not answer within "
                            + VmHost.GUEST_READY.toSeconds() + " s", e);
                }
            }
        }
    }

    private static GuestDetails details(GuestLink guest) {
        try {
            return guest.details();
        } catch (GuestAgentException e) {
            LOG.debug("guest details unavailable: {}", e.getMessage());
            return new GuestDetails(true, "", "", "", "");
        }
    }

    private void ended(VmEntry entry, RunningVm vm, String reason) {
        LOG.info("vm {}: QEMU ended: {}", entry.name(), reason);
        entry.ended(vm, reason);
        hostSwitch.detach(entry.name(), entry.definition().nics());
        try {
            Files.deleteIfExists(entry.vmPaths().qmpSocket());
            Files.deleteIfExists(entry.vmPaths().guestAgentSocket());
            Files.deleteIfExists(entry.vmPaths().consoleSocket());
            Files.deleteIfExists(entry.vmPaths().pidFile());
        } catch (IOException e) {
            LOG.debug("cleanup of {} sockets: {}", entry.name(), e.toString());
        }
    }

    private VmConfig config(VmEntry entry, String accelerator) {
        var def = entry.definition();
        return new VmConfig(def.name(), def.uuid(), def.cpus(), def.memoryBytes(), accelerator, def.machine(),
                entry.dir().resolve(DiskChain.read(entry.dir()).active()), optional(def.kernel()), optional(def.initrd()), def.cmdline(),
                entry.vmPaths(), def.mac()).withTenantNics(def.nics().stream().map(n -> new VmConfig.TenantNic(
                        "n" + n.index(), n.mac(), dev.virga.agent.network.HostSwitch.socket(entry.runDir(),
                        n.index()))).toList()).withPublish(def.publish());
    }

    private static Optional<Path> optional(String p) {
        return p.isEmpty() ? Optional.empty() : Optional.of(Path.of(p));
    }

    /**
     * Takes over what an earlier agent left in {@code dir}: a running QEMU is adopted; a directory without
     * {@code vm.json} is a creation that died half-way and is removed with any QEMU it started.
     */
    Optional<VmEntry> adopt(String name, Path dir) {
        var probe = new VmEntry(name, null, paths);
        var qemu = QemuProcess.find(probe.vmPaths().pidFile(), probe.vmPaths().qmpSocket());
        if (!Files.exists(dir.resolve(VmDefinition.FILE))) {
            LOG.warn("vm {}: removing a creation that never finished", name);
            qemu.ifPresent(ProcessHandle::destroyForcibly);
            Trees.delete(paths.runDir(name));
            Trees.delete(dir);
            return Optional.empty();
        }
        var entry = new VmEntry(name, VmDefinition.read(dir), paths);
        if (qemu.isEmpty()) {
            return Optional.of(entry);
        }
        QmpClient qmp;
        try {
            qmp = QmpClient.connect(entry.vmPaths().qmpSocket(), Duration.ofSeconds(5));
        } catch (QmpException e) {
            LOG.warn("vm {}: QEMU pid {} runs but its QMP does not answer ({}); killing it", name, qemu.get().pid(),
                    e.getMessage());
            qemu.get().destroyForcibly();
            return Optional.of(entry);
        }
        var vm = new RunningVm(name, new QemuProcess.Spawned(qemu.get(), Optional.empty(), qmp),
                new GuestLink(entry.vmPaths().guestAgentSocket()), (r, why) -> ended(entry, r, why));
        LiveMigration.cleanUpAfterAgent(name, qmp);
        var status = qmp.status();
        switch (status) {
            case "running", "paused" -> {
                entry.adopted(vm);
                attachNics(entry);
                LOG.info("vm {}: adopted QEMU pid {} ({})", name, qemu.get().pid(), status);
                if (status.equals("paused") && Files.exists(startingMarker(entry))) {
                    // the agent died after a saved state was loaded and before the guest was let run: nobody
                    // paused it, so it runs as that start meant it to
                    LOG.warn("vm {}: its start was interrupted after its state was loaded; resuming it", name);
                    try {
                        qmp.cont();
                    } catch (QmpException e) {
                        LOG.warn("vm {}: could not resume: {}", name, e.getMessage());
                    }
                }
                Trees.deleteQuietly(startingMarker(entry));
            }
            case "postmigrate", "finish-migrate" -> {
                if (LiveMigration.migratedAway(qmp)) {
                    // a live move completed while the agent was away: the guest runs on the other host now
                    LOG.warn("vm {}: QEMU pid {} sent its guest away by a live migration; ending it", name,
                            qemu.get().pid());
                    entry.adopted(vm);
                    vm.kill();
                    return Optional.of(entry);
                }
                // an agent died while saving a stateful snapshot: the guest was paused for it, let it run again
                entry.adopted(vm);
                attachNics(entry);
                LOG.warn("vm {}: adopted QEMU pid {} left in {} by a snapshot; resuming it", name, qemu.get().pid(),
                        status);
                try {
                    qmp.cont();
                } catch (QmpException e) {
                    LOG.warn("vm {}: could not resume: {}", name, e.getMessage());
                }
            }
            case "shutdown" -> {
                entry.adopted(vm);
                vm.kill();
                entry.ended(vm, "the guest powered off while the agent was away");
            }
            default -> {
                LOG.warn("vm {}: QEMU pid {} was left in state {} (a start was interrupted); killing it", name,
                        qemu.get().pid(), status);
                entry.adopted(vm);
                vm.kill();
            }
        }
        return Optional.of(entry);
    }

    private static long millisSince(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
