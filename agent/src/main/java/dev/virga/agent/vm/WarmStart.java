package dev.virga.agent.vm;

import dev.virga.agent.AgentError;
import dev.virga.agent.storage.Trees;
import dev.virga.api.agent.VmSpec;
import dev.virga.qemu.ga.GuestAgentException;
import dev.virga.qemu.img.QemuImg;
import dev.virga.qemu.vm.QemuCommandLine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Whether a new VM resumes its image's warm state or boots, and, when it resumes, what makes the shared saved guest
 * the VM's own: its disk (a copy of the one the saved guest wrote), its tenant NICs (plugged in after the resume:
 * the state has only the provider NIC), then, once the guest agent answers, the clock, the disk's size, a reseeded
 * random generator, hostname, machine-id, the VM's MACs and DHCP leases.
 */
final class WarmStart {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(WarmStart.class);
    private static final int ENTROPY_BYTES = 64;
    private static final Duration IDENTITY_TIMEOUT = Duration.ofSeconds(60);
    private final WarmStates states;
    private final QemuImg qemuImg;
    private final String qemuVersion;
    private final VmLauncher launcher;
    private final SecureRandom random = new SecureRandom();

    WarmStart(WarmStates states, QemuImg qemuImg, String qemuVersion, VmLauncher launcher) {
        this.states = states;
        this.qemuImg = qemuImg;
        this.qemuVersion = qemuVersion;
        this.launcher = launcher;
    }

    /**
     * Resumes the image's warm state as the new VM {@code entry} if it has one that fits, and returns ""; otherwise
     * returns why not, and the caller boots the VM. A warm start that fails leaves no disk and no QEMU behind (and
     * says so in the reason).
     */
    String tryStart(VmSpec spec, VmEntry entry, Path imageDisk, String imageName, String accelerator) {
        var boot = choose(spec, imageName, accelerator, launcher.signature(entry, accelerator));
        if (!(boot instanceof Boot.Warm warm)) {
            return ((Boot.Cold) boot).reason();
        }
        var disk = entry.dir().resolve(DiskChain.FIRST);
        try (var held = warm.held()) {
            disk(held, imageDisk, disk);
            launcher.startWarm(entry, accelerator, held.memory(), held.ram(), held.state().guest(),
                    vm -> identity(vm, entry.definition(), held.state()));
            return "";
        } catch (RuntimeException e) {
            LOG.warn("vm {}: resuming the warm state of {} failed, booting it instead: {}", spec.name(), imageName,
                    e.getMessage());
            Trees.deleteQuietly(disk);
            return "resuming the warm state failed (" + e.getMessage() + ")";
        }
    }

    /** How a launch starts. */
    sealed interface Boot {
        /** Resume this warm state (read-locked until closed). */
        record Warm(WarmStates.Held held) implements Boot {
        }

        /** Boot; {@code reason} says why not warm (empty when resuming was never in question, as for a copy). */
        record Cold(String reason) implements Boot {
        }
    }

    /**
     * Warm when the image has a state of exactly this VM's vCPUs and memory, saved by this QEMU under this
     * accelerator with the same virtual hardware; otherwise cold, saying why.
     */
    Boot choose(VmSpec spec, String imageName, String accelerator, String signature) {
        if (spec.cold()) {
            return new Boot.Cold("asked for a cold boot");
        }
        var all = states.of(spec.imageFingerprint());
        if (all.isEmpty()) {
            return new Boot.Cold("image " + imageName + " has no warm state on this host (virga image warm "
                    + imageName + ")");
        }
        var held = states.hold(spec.imageFingerprint(), spec.cpus(), spec.memoryBytes());
        if (held.isEmpty()) {
            return new Boot.Cold("the warm states of image " + imageName + " are for " + all.stream()
                    .map(WarmState::describe).collect(Collectors.joining(", ")) + ", not " + spec.cpus() + " vCPU/"
                    + (spec.memoryBytes() >> 20) + " MiB");
        }
        var state = held.get().state();
        String mismatch = "";
        if (!state.accelerator().equals(accelerator)) {
            mismatch = "its warm state was saved under " + state.accelerator() + "; this host runs " + accelerator;
        } else if (!state.qemuVersion().equals(qemuVersion)) {
            mismatch = "its warm state was saved by QEMU " + state.qemuVersion() + "; this host runs " + qemuVersion
                    + " (warm the image again)";
        } else if (!state.signature().equals(signature)) {
            mismatch = "its warm state has other virtual hardware than this VM gets (saved by another version of "
                    + "Virga?); warm the image again";
        }
        if (!mismatch.isEmpty()) {
            held.get().close();
            return new Boot.Cold(mismatch);
        }
        return new Boot.Warm(held.get());
    }

