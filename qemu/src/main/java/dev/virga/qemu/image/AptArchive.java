package dev.virga.qemu.image;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The host's apt view of the Debian archive: which exact versions apt would fetch, their library
 * dependencies, and fetching + unpacking them without installing anything on the host.
 */
final class AptArchive {
  /**
   * Debian names shared-library packages after their soname (policy 8.1), so following only these
   * collects the libraries a program needs without dragging in perl, dpkg or init-system-helpers.
   * What is really needed is then checked against the ELF files themselves.
   */
  private static final Pattern LIBRARY_PACKAGE = Pattern.compile("lib.*|zlib1g");

  private final HostTools tools;

  AptArchive(HostTools tools) {
    this.tools = tools;
  }

  /** The candidate version of each named package, in the given order. */
  List<DebPackage> show(Collection<String> names) {
    List<String> argv = new ArrayList<>(List.of(tools.path("apt-cache"), "show", "--no-all-versions"));
    argv.addAll(names);
    HostCommand.Result r = HostCommand.runAllowingFailure(argv, null, Map.of());
    Map<String, DebPackage> byName = new LinkedHashMap<>();
    for (DebPackage p : DebPackage.parseStanzas(r.stdout())) {
      byName.putIfAbsent(p.name(), p);
    }
    List<DebPackage> out = new ArrayList<>();
    for (String n : names) {
      DebPackage p = byName.get(n);
      if (p == null) {
        throw new ImageBuildException("Debian package " + n + " is not known to apt on this host"
            + " (run apt-get update?): " + HostCommand.tail(r.stderr()));
      }
      out.add(p);
    }
    return out;
  }

  /** roots, the packages named in extra, and every library package they depend on, transitively. */
  List<DebPackage> libraryClosure(List<DebPackage> roots, List<String> extra) {
    return libraryClosure(roots, extra, this::show);
  }

  /**
   * Sorted by name for stable fingerprints. The packages named in extra are fetched with the first
   * round of look-ups; only library dependencies are followed from any package.
   */
  static List<DebPackage> libraryClosure(List<DebPackage> roots, List<String> extra,
      Function<Collection<String>, List<DebPackage>> show) {
    Map<String, DebPackage> seen = new java.util.TreeMap<>();
    roots.forEach(p -> seen.put(p.name(), p));
    Deque<DebPackage> todo = new ArrayDeque<>(roots);
    Set<String> next = new LinkedHashSet<>(extra);
    while (!todo.isEmpty() || !next.isEmpty()) {
      while (!todo.isEmpty()) {
        for (String dep : todo.pop().dependencies()) {
          if (LIBRARY_PACKAGE.matcher(dep).matches() && !seen.containsKey(dep)) {
            next.add(dep);
          }
        }
      }
      if (!next.isEmpty()) {
        for (DebPackage p : show.apply(List.copyOf(next))) {
          seen.put(p.name(), p);
          todo.add(p);
        }
        next.clear();
      }
    }
    return List.copyOf(seen.values());
  }

  /** Makes sure every package's .deb is in cacheDir with the archive's checksum; returns name -> file. */
  Map<String, Path> download(List<DebPackage> packages, Path cacheDir, Consumer<String> progress) {
    try {
      Files.createDirectories(cacheDir);
    } catch (IOException e) {
      throw new ImageBuildException("cannot create package cache " + cacheDir + ": " + e.getMessage(), e);
    }
    List<DebPackage> missing = packages.stream().filter(p -> !verified(cacheDir.resolve(p.fileName()), p)).toList();
    if (!missing.isEmpty()) {
      for (DebPackage p : missing) {
        progress.accept("downloading " + p.name() + " " + p.version());
      }
      List<String> argv = new ArrayList<>(List.of(tools.path("apt-get"), "download", "-q"));
      missing.forEach(p -> argv.add(p.name() + "=" + p.version()));
      HostCommand.run(argv, cacheDir, Map.of());
    }
    Map<String, Path> files = new LinkedHashMap<>();
    for (DebPackage p : packages) {
      Path f = cacheDir.resolve(p.fileName());
      if (!verified(f, p)) {
        throw new ImageBuildException("downloaded " + f + " does not match the archive's SHA-256 " + p.sha256());
      }
      files.put(p.name(), f);
    }
    return files;
  }

  private static boolean verified(Path deb, DebPackage p) {
    if (!Files.isRegularFile(deb)) {
      return false;
    }
    return p.sha256().isEmpty() || p.sha256().equalsIgnoreCase(sha256(deb));
  }

  static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (IOException | NoSuchAlgorithmException e) {
      throw new ImageBuildException("cannot checksum " + file + ": " + e.getMessage(), e);
    }
  }

  void extract(Path deb, Path dir) {
    HostCommand.run(List.of(tools.path("dpkg-deb"), "-x", deb.toString(), dir.toString()));
  }
}
