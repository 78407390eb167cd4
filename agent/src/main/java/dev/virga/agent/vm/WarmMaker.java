package dev.virga.agent.vm;

import dev.virga.agent.AgentError;
import dev.virga.agent.Undo;
import dev.virga.agent.storage.ImageStore;
import dev.virga.agent.storage.Trees;
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
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * Makes an image's warm state: boots the image once (with {@code virga.warm}, so the guest leaves its NICs alone),
 * waits until the guest is ready and idle, and saves its memory and devices with the disk it wrote, so that
 * launches resume it instead of booting.
 */
final class WarmMaker {
    private static final Logger LOG = LoggerFactory.getLogger(WarmMaker.class);
    /** What the guest runs to take a launch's identity; without it no launch could safely share the state. */
    static final String IDENTITY = "/usr/lib/virga/identity";
    private static final Duration IDLE_LIMIT = Duration.ofSeconds(20);
    private static final long SAMPLE_MILLIS = 250;
    /** QEMU's CPU use over a sample below which the guest counts as idle (an idle TCG guest uses 1-3 %). */
    private static final double IDLE_SHARE = 0.10;
    private static final int IDLE_SAMPLES = 4;

    private final VmLauncher launcher;
    private final QemuImg qemuImg;
    private final WarmStates states;
    private final String qemuVersion;

    WarmMaker(VmLauncher launcher, QemuImg qemuImg, WarmStates states, String qemuVersion) {
        this.launcher = launcher;
        this.qemuImg = qemuImg;
        this.states = states;
        this.qemuVersion = qemuVersion;
    }

    /** One guest per image and shape at a time: they would share a run directory. */
    private final java.util.concurrent.ConcurrentHashMap<String, Object> making =
            new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Makes the warm state of that shape (replacing one there is); with {@code onlyIfMissing}, a state this host
     * could resume as it is stays and is returned.
     */
    WarmState make(ImageStore.Stored image, int cpus, long memoryBytes, String accelerator, boolean onlyIfMissing) {
        var key = image.manifest().fingerprint() + "/" + WarmState.shape(cpus, memoryBytes);
        synchronized (making.computeIfAbsent(key, k -> new Object())) {
            var manifest = image.manifest();
            if (image.kernel().isEmpty()) {
                throw AgentError.badInput("image", "image " + manifest.name() + " boots from its own disk; warm "
                        + "states are made of images that boot a kernel (virga.warm on its command line keeps the "
                        + "saved guest from setting up its NICs)");
            }
            var name = "warm-" + manifest.fingerprint().substring(0, 12);
            var def = new VmDefinition(name, UUID.randomUUID().toString(), manifest.fingerprint(), cpus, memoryBytes,
                    manifest.virtualSize(), QemuCommandLine.macFor(name + "/" + WarmState.shape(cpus, memoryBytes)),
                    "pc", image.kernel().map(Path::toString).orElse(""), image.initrd().map(Path::toString).orElse(""),
                    manifest.cmdline() + " virga.warm", "", "", List.of(), List.of());
            if (onlyIfMissing) {
                var signature = launcher.signature(new VmEntry(name, def, image.dir(), image.dir()), accelerator);
                var usable = states.of(manifest.fingerprint()).stream().filter(s -> s.cpus() == cpus
                        && s.memoryBytes() == memoryBytes && s.accelerator().equals(accelerator)
                        && s.qemuVersion().equals(qemuVersion) && s.signature().equals(signature)).findFirst();
                if (usable.isPresent()) {
                    return usable.get();
                }
            }
            return makeNow(image, def, accelerator);
        }
    }

