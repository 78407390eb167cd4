package dev.virga.qemu.accel;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides between KVM and TCG by booting the image's kernel and initramfs in probe mode
 * ({@code virga.probe}: the initramfs prints {@value #MARKER} and powers off). That /dev/kvm opens
 * proves little: under a nested or software hypervisor KVM_CREATE_VM works and the guest then hangs.
 */
public final class AcceleratorProbe {
  static final String MARKER = "VIRGA-PROBE-OK";
  static final String PROBE_CMDLINE = "console=ttyS0 quiet panic=-1 mitigations=off no_timer_check tsc=reliable"
      + " cryptomgr.notests nokaslr virga.probe";
  private static final Logger LOG = LoggerFactory.getLogger(AcceleratorProbe.class);
  private static final Path KVM_DEVICE = Path.of("/dev/kvm");
  private static final int OUTPUT_TAIL = 600;

  private AcceleratorProbe() {}

  public static ProbeResult probe(Path kernel, Path initrd, Duration bound) {
    long start = System.nanoTime();
    Optional<String> failure = kvmDeviceProblem()
        .or(() -> bootFailure("kvm", command(Accelerator.KVM, kernel, initrd), bound));
    ProbeResult result = failure.isEmpty()
        ? new ProbeResult(Accelerator.KVM, "kvm probe guest booted in " + since(start).toMillis() + " ms", since(start))
        : new ProbeResult(Accelerator.TCG, failure.get() + "; using tcg", since(start));
    LOG.info("accelerator {}: {}", result.accelerator().qemuArg(), result.reason());
    return result;
  }

  private static Duration since(long startNanos) {
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }

  /** Why /dev/kvm cannot be used; empty when it opens read-write. */
  static Optional<String> kvmDeviceProblem() {
    try (FileChannel ignored = FileChannel.open(KVM_DEVICE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      return Optional.empty();
    } catch (java.nio.file.NoSuchFileException e) {
      return Optional.of(KVM_DEVICE + " does not exist");
    } catch (java.nio.file.AccessDeniedException e) {
      return Optional.of("no permission to open " + KVM_DEVICE);
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return Optional.of("cannot open " + KVM_DEVICE + " (" + e + ")");
    }
  }

  static List<String> command(Accelerator accel, Path kernel, Path initrd) {
    return List.of("qemu-system-x86_64", "-accel", accel.qemuArg(), "-machine", "pc", "-m", "128",
        "-smp", "1", "-no-user-config", "-nodefaults", "-display", "none", "-no-reboot",
        "-kernel", kernel.toString(), "-initrd", initrd.toString(), "-append", PROBE_CMDLINE, "-serial", "stdio");
  }

  /**
   * Runs the probe guest (argv); empty when it printed the marker within bound, otherwise the
   * reason. The process is always gone when this returns.
   */
  static Optional<String> bootFailure(String accel, List<String> argv, Duration bound) {
    Process qemu;
    try {
      qemu = new ProcessBuilder(argv).redirectErrorStream(true)
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    } catch (IOException e) {
      return Optional.of("cannot start " + argv.getFirst() + " for the " + accel + " probe: " + e.getMessage());
    }
    StringBuilder output = new StringBuilder();
    CompletableFuture<Boolean> marker = CompletableFuture.supplyAsync(
        () -> readUntilMarker(qemu.getInputStream(), output), r -> Thread.ofVirtual().start(r));
    try {
      if (marker.get(bound.toMillis(), TimeUnit.MILLISECONDS)) {
        return Optional.empty();
      }
      qemu.waitFor(1, TimeUnit.SECONDS);
      return Optional.of(accel + " probe guest exited without booting" + exitCode(qemu) + ": " + tail(output));
    } catch (TimeoutException e) {
      return Optional.of(accel + " probe guest did not boot within " + seconds(bound));
    } catch (ExecutionException e) {
      return Optional.of(accel + " probe failed reading the guest console: " + e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of(accel + " probe interrupted");
    } finally {
      kill(qemu);
    }
  }

  static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() / 1000.0 + "s";
  }

  private static boolean readUntilMarker(InputStream in, StringBuilder output) {
    byte[] buf = new byte[4096];
    try (in) {
      for (int n; (n = in.read(buf)) > 0; ) {
        synchronized (output) {
          output.append(new String(buf, 0, n, StandardCharsets.UTF_8));
          if (output.indexOf(MARKER) >= 0) {
            return true;
          }
        }
      }
    } catch (IOException e) {
      // QEMU was killed while we read: no marker.
    }
    return false;
  }

  private static String exitCode(Process p) {
    return p.isAlive() ? "" : " (exit code " + p.exitValue() + ")";
  }

  private static String tail(StringBuilder output) {
    synchronized (output) {
      String s = output.toString().strip();
      return s.length() <= OUTPUT_TAIL ? s : "..." + s.substring(s.length() - OUTPUT_TAIL);
    }
  }

  private static void kill(Process qemu) {
    qemu.descendants().forEach(ProcessHandle::destroyForcibly); // helpers QEMU may have spawned
    qemu.destroyForcibly();
    try {
      if (!qemu.waitFor(5, TimeUnit.SECONDS)) {
        LOG.warn("probe QEMU pid {} did not exit after SIGKILL", qemu.pid());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
