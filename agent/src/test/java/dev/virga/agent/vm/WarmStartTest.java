package dev.virga.agent.vm;

import dev.virga.api.GuestDetails;
import dev.virga.api.agent.NicSpec;
import dev.virga.api.agent.VmSpec;
import dev.virga.qemu.img.QemuImg;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Which launches resume a warm state, and the reason every other one gives for booting. */
class WarmStartTest {
    private static final String FP = "ab".repeat(32);
    private static final String QEMU = "7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)";
    @TempDir
    Path images;

    private WarmStart start() {
        return new WarmStart(new WarmStates(images, images.resolve("run")), new QemuImg(), QEMU, null);
    }

    private void saved(int cpus, long memory, String accel, String qemu, String signature) throws Exception {
        var dir = images.resolve(FP).resolve(WarmStates.DIR).resolve(WarmState.shape(cpus, memory));
        Files.createDirectories(dir);
        new WarmState(FP, cpus, memory, "pc", accel, qemu, signature, 256L << 20, "/img/disk.qcow2",
                List.of("52:54:00:00:00:01"), 0, 1, 1, 1, 1, GuestDetails.unknown()).write(dir);
    }

    private static VmSpec spec(int cpus, long memory) {
        return VmSpec.fromImage("vm1", FP, cpus, memory, 256L << 20);
    }

    private static String cold(WarmStart.Boot boot) {
        assertThat(boot).isInstanceOf(WarmStart.Boot.Cold.class);
        return ((WarmStart.Boot.Cold) boot).reason();
    }

    @Test
    void exactlyTheSavedShapeOfThisQemuAcceleratorAndHardwareResumes() throws Exception {
        assertThat(cold(start().choose(spec(1, 256L << 20), "tiny", "tcg", "sig")))
                .isEqualTo("image tiny has no warm state on this host (virga image warm tiny)");
        saved(1, 256L << 20, "tcg", QEMU, "sig");
        var warm = start().choose(spec(1, 256L << 20), "tiny", "tcg", "sig");
        assertThat(warm).isInstanceOf(WarmStart.Boot.Warm.class);
        ((WarmStart.Boot.Warm) warm).held().close();
        // tenant NICs are plugged in after the resume: no reason to boot
        var nics = spec(1, 256L << 20).withNics(List.of(new NicSpec(0, "blue", 100, "02:00:00:00:00:01",
                "10.20.0.1", 24, "")));
        var withNics = start().choose(nics, "tiny", "tcg", "sig");
        assertThat(withNics).isInstanceOf(WarmStart.Boot.Warm.class);
        ((WarmStart.Boot.Warm) withNics).held().close();
    }

    @Test
    void everyOtherLaunchBootsAndSaysWhy() throws Exception {
        saved(1, 256L << 20, "tcg", QEMU, "sig");
        assertThat(cold(start().choose(spec(1, 256L << 20).withCold(true), "tiny", "tcg", "sig")))
                .isEqualTo("asked for a cold boot");
        assertThat(cold(start().choose(spec(2, 512L << 20), "tiny", "tcg", "sig")))
                .isEqualTo("the warm states of image tiny are for 1 vCPU/256 MiB, not 2 vCPU/512 MiB");
        assertThat(cold(start().choose(spec(1, 256L << 20), "tiny", "kvm", "sig")))
                .isEqualTo("its warm state was saved under tcg; this host runs kvm");
        assertThat(cold(start().choose(spec(1, 256L << 20), "tiny", "tcg", "other")))
                .contains("other virtual hardware");
        saved(1, 256L << 20, "tcg", "8.2.0", "sig");
        assertThat(cold(start().choose(spec(1, 256L << 20), "tiny", "tcg", "sig")))
                .isEqualTo("its warm state was saved by QEMU 8.2.0; this host runs " + QEMU + " (warm the image again)");
    }

    @Test
    @org.junit.jupiter.api.Timeout(20)
    void aColdReasonReleasesTheStateForItsReplacement() throws Exception {
        saved(1, 256L << 20, "tcg", QEMU, "sig");
        var states = new WarmStates(images, images.resolve("run"));
        var ws = new WarmStart(states, new QemuImg(), QEMU, null);
        cold(ws.choose(spec(1, 256L << 20), "tiny", "kvm", "sig"));
        // the read lock taken to look at the state was given back: deleting it does not block
        assertThat(states.delete(FP, 1, 256L << 20)).isTrue();
        assertThat(states.of(FP)).isEmpty();
    }

    @Test
    void netmasksFromPrefixes() {
        assertThat(WarmStart.netmask(24)).isEqualTo("255.255.255.0");
        assertThat(WarmStart.netmask(30)).isEqualTo("255.255.255.252");
        assertThat(WarmStart.netmask(8)).isEqualTo("255.0.0.0");
        assertThat(WarmStart.netmask(32)).isEqualTo("255.255.255.255");
    }
}
