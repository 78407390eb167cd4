package dev.virga.qemu.image;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The host tools the image build runs, located once. A missing tool fails the build with the Debian
 * packages to install; the build never installs anything itself.
 */
final class HostTools {
  /** tool name -> Debian package that ships it. */
  static final Map<String, String> REQUIRED = requiredTools();

  private final Map<String, Path> found;

  private HostTools(Map<String, Path> found) {
    this.found = found;
  }

  private static Map<String, String> requiredTools() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("apt-get", "apt");
    m.put("apt-cache", "apt");
    m.put("dpkg-deb", "dpkg");
    m.put("lz4", "lz4");
    m.put("mkfs.ext4", "e2fsprogs");
    m.put("debugfs", "e2fsprogs");
    m.put("qemu-img", "qemu-utils");
    return m;
  }

  /** Locates every required tool or fails naming the packages that provide the missing ones. */
  static HostTools locate() {
    return locate(List.copyOf(REQUIRED.keySet()), searchPath());
  }

  /** Locates only the named tools (e.g. apt-cache to compute a fingerprint without building). */
  static HostTools locate(List<String> tools) {
    return locate(tools, searchPath());
  }

  static HostTools locate(List<String> tools, List<Path> dirs) {
    Map<String, Path> found = new LinkedHashMap<>();
    List<String> missing = new ArrayList<>();
    TreeSet<String> packages = new TreeSet<>();
    tools.forEach(tool -> {
      String pkg = REQUIRED.getOrDefault(tool, tool);
      Path p = dirs.stream().map(d -> d.resolve(tool)).filter(Files::isExecutable).findFirst().orElse(null);
      if (p == null) {
        missing.add(tool);
        packages.add(pkg);
      } else {
        found.put(tool, p);
      }
    });
    if (!missing.isEmpty()) {
      throw new ImageBuildException("cannot build the guest image: missing host tool(s) " + missing
          + "; install them with: apt-get install " + String.join(" ", packages));
    }
    return new HostTools(found);
  }

  /** PATH plus the sbin directories, which a non-root user's PATH often lacks (mkfs.ext4, debugfs). */
  private static List<Path> searchPath() {
    List<Path> dirs = new ArrayList<>();
    String path = System.getenv().getOrDefault("PATH", "");
    for (String d : path.split(":")) {
      if (!d.isBlank()) {
        dirs.add(Path.of(d));
      }
    }
    for (String d : List.of("/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
      dirs.add(Path.of(d));
    }
    return dirs;
  }

  String path(String tool) {
    Path p = found.get(tool);
    if (p == null) {
      throw new IllegalArgumentException("not a required tool: " + tool);
    }
    return p.toString();
  }
}
