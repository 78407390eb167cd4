package dev.virga.qemu.image;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the {@code tiny} image is made of. Everything here feeds the fingerprint: change a script, a
 * module or the command line and the next build makes a new image instead of reusing the old one.
 */
final class TinyRecipe {
  /** Bump when the build procedure changes in a way the inputs below do not show. */
  static final String VERSION = "2";
  static final String NAME = "tiny";
  static final String KERNEL_METAPACKAGE = "linux-image-cloud-amd64";
  static final List<String> PACKAGES = List.of("busybox-static", "qemu-guest-agent", "e2fsprogs");
  /** Dynamically linked programs copied from the packages, with the libraries they need. */
  static final List<String> PROGRAMS = List.of("usr/sbin/qemu-ga", "sbin/resize2fs");
  /**
   * Modules the initramfs loads; their dependencies are added before them. virtio-rng avoids an early
   * /dev/urandom stall under TCG; button + evdev let acpid see the power button.
   */
  static final List<String> MODULES = List.of("virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio_ring",
      "virtio", "virtio_pci", "virtio_blk", "failover", "net_failover", "virtio_net", "virtio_console",
      "virtio_balloon", "virtio-rng", "button", "evdev");
  /** quiet..nokaslr save boot time under TCG; panic=-1 turns a guest panic into a reset, not a hang. */
  static final String CMDLINE = "console=ttyS0 root=/dev/vda quiet mitigations=off no_timer_check tsc=reliable"
      + " cryptomgr.notests nokaslr panic=-1";
  static final long VIRTUAL_SIZE = 256L * 1024 * 1024;
  /** Timestamp of every file in the initramfs and on the root disk, for byte-identical rebuilds. */
  static final long SOURCE_DATE_EPOCH = 1735689600L; // 2025-01-01T00:00:00Z

  /** A file of the root filesystem that comes from this module's resources. */
  record RootFile(String resource, String path, int mode) {}

  static final List<RootFile> ROOT_FILES = List.of(
      new RootFile("inittab", "etc/inittab", 0644),
      new RootFile("rcS", "etc/init.d/rcS", 0755),
      new RootFile("network-up", "usr/lib/virga/network-up", 0755),
      new RootFile("identity", "usr/lib/virga/identity", 0755),
      new RootFile("udhcpc-tenant", "etc/udhcpc/tenant.script", 0755),
      new RootFile("udhcpc-provider", "etc/udhcpc/provider.script", 0755),
      new RootFile("rcK", "etc/init.d/rcK", 0755),
      new RootFile("qemu-ga", "etc/init.d/qemu-ga", 0755),
      new RootFile("shutdown", "sbin/shutdown", 0755),
      new RootFile("acpi-power-button", "etc/acpi/PWRF/00000080", 0755),
      new RootFile("os-release", "etc/os-release", 0644),
      new RootFile("profile", "etc/profile", 0644),
      new RootFile("passwd", "etc/passwd", 0644),
      new RootFile("group", "etc/group", 0644),
      new RootFile("shadow", "etc/shadow", 0600),
      new RootFile("hostname", "etc/hostname", 0644));
  static final String INITRAMFS_INIT = "init";

  private TinyRecipe() {}

  static byte[] resource(String name) {
    try (InputStream in = TinyRecipe.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new ImageBuildException("image recipe resource " + name + " is missing from the classpath");
      }
      byte[] raw = in.readAllBytes();
      return name.equals("os-release")
          ? new String(raw, StandardCharsets.UTF_8).replace("@VERSION@", VERSION).getBytes(StandardCharsets.UTF_8)
          : raw;
    } catch (IOException e) {
      throw new ImageBuildException("cannot read image recipe resource " + name + ": " + e.getMessage(), e);
    }
  }

  /** Every resource by name, as it goes into the image. */
  static Map<String, byte[]> resources() {
    Map<String, byte[]> out = new TreeMap<>();
    out.put(INITRAMFS_INIT, resource(INITRAMFS_INIT));
    for (RootFile f : ROOT_FILES) {
      out.put(f.resource(), resource(f.resource()));
    }
    out.put(WakeProgram.PATH, WakeProgram.elf());
    return out;
  }

  /** The settings that shape the image besides packages and scripts. */
  static Map<String, String> settings() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("recipe", NAME + "-" + VERSION);
    s.put("cmdline", CMDLINE);
    s.put("modules", String.join(",", MODULES));
    s.put("programs", String.join(",", PROGRAMS));
    s.put("virtualSize", Long.toString(VIRTUAL_SIZE));
    s.put("sourceDateEpoch", Long.toString(SOURCE_DATE_EPOCH));
    List<String> files = new ArrayList<>();
    ROOT_FILES.forEach(f -> files.add(f.resource() + ">" + f.path() + ":" + Integer.toOctalString(f.mode())));
    s.put("rootFiles", String.join(",", files));
    return s;
  }

  static String osName() {
    return "Virga tiny " + VERSION + " (Debian 12 packages)";
  }

  /** The exact packages the image is made of: the kernel, the tools, and their libraries. */
  static List<DebPackage> resolvePackages(AptArchive apt) {
    List<String> first = new ArrayList<>(List.of(KERNEL_METAPACKAGE));
    first.addAll(PACKAGES);
    List<DebPackage> shown = apt.show(first);
    DebPackage meta = shown.getFirst();
    String kernelName = meta.dependencies().stream().filter(d -> d.startsWith("linux-image-")).findFirst()
        .orElseThrow(() -> new ImageBuildException(KERNEL_METAPACKAGE + " " + meta.version()
            + " depends on no linux-image-* package: " + meta.dependencies()));
    // The kernel rides along with the first round of library look-ups: one apt-cache call less.
    return apt.libraryClosure(shown.subList(1, shown.size()), List.of(kernelName));
  }

  /** The recipe inputs that decide which packages are resolved. */
  static List<String> packageRoots() {
    List<String> roots = new ArrayList<>(List.of(KERNEL_METAPACKAGE));
    roots.addAll(PACKAGES);
    return roots;
  }

  static DebPackage kernelPackage(List<DebPackage> packages) {
    return packages.stream().filter(p -> p.name().startsWith("linux-image-")).findFirst()
        .orElseThrow(() -> new ImageBuildException("no kernel package among " + packages));
  }
}
