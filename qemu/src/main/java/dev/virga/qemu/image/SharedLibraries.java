package dev.virga.qemu.image;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Finds the shared libraries (and the dynamic loader) that programs need inside a sysroot made of
 * unpacked .debs, the way ld.so would, so the image carries exactly those and a missing one fails
 * the build instead of the guest.
 */
final class SharedLibraries {
  /** Where Debian's loader looks without an ld.so.cache; the image puts every library in the first. */
  static final List<String> SEARCH_DIRS =
      List.of("lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib64", "usr/lib64", "lib", "usr/lib");

  private final Path sysroot;

  SharedLibraries(Path sysroot) {
    this.sysroot = sysroot;
  }

  /**
   * For programs given relative to the sysroot: image path (relative) -> real file in the sysroot,
   * for every library and loader they need, transitively; sorted for a reproducible image.
   */
  Map<String, Path> closure(List<String> programs) {
    Map<String, Path> out = new TreeMap<>();
    Deque<Path> todo = new ArrayDeque<>();
    for (String program : programs) {
      todo.add(resolve(program).orElseThrow(() -> new ImageBuildException(program + " is not in the unpacked packages")));
    }
    while (!todo.isEmpty()) {
      Path file = todo.pop();
      Elf elf = Elf.read(file);
      elf.interpreter().ifPresent(interp -> {
        String target = interp.substring(1);
        if (!out.containsKey(target)) {
          out.put(target, resolve(target).orElseThrow(
              () -> new ImageBuildException("dynamic loader " + interp + " needed by " + sysroot.relativize(file) + " is not in the unpacked packages")));
        }
      });
      for (String soname : elf.needed()) {
        String target = SEARCH_DIRS.getFirst() + "/" + soname;
        if (out.containsKey(target)) {
          continue;
        }
        Path lib = find(soname).orElseThrow(() -> new ImageBuildException("library " + soname + " needed by "
            + sysroot.relativize(file) + " is in none of the downloaded packages; the package list needs it"));
        out.put(target, lib);
        todo.add(lib);
      }
    }
    return out;
  }

  private Optional<Path> find(String soname) {
    for (String dir : SEARCH_DIRS) {
      Optional<Path> p = resolve(dir + "/" + soname);
      if (p.isPresent()) {
        return p;
      }
    }
    return Optional.empty();
  }

  /** Follows symlinks as if sysroot were '/', so absolute links in packages stay inside it. */
  Optional<Path> resolve(String relative) {
    Path p = sysroot.resolve(relative).normalize();
    for (int hops = 0; hops < 40 && p.startsWith(sysroot); hops++) {
      if (!Files.isSymbolicLink(p)) {
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
      }
      Path target;
      try {
        target = Files.readSymbolicLink(p);
      } catch (java.io.IOException e) {
        return Optional.empty();
      }
      p = (target.isAbsolute() ? sysroot.resolve(target.toString().substring(1)) : p.resolveSibling(target)).normalize();
    }
    return Optional.empty();
  }
}