    private WarmState makeNow(ImageStore.Stored image, VmDefinition def, String accelerator) {
        var manifest = image.manifest();
        var fingerprint = manifest.fingerprint();
        int cpus = def.cpus();
        long memoryBytes = def.memoryBytes();
        var work = states.workDir(fingerprint);
        try (var undo = new Undo()) {
            undo.push("remove " + work, () -> Trees.delete(work));
            var run = states.runDir(fingerprint, cpus, memoryBytes);
            undo.push("remove " + run, () -> Trees.delete(run));
            var disk = work.resolve(WarmState.DISK);
            qemuImg.createOverlay(image.disk(), "qcow2", disk, OptionalLong.empty());
            var entry = new VmEntry(def.name(), def, work, run);
            long t0 = System.nanoTime();
            var ram = work.resolve(WarmState.RAM);
            launcher.startTemplate(entry, accelerator, ram);
            var vm = entry.running();
            undo.push("end the guest of " + work, vm::kill);
            long booted = millisSince(t0);
            requireIdentityScript(vm, manifest.name());
            // the disk as the saved guest knows it, written out
            exec(vm, List.of("sync"));
            long idleMillis = awaitIdle(vm);
            // what the saved guest's agent says of it (version, OS, kernel): every VM resumed from it says the same
            var guest = vm.guest().details();
            long t1 = System.nanoTime();
            vm.qmp().stop();
            Migration.toFile(vm.qmp(), work.resolve(WarmState.STATE), true);
            vm.kill();
            // the RAM went into the file through QEMU's shared mapping: on disk before any VM maps it
            try (var channel = java.nio.channels.FileChannel.open(ram, java.nio.file.StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            long saved = millisSince(t1);
            for (var extra : List.of(VmMemo.FILE, "qemu.argv.json")) {
                Files.deleteIfExists(work.resolve(extra));
            }
            var state = new WarmState(fingerprint, cpus, memoryBytes, def.machine(), accelerator, qemuVersion,
                    launcher.signature(entry, accelerator), manifest.virtualSize(), image.disk().toString(),
                    List.of(def.mac()), System.currentTimeMillis(), Files.size(work.resolve(WarmState.STATE))
                            + allocated(ram),
                    booted, idleMillis, saved, guest);
            state.write(work);
            states.commit(work, state);
            Trees.delete(run);
            undo.keep();
            LOG.info("image {}: warm state {} made (boot {} ms, idle after {} ms more, saved {} MiB in {} ms)",
                    manifest.name(), state.shape(), booted, idleMillis, state.stateBytes() >> 20, saved);
            return state;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make the warm state of " + manifest.name(), e);
        }
    }

    private static void requireIdentityScript(RunningVm vm, String image) {
        if (exec(vm, List.of("test", "-x", IDENTITY)) != 0) {
            throw AgentError.badInput("image", "the guest of image " + image + " has no " + IDENTITY
                    + ": a VM resumed from a warm state needs it to take an identity of its own (hostname, MACs, "
                    + "machine-id, a reseeded random generator)");
        }
    }

    private static int exec(RunningVm vm, List<String> argv) {
        try {
            return vm.guest().call(ga -> ga.run(argv, new byte[0], Duration.ofSeconds(30))).exitCode();
        } catch (GuestAgentException e) {
            throw AgentError.failed("the guest agent could not run " + argv + ": " + e.getMessage(), e);
        }
    }

    /**
     * Waits until QEMU has used less than {@value #IDLE_SHARE} of a core for {@value #IDLE_SAMPLES} samples in a
     * row (the guest finished what its boot started in the background), at most {@link #IDLE_LIMIT}.
     */
    private static long awaitIdle(RunningVm vm) {
        long t0 = System.nanoTime();
        long deadline = t0 + IDLE_LIMIT.toNanos();
        long last = CpuTime.ticks(vm.pid());
        int quiet = 0;
        while (quiet < IDLE_SAMPLES && System.nanoTime() < deadline) {
            QemuProcess.sleep(SAMPLE_MILLIS);
            long now = CpuTime.ticks(vm.pid());
            double share = (now - last) * CpuTime.MILLIS_PER_TICK / (double) SAMPLE_MILLIS;
            quiet = share < IDLE_SHARE ? quiet + 1 : 0;
            last = now;
        }
        if (quiet < IDLE_SAMPLES) {
            LOG.info("vm {}: the guest was not idle within {} s; saving it as it is", vm.name(), IDLE_LIMIT.toSeconds());
        }
        return millisSince(t0);
    }

    /** Bytes a sparse file really takes (the RAM file has holes wherever the guest's memory is zero). */
    private static long allocated(Path file) throws IOException {
        try {
            var p = new ProcessBuilder("stat", "--format=%b %B", file.toString()).redirectErrorStream(true).start();
            var out = new String(p.getInputStream().readAllBytes()).strip().split(" ");
            if (p.waitFor() == 0 && out.length == 2) {
                return Long.parseLong(out[0]) * Long.parseLong(out[1]);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (NumberFormatException e) {
            // the apparent size below
        }
        return Files.size(file);
    }

    private static long millisSince(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    /** A process's CPU time from {@code /proc/PID/stat} (user + system, in clock ticks of 10 ms). */
    static final class CpuTime {
        static final long MILLIS_PER_TICK = 10;

        private CpuTime() {
        }

        static long ticks(long pid) {
            try {
                var stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
                // the command name may hold spaces and parentheses: fields are counted after the last ')'
                var fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            } catch (IOException | RuntimeException e) {
                return 0;
            }
        }
    }
}
