package dev.virga.qemu.image;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Stages the root filesystem in a host directory and turns it into an ext4 qcow2 without mounting
 * anything: mkfs.ext4 -d fills it, debugfs pins owners and timestamps (mkfs copies the host's
 * ctimes and owners), qemu-img converts it.
 */
final class RootFilesystem {
  private static final List<String> DIRS = List.of("bin", "sbin", "usr/bin", "usr/sbin", "lib/x86_64-linux-gnu",
      "etc/init.d", "etc/acpi/PWRF", "dev", "proc", "sys", "run", "tmp", "root", "var/lib", "var/log", "mnt");

  private final HostTools tools;
  private final Path staging;

  RootFilesystem(HostTools tools, Path staging) {
    this.tools = tools;
    this.staging = staging;
  }

  /** Copies a file into the image at path (relative), keeping nothing of the host but its bytes. */
  void put(String path, byte[] data, int mode) throws IOException {
    Path p = staging.resolve(path);
    Files.createDirectories(p.getParent());
    Files.write(p, data);
    Files.setPosixFilePermissions(p, permissions(mode));
  }

  void copy(String path, Path source, int mode) throws IOException {
    put(path, Files.readAllBytes(source), mode);
  }

  void symlink(String path, String target) throws IOException {
    Path p = staging.resolve(path);
    Files.createDirectories(p.getParent());
    Files.createSymbolicLink(p, Path.of(target));
  }

  void directories() throws IOException {
    for (String d : DIRS) {
      Files.createDirectories(staging.resolve(d));
    }
    Files.setPosixFilePermissions(staging.resolve("root"), permissions(0700));
  }

  /** Libraries by image path; a file needed under two names (the loader) is stored once plus a link. */
  void libraries(Map<String, Path> libraries) throws IOException {
    Map<Path, String> stored = new HashMap<>();
    for (Map.Entry<String, Path> e : libraries.entrySet()) {
      String first = stored.putIfAbsent(e.getValue(), e.getKey());
      if (first == null) {
        copy(e.getKey(), e.getValue(), 0755);
      } else {
        symlink(e.getKey(), "/" + first);
      }
    }
  }

  /** Links every busybox applet that no real file already provides. */
  void applets(List<String> appletPaths) throws IOException {
    for (String applet : appletPaths) {
      Path p = staging.resolve(applet);
      if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !applet.equals("bin/busybox")) {
        symlink(applet, "/bin/busybox");
      }
    }
  }

  /** Builds the ext4 filesystem from the staging directory into raw, then qcow2. */
  void makeDisk(Path raw, Path qcow2, String fingerprint, long virtualSize, long epoch) throws IOException {
    normalizeDirectoryModes();
    Map<String, String> env = Map.of("E2FSPROGS_FAKE_TIME", Long.toString(epoch),
        "SOURCE_DATE_EPOCH", Long.toString(epoch));
    // -T default -b 4096: below 512 MiB mke2fs would pick 1 KiB blocks, poor for a disk meant to grow.
    HostCommand.run(List.of(tools.path("mkfs.ext4"), "-q", "-F", "-T", "default", "-b", "4096", "-L", "root",
        "-U", Fingerprint.uuid(fingerprint),
        "-E", "hash_seed=" + Fingerprint.uuid(fingerprint.substring(32)) + ",root_owner=0:0"
            + ",lazy_itable_init=0,lazy_journal_init=0",
        "-d", staging.toString(), raw.toString(), (virtualSize / 1024) + "k"), null, env);
    pinOwnersAndTimes(raw, epoch, env);
    HostCommand.run(List.of(tools.path("qemu-img"), "convert", "-q", "-f", "raw", "-O", "qcow2",
        raw.toString(), qcow2.toString()));
  }

  /** Directory modes must not depend on the builder's umask. */
  private void normalizeDirectoryModes() throws IOException {
    try (Stream<Path> walk = Files.walk(staging)) {
      for (Path d : walk.filter(p -> Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)).toList()) {
        Files.setPosixFilePermissions(d, permissions(d.equals(staging.resolve("root")) ? 0700 : 0755));
      }
    }
  }

  private void pinOwnersAndTimes(Path raw, long epoch, Map<String, String> env) throws IOException {
    List<String> paths = new ArrayList<>(List.of("/", "/lost+found"));
    try (Stream<Path> walk = Files.walk(staging)) {
      walk.filter(p -> !p.equals(staging)).map(p -> "/" + staging.relativize(p)).sorted().forEach(paths::add);
    }
    String time = "0x" + Long.toHexString(epoch);
    StringBuilder cmds = new StringBuilder();
    for (String p : paths) {
      for (String field : new String[] {"atime", "mtime", "ctime", "crtime"}) {
        cmds.append("sif ").append(p).append(' ').append(field).append(' ').append(time).append('\n');
      }
      cmds.append("sif ").append(p).append(" uid 0\n").append("sif ").append(p).append(" gid 0\n");
    }
    Path script = raw.resolveSibling("debugfs.cmds");
    Files.writeString(script, cmds, StandardCharsets.UTF_8);
    HostCommand.Result r = HostCommand.runAllowingFailure(
        List.of(tools.path("debugfs"), "-w", "-f", script.toString(), raw.toString()), null, env);
    // debugfs exits 0 even when a command fails; its stderr is the only witness.
    String errors = r.stderr().lines().filter(l -> !l.startsWith("debugfs ")).reduce("", (a, b) -> a + b + "\n");
    if (r.exitCode() != 0 || !errors.isBlank()) {
      throw new ImageBuildException("debugfs could not fix owners/timestamps in " + raw + ": " + HostCommand.tail(errors));
    }
    Files.delete(script);
  }

  private static Set<PosixFilePermission> permissions(int mode) {
    StringBuilder s = new StringBuilder();
    String rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; i++) {
      s.append((mode & (1 << (8 - i))) != 0 ? rwx.charAt(i) : '-');
    }
    return PosixFilePermissions.fromString(s.toString());
  }
}
