package dev.virga.qemu.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.virga.qemu.accel.Accelerator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class QemuCommandLineTest {
    private static final Path GOLDEN = Path.of("src/test/resources/golden/tiny-tcg.args");
    private static final String UUID = "3f2b0c3e-7a7e-4a55-9d0c-1b2a3c4d5e6f";
    private static final Path RUN = Path.of("/var/lib/virga/instances/tiny-1");

    static VmConfig tiny(Path runDir, Optional<Path> kernel, Optional<Path> initrd, String cmdline) {
        return new VmConfig("tiny-1", UUID, 1, 128L * 1024 * 1024, Accelerator.TCG, "pc", runDir.resolve("disk.qcow2"),
                kernel, initrd, cmdline, VmPaths.in(runDir), QemuCommandLine.macFor(UUID));
    }

    /** Regenerate with {@code -Dgolden.update=true} after a deliberate change, and review the diff. */
    @Test
    void tinyTcgCommandLineMatchesTheGoldenFile() throws IOException {
        Path images = Path.of("/var/lib/virga/images/0123abcd");
        List<String> args = QemuCommandLine.build(Path.of("/usr/bin/qemu-system-x86_64"),
                tiny(RUN, Optional.of(images.resolve("vmlinux")), Optional.of(images.resolve("initrd.cpio")),
                        "console=ttyS0 quiet mitigations=off root=/dev/vda"));
        String actual = String.join("\n", args) + "\n";
        if (Boolean.getBoolean("golden.update")) {
            Files.writeString(GOLDEN, actual, StandardCharsets.UTF_8);
        }
        assertThat(actual).isEqualTo(Files.readString(GOLDEN, StandardCharsets.UTF_8));
    }

    @Test
    void tenantNicsComeAfterTheProviderNicAsStreamServersWithTheirOwnMacs() {
        var config = tiny(RUN, Optional.empty(), Optional.empty(), "").withTenantNics(List.of(
                new VmConfig.TenantNic("n0", "52:54:00:00:00:10", RUN.resolve("n0.sock")),
                new VmConfig.TenantNic("n1", "52:54:00:00:00:11", RUN.resolve("n1.sock"))));
        String line = String.join(" ", QemuCommandLine.build(Path.of("qemu"), config));
        assertThat(line).contains("-netdev user,id=net0 -device virtio-net-pci,netdev=net0,mac="
                + config.macAddress() + ",id=net0-dev,addr=0x3 -netdev stream,id=n0,server=on,addr.type=unix,addr.path="
                + RUN.resolve("n0.sock") + " -device virtio-net-pci,netdev=n0,mac=52:54:00:00:00:10,id=n0-dev,addr=0x10 "
                + "-netdev stream,id=n1,server=on,addr.type=unix,addr.path=" + RUN.resolve("n1.sock")
                + " -device virtio-net-pci,netdev=n1,mac=52:54:00:00:00:11,id=n1-dev,addr=0x11");
        // plugged in later, a NIC is the same backend and device, in the same slot
        var plug = QemuCommandLine.hotPlug(config.tenantNics().get(1), 1);
        assertThat(plug.netdev()).containsEntry("type", "stream").containsEntry("id", "n1").containsEntry("server", true)
                .containsEntry("addr", java.util.Map.of("type", "unix", "path", RUN.resolve("n1.sock").toString()));
        assertThat(plug.device()).containsEntry("driver", "virtio-net-pci").containsEntry("netdev", "n1")
                .containsEntry("mac", "52:54:00:00:00:11").containsEntry("id", "n1-dev").containsEntry("addr", "0x11");
        assertThatThrownBy(() -> config.withTenantNics(List.of(
                new VmConfig.TenantNic("n0", config.macAddress(), RUN.resolve("n0.sock")))))
                .hasMessageContaining("own MAC");
    }

    @Test
    void publishedPortsAreHostForwardsOfTheProviderNic() {
        var config = tiny(RUN, Optional.empty(), Optional.empty(), "").withPublish(List.of(
                dev.virga.api.PublishedPort.parse("127.0.0.1:18080:80"),
                dev.virga.api.PublishedPort.parse("5353:53/udp")));
        String line = String.join(" ", QemuCommandLine.build(Path.of("qemu"), config));
        assertThat(line).contains("-netdev user,id=net0,hostfwd=tcp:127.0.0.1:18080-:80,hostfwd=udp:0.0.0.0:5353-:53 "
                + "-device virtio-net-pci,netdev=net0,mac=" + config.macAddress());
    }

    @Test
    void theDeviceSignatureKeepsTheHardwareAndDropsWhatIsTheVmsOwn() {
        var kernel = Optional.of(Path.of("/a/vmlinux"));
        var one = tiny(RUN, kernel, Optional.empty(), "root=/dev/vda virga.hostname=one");
        var other = new VmConfig("other", "9f2b0c3e-7a7e-4a55-9d0c-1b2a3c4d5e6f", 1, 128L << 20, Accelerator.TCG, "pc",
                Path.of("/elsewhere/disk.qcow2"), Optional.of(Path.of("/b/vmlinux")), Optional.empty(),
                "root=/dev/vda virga.hostname=other", VmPaths.in(Path.of("/run/x")), QemuCommandLine.macFor("other"))
                .withPublish(List.of(dev.virga.api.PublishedPort.parse("8080:80")));
        assertThat(QemuCommandLine.deviceSignature(other)).isEqualTo(QemuCommandLine.deviceSignature(one))
                .contains("-smp 1", "-m 128", "virtio-net-pci", "vmgenid").doesNotContain("tiny-1", "other", UUID);
        var bigger = new VmConfig("other", UUID, 2, 128L << 20, Accelerator.TCG, "pc", one.disk(), kernel,
                Optional.empty(), "", VmPaths.in(RUN), one.macAddress());
        var tenant = one.withTenantNics(List.of(new VmConfig.TenantNic("n0", "02:00:00:00:00:10", RUN.resolve("n0.sock"))));
        assertThat(QemuCommandLine.deviceSignature(bigger)).isNotEqualTo(QemuCommandLine.deviceSignature(one));
        assertThat(QemuCommandLine.deviceSignature(tenant)).isNotEqualTo(QemuCommandLine.deviceSignature(one));
    }

    @Test
    void ramInAFileIsABackendNamedLikeTheRamOfMinusM() {
        var config = tiny(RUN, Optional.empty(), Optional.empty(), "").withMemoryFile(Path.of("/w/ram.bin"), false);
        String line = String.join(" ", QemuCommandLine.build(Path.of("qemu"), config));
        assertThat(line).contains("-m 128 -object memory-backend-file,id=pc.ram,size=128M,mem-path=/w/ram.bin,share=off "
                + "-machine memory-backend=pc.ram");
        var shared = config.withMemoryFile(Path.of("/w/ram.bin"), true);
        assertThat(String.join(" ", QemuCommandLine.build(Path.of("qemu"), shared))).contains("share=on");
        assertThat(QemuCommandLine.deviceSignature(shared)).isEqualTo(QemuCommandLine.deviceSignature(
                tiny(RUN, Optional.empty(), Optional.empty(), ""))).doesNotContain("memory-backend");
    }

    @Test
    void sameConfigGivesTheSameCommandLine() {
        var config = tiny(RUN, Optional.empty(), Optional.empty(), "");
        assertThat(QemuCommandLine.build(Path.of("qemu"), config)).isEqualTo(QemuCommandLine.build(Path.of("qemu"), config));
    }

    @Test
    void withoutAKernelThereIsNoKernelInitrdOrAppend() {
        List<String> args = QemuCommandLine.build(Path.of("qemu"), tiny(RUN, Optional.empty(), Optional.empty(), ""));
        assertThat(args).doesNotContain("-kernel", "-initrd", "-append").contains("-S", "-no-shutdown");
    }

    @Test
    void kvmSelectsTheAcceleratorButKeepsAPortableCpuModel() {
        var base = tiny(RUN, Optional.empty(), Optional.empty(), "");
        var kvm = new VmConfig(base.name(), base.uuid(), 2, base.memoryBytes(), "kvm", "q35", base.disk(), base.kernel(),
                base.initrd(), base.kernelCmdline(), base.paths(), base.macAddress());
        String line = String.join(" ", QemuCommandLine.build(Path.of("qemu"), kvm));
        assertThat(line).contains("-machine q35 -accel kvm -cpu qemu64 -smp 2 -m 128");
    }

    @Test
    void commasInPathsAreDoubledInsideOptionStringsOnly() {
        Path run = Path.of("/srv/odd,dir");
        var config = tiny(run, Optional.of(run.resolve("vmlinux")), Optional.empty(), "");
        List<String> args = QemuCommandLine.build(Path.of("qemu"), config);
        assertThat(args).contains("unix:/srv/odd,,dir/qmp.sock,server=on,wait=off",
                "driver=file,filename=/srv/odd,,dir/disk.qcow2,node-name=vda-file,cache.direct=off",
                "/srv/odd,dir/vmlinux", "/srv/odd,dir/qemu.pid");
    }

    @Test
    void tooLongSocketPathIsRefusedNamingIt() {
        Path deep = Path.of("/tmp/" + "d".repeat(100));
        assertThatThrownBy(() -> QemuCommandLine.build(Path.of("qemu"), tiny(deep, Optional.empty(), Optional.empty(), "")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(deep.resolve("qmp.sock").toString());
    }

    @Test
    void invalidConfigsAreRefusedNamingTheValue() {
        var ok = tiny(RUN, Optional.empty(), Optional.empty(), "");
        assertThatThrownBy(() -> new VmConfig("bad,name", ok.uuid(), 1, ok.memoryBytes(), "tcg", "pc", ok.disk(),
                Optional.empty(), Optional.empty(), "", ok.paths(), ok.macAddress())).hasMessageContaining("bad,name");
        assertThatThrownBy(() -> new VmConfig("vm", "not-a-uuid", 1, ok.memoryBytes(), "tcg", "pc", ok.disk(),
                Optional.empty(), Optional.empty(), "", ok.paths(), ok.macAddress())).hasMessageContaining("not-a-uuid");
        assertThatThrownBy(() -> new VmConfig("vm", UUID, 1, 100_000_000L, "tcg", "pc", ok.disk(),
                Optional.empty(), Optional.empty(), "", ok.paths(), ok.macAddress())).hasMessageContaining("100000000");
        assertThatThrownBy(() -> new VmConfig("vm", UUID, 1, ok.memoryBytes(), "hvf", "pc", ok.disk(),
                Optional.empty(), Optional.empty(), "", ok.paths(), ok.macAddress())).hasMessageContaining("hvf");
        assertThatThrownBy(() -> new VmConfig("vm", UUID, 0, ok.memoryBytes(), "tcg", "pc", ok.disk(),
                Optional.empty(), Optional.empty(), "", ok.paths(), ok.macAddress())).hasMessageContaining("cpus 0");
        assertThatThrownBy(() -> new VmConfig("vm", UUID, 1, ok.memoryBytes(), "tcg", "pc", ok.disk(),
                Optional.empty(), Optional.of(Path.of("/i")), "", ok.paths(), ok.macAddress())).hasMessageContaining("/i");
        assertThatThrownBy(() -> new VmConfig("vm", UUID, 1, ok.memoryBytes(), "tcg", "pc", ok.disk(),
                Optional.empty(), Optional.empty(), "", ok.paths(), "52:54:00:AA:BB")).hasMessageContaining("52:54:00:AA:BB");
    }

    @Test
    void macForIsStableLocallyAdministeredUnicastAndSpreads() {
        String mac = QemuCommandLine.macFor(UUID);
        assertThat(mac).matches("52:54:00:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}").isEqualTo(QemuCommandLine.macFor(UUID));
        int first = Integer.parseInt(mac.substring(0, 2), 16);
        assertThat(first & 0x02).as("locally administered").isEqualTo(0x02);
        assertThat(first & 0x01).as("unicast").isZero();
        assertThat(java.util.stream.IntStream.range(0, 1000).mapToObj(i -> QemuCommandLine.macFor("vm" + i)).distinct())
                .hasSizeGreaterThan(990).doesNotContain("52:54:00:12:34:56");
    }

    @Test
    void shellQuotedIsRunnableAsIs() {
        assertThat(QemuCommandLine.shellQuoted(List.of("qemu", "-name", "vm1,debug-threads=on", "-append",
                "console=ttyS0 quiet", "it's", "")))
                .isEqualTo("qemu -name vm1,debug-threads=on -append 'console=ttyS0 quiet' 'it'\\''s' ''");
    }

    @Test
    void vmPathsUseTheStandardNamesInTheRunDirectory() {
        assertThat(VmPaths.in(RUN)).isEqualTo(new VmPaths(RUN.resolve("qmp.sock"), RUN.resolve("ga.sock"),
                RUN.resolve("console.sock"), RUN.resolve("serial.log"), RUN.resolve("qemu.pid")));
    }
}
