package dev.virga.qemu.image;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Remembers which exact packages the recipe resolved to while apt's state is unchanged. Each
 * apt-cache call costs about 0.6 s, and resolving takes several, which would otherwise be paid on
 * every cache-hit build and every fingerprint().
 */
final class ResolutionCache {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What apt's answers depend on: package indexes, configuration, installed packages. */
  static final List<Path> APT_STATE = List.of(Path.of("/var/lib/apt/lists"), Path.of("/etc/apt"),
      Path.of("/var/lib/dpkg/status"));

  record Stored(String key, List<DebPackage> packages) {}

  private final Path file;

  ResolutionCache(Path file) {
    this.file = file;
  }

  /** A key over the recipe's package roots and the size and mtime of every apt state file. */
  static String key(List<String> recipeInputs, List<Path> aptState) {
    StringBuilder doc = new StringBuilder(String.join(",", recipeInputs)).append('\n');
    doc.append("APT_CONFIG=").append(System.getenv().getOrDefault("APT_CONFIG", "")).append('\n');
    for (Path root : aptState) {
      TreeMap<String, String> files = new TreeMap<>();
      try {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes a) {
            // apt's private download area (0700 _apt) changes without changing what apt resolves.
            return dir.getFileName().toString().equals("partial") ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes a) {
            if (!file.getFileName().toString().equals("lock")) {
              files.put(file.toString(), a.size() + " " + a.lastModifiedTime().toMillis());
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) {
            files.put(file.toString(), "unreadable"); // e.g. root-only apt auth files for a non-root builder
            return FileVisitResult.CONTINUE;
          }
        });
      } catch (IOException e) {
        files.put(root.toString(), "unreadable");
      }
      files.forEach((f, stat) -> doc.append(f).append(' ').append(stat).append('\n'));
    }
    return Fingerprint.sha256(doc.toString().getBytes(StandardCharsets.UTF_8));
  }

  Optional<List<DebPackage>> get(String key) {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      Stored s = JSON.readValue(file.toFile(), Stored.class);
      return key.equals(s.key()) ? Optional.of(List.copyOf(s.packages())) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty(); // a damaged cache only costs a fresh resolution
    }
  }

  void put(String key, List<DebPackage> packages) {
    try {
      Files.createDirectories(file.getParent());
      Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
      JSON.writeValue(tmp.toFile(), new Stored(key, packages));
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new ImageBuildException("cannot write package resolution cache " + file + ": " + e.getMessage(), e);
    }
  }
}
