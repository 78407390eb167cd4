package dev.virga.qemu.accel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The probe's process handling, with shell stand-ins for QEMU so no guest is booted. */
class AcceleratorProbeTest {
  /** System-wide: a killed parent's children are re-parented to init, so they are no descendants of ours. */
  private static boolean anyRunning(String marker) {
    return ProcessHandle.allProcesses().anyMatch(p -> p.info().commandLine().orElse("").contains(marker));
  }

  @Test
  void markerOnTheConsoleMeansBootedAndTheProcessIsKilled() {
    Optional<String> failure = AcceleratorProbe.bootFailure("kvm",
        List.of("/bin/sh", "-c", "echo booting; echo VIRGA-PROBE-OK; sleep 30; : marker-ok"), Duration.ofSeconds(5));
    assertThat(failure).isEmpty();
    assertThat(anyRunning("marker-ok")).isFalse();
  }

  @Test
  void aHangingGuestTimesOutAndIsKilled() {
    long start = System.nanoTime();
    Optional<String> failure = AcceleratorProbe.bootFailure("kvm", List.of("/bin/sh", "-c", "/bin/sh -c 'sleep 30; : marker-child'; : marker-hang"),
        Duration.ofMillis(300));
    assertThat(failure).contains("kvm probe guest did not boot within 0.3s");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    assertThat(anyRunning("marker-hang")).isFalse();
    assertThat(anyRunning("marker-child")).isFalse();
  }

  @Test
  void aQemuThatExitsReportsItsOutput() {
    Optional<String> failure = AcceleratorProbe.bootFailure("kvm",
        List.of("/bin/sh", "-c", "echo 'Could not access KVM kernel module' >&2; exit 1"), Duration.ofSeconds(5));
    assertThat(failure).contains("kvm probe guest exited without booting (exit code 1): Could not access KVM kernel module");
  }

  @Test
  void aMissingQemuIsReported() {
    assertThat(AcceleratorProbe.bootFailure("kvm", List.of("/nonexistent/qemu"), Duration.ofSeconds(1)).orElseThrow())
        .startsWith("cannot start /nonexistent/qemu for the kvm probe");
  }

  @Test
  void probeCommandLine() {
    assertThat(AcceleratorProbe.command(Accelerator.KVM, Path.of("/i/vmlinux"), Path.of("/i/initrd.cpio")))
        .containsExactly("qemu-system-x86_64", "-accel", "kvm", "-machine", "pc", "-m", "128", "-smp", "1",
            "-no-user-config", "-nodefaults", "-display", "none", "-no-reboot", "-kernel", "/i/vmlinux",
            "-initrd", "/i/initrd.cpio", "-append",
            "console=ttyS0 quiet panic=-1 mitigations=off no_timer_check tsc=reliable cryptomgr.notests nokaslr virga.probe",
            "-serial", "stdio");
  }

  @Test
  void acceleratorArguments() {
    assertThat(Accelerator.KVM.qemuArg()).isEqualTo("kvm");
    assertThat(Accelerator.TCG.qemuArg()).isEqualTo("tcg");
  }

  @Test
  void secondsAreShort() {
    assertThat(AcceleratorProbe.seconds(Duration.ofSeconds(10))).isEqualTo("10s");
    assertThat(AcceleratorProbe.seconds(Duration.ofMillis(2500))).isEqualTo("2.5s");
  }
}