    /** The new VM's first layer: a copy of the disk the saved guest wrote, over this host's copy of the image. */
    void disk(WarmStates.Held held, Path imageDisk, Path target) {
        try {
            Files.copy(held.disk(), target);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + held.disk() + " to " + target, e);
        }
        if (!held.state().backing().equals(imageDisk.toString())) {
            qemuImg.repoint(target, imageDisk, "qcow2");
        }
    }

    /**
     * Makes the resumed guest the VM's own, before anyone gets the VM: the clock set to now, the disk grown to the
     * VM's size, then the image's identity script (fresh randomness from here, hostname, machine-id, the VM's MACs
     * on its NICs, which the saved guest never brought up, and their DHCP leases).
     */
    void identity(RunningVm vm, VmDefinition def, WarmState state) {
        long sectors = 0;
        if (def.diskBytes() > state.diskVirtualSize()) {
            vm.qmp().execute("block_resize", Map.of("node-name", "vda", "size", def.diskBytes()));
            sectors = def.diskBytes() / 512;
        }
        var argv = new ArrayList<>(List.of(WarmMaker.IDENTITY, def.name(), String.valueOf(sectors)));
        // each NIC's lease, as its DHCP server (QEMU's user-mode network, the host's switch) hands it out
        argv.add(String.join(",", def.mac(), QemuCommandLine.PROVIDER_ADDRESS,
                netmask(QemuCommandLine.PROVIDER_PREFIX), QemuCommandLine.PROVIDER_GATEWAY, QemuCommandLine.PROVIDER_DNS));
        def.nics().forEach(n -> argv.add(String.join(",", n.mac(), n.ip(), netmask(n.prefix()), "-", "-")));
        try {
            long t0 = System.nanoTime();
            var result = vm.guest().call(ga -> ga.run(argv, clockAndEntropy(), IDENTITY_TIMEOUT));
            LOG.debug("vm {}: identity given in {} ms", def.name(), (System.nanoTime() - t0) / 1_000_000);
            if (result.exitCode() != 0) {
                throw AgentError.failed("the guest's " + WarmMaker.IDENTITY + " failed (exit " + result.exitCode()
                        + "): " + new String(result.stderr()).strip(), null);
            }
        } catch (GuestAgentException e) {
            throw AgentError.failed("the guest agent could not give the resumed guest its identity: "
                    + e.getMessage(), e);
        }
    }

    /** 24 -> 255.255.255.0 */
    static String netmask(int prefix) {
        long mask = prefix == 0 ? 0 : (0xffffffffL << (32 - prefix)) & 0xffffffffL;
        return (mask >> 24) + "." + ((mask >> 16) & 0xff) + "." + ((mask >> 8) & 0xff) + "." + (mask & 0xff);
    }

    /**
     * The identity script's stdin, for the guest's {@code wake}: this host's clock as a {@code struct timeval}
     * (seconds, microseconds; little endian), then fresh random bytes.
     */
    private byte[] clockAndEntropy() {
        var entropy = new byte[ENTROPY_BYTES];
        random.nextBytes(entropy);
        var now = java.time.Instant.now();
        return java.nio.ByteBuffer.allocate(16 + ENTROPY_BYTES).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putLong(now.getEpochSecond()).putLong(now.getNano() / 1000).put(entropy).array();
    }
}
