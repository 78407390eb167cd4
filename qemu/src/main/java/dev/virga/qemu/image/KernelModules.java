package dev.virga.qemu.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Orders kernel modules for plain insmod in the initramfs: each module after the modules its
 * .modinfo "depends=" names (insmod, unlike modprobe, does not resolve them, and a wrong order
 * makes every later insmod fail with "Unknown symbol").
 */
final class KernelModules {
  private KernelModules() {}

  /** name -> .ko file under a kernel's lib/modules/KVER tree; '-' and '_' are the same to the kernel. */
  static Map<String, Path> index(Path modulesDir) {
    Map<String, Path> byName = new HashMap<>();
    try (Stream<Path> files = Files.walk(modulesDir)) {
      files.filter(p -> p.getFileName().toString().endsWith(".ko")).forEach(p -> {
        String file = p.getFileName().toString();
        byName.put(canonical(file.substring(0, file.length() - 3)), p);
      });
    } catch (IOException e) {
      throw new ImageBuildException("cannot list kernel modules in " + modulesDir + ": " + e.getMessage(), e);
    }
    return byName;
  }

  static String canonical(String moduleName) {
    return moduleName.replace('-', '_');
  }

  /** The wanted modules plus their dependencies, dependencies first, otherwise in the wanted order. */
  static List<String> loadOrder(List<String> wanted, Function<String, List<String>> dependsOf) {
    Set<String> done = new LinkedHashSet<>();
    for (String m : wanted) {
      visit(canonical(m), dependsOf, done, new LinkedHashSet<>());
    }
    return new ArrayList<>(done);
  }

  private static void visit(String m, Function<String, List<String>> dependsOf, Set<String> done, Set<String> path) {
    if (done.contains(m)) {
      return;
    }
    if (!path.add(m)) {
      throw new ImageBuildException("kernel module dependency cycle: " + path + " -> " + m);
    }
    for (String d : dependsOf.apply(m)) {
      visit(canonical(d), dependsOf, done, path);
    }
    path.remove(m);
    done.add(m);
  }

  /** Load order of wanted modules found in index, reading each module's depends= from its .modinfo. */
  static Map<String, Path> resolve(List<String> wanted, Map<String, Path> index) {
    Function<String, List<String>> depends = name -> dependsOf(name, index);
    Map<String, Path> ordered = new LinkedHashMap<>();
    for (String name : loadOrder(wanted, depends)) {
      ordered.put(name, index.get(name));
    }
    return ordered;
  }

  private static List<String> dependsOf(String name, Map<String, Path> index) {
    Path ko = index.get(name);
    if (ko == null) {
      throw new ImageBuildException("kernel module " + name + " is not in the kernel package");
    }
    for (String kv : Elf.read(ko).modinfo()) {
      if (kv.startsWith("depends=")) {
        String v = kv.substring("depends=".length());
        return v.isEmpty() ? List.of() : List.of(v.split(","));
      }
    }
    return List.of();
  }
}
