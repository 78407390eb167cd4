package dev.virga.qemu.image;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Stream;

/** One run of the tiny recipe: unpacks the packages in work and writes the image files into out. */
final class TinyBuild {
  static final String KERNEL_FILE = "vmlinux";
  static final String INITRD_FILE = "initrd.cpio";
  static final String DISK_FILE = "disk.qcow2";

  private final HostTools tools;
  private final AptArchive apt;
  private final Path debCache;
  private final Consumer<String> progress;

  TinyBuild(HostTools tools, AptArchive apt, Path debCache, Consumer<String> progress) {
    this.tools = tools;
    this.apt = apt;
    this.debCache = debCache;
    this.progress = progress;
  }

  ImageManifest run(List<DebPackage> packages, String fingerprint, Path work, Path out) throws IOException {
    Map<String, Path> debs = apt.download(packages, debCache, progress);
    DebPackage kernelPackage = TinyRecipe.kernelPackage(packages);
    Path kernelRoot = work.resolve("kernel");
    Path sysroot = work.resolve("sysroot");
    progress.accept("unpacking " + kernelPackage.name());
    apt.extract(debs.get(kernelPackage.name()), kernelRoot);
    progress.accept("unpacking " + (packages.size() - 1) + " packages");
    for (DebPackage p : packages) {
      if (p != kernelPackage) {
        apt.extract(debs.get(p.name()), sysroot);
      }
    }
    String release = kernelRelease(kernelRoot);
    progress.accept("extracting vmlinux from the " + release + " bzImage");
    Vmlinux.extract(kernelRoot.resolve("boot/vmlinuz-" + release), out.resolve(KERNEL_FILE), work, tools);

    progress.accept("making initramfs");
    Map<String, Path> modules = KernelModules.resolve(TinyRecipe.MODULES,
        KernelModules.index(kernelRoot.resolve("lib/modules/" + release)));
    byte[] busybox = Files.readAllBytes(sysroot.resolve("bin/busybox"));
    Cpio initramfs = Initramfs.contents(busybox, TinyRecipe.resource(TinyRecipe.INITRAMFS_INIT), modules,
        TinyRecipe.SOURCE_DATE_EPOCH);
    try (OutputStream o = Files.newOutputStream(out.resolve(INITRD_FILE))) {
      initramfs.writeTo(o);
    }

    progress.accept("making root filesystem");
    RootFilesystem root = new RootFilesystem(tools, work.resolve("rootfs"));
    stageRoot(root, sysroot);
    progress.accept("making ext4 disk and converting it to qcow2");
    root.makeDisk(work.resolve("disk.raw"), out.resolve(DISK_FILE), fingerprint, TinyRecipe.VIRTUAL_SIZE,
        TinyRecipe.SOURCE_DATE_EPOCH);

    Map<String, String> versions = new TreeMap<>();
    packages.forEach(p -> versions.put(p.name(), p.version()));
    return new ImageManifest(TinyRecipe.NAME, fingerprint, TinyRecipe.osName(), release, TinyRecipe.CMDLINE,
        KERNEL_FILE, INITRD_FILE, DISK_FILE, TinyRecipe.VIRTUAL_SIZE, Instant.now(), versions);
  }

  private void stageRoot(RootFilesystem root, Path sysroot) throws IOException {
    root.directories();
    SharedLibraries libs = new SharedLibraries(sysroot);
    Map<String, Path> libraries = libs.closure(TinyRecipe.PROGRAMS); // fails first if a program is missing
    root.copy("bin/busybox", sysroot.resolve("bin/busybox"), 0755);
    for (String program : TinyRecipe.PROGRAMS) {
      root.copy(program, libs.resolve(program).orElseThrow(), 0755);
    }
    root.libraries(libraries);
    for (TinyRecipe.RootFile f : TinyRecipe.ROOT_FILES) {
      root.put(f.path(), TinyRecipe.resource(f.resource()), f.mode());
    }
    root.put(WakeProgram.PATH, WakeProgram.elf(), 0755);
    // Tools look for these under their traditional names.
    root.symlink("etc/mtab", "/proc/self/mounts");
    root.symlink("var/run", "/run");
    root.applets(appletPaths(sysroot.resolve("bin/busybox")));
  }

  /** Asks the (static) busybox from the package which applets it has, e.g. "sbin/acpid". */
  private static List<String> appletPaths(Path busybox) {
    String list = HostCommand.run(List.of(busybox.toString(), "--list-full"));
    return list.lines().map(String::strip).filter(l -> !l.isEmpty()).sorted().toList();
  }

  /** The release is in the kernel's file name: boot/vmlinuz-RELEASE. */
  static String kernelRelease(Path kernelRoot) throws IOException {
    try (Stream<Path> boot = Files.list(kernelRoot.resolve("boot"))) {
      List<String> releases = boot.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("vmlinuz-"))
          .map(n -> n.substring("vmlinuz-".length())).toList();
      if (releases.size() != 1) {
        throw new ImageBuildException("expected one vmlinuz in the kernel package, found " + releases);
      }
      return releases.getFirst();
    }
  }
}
