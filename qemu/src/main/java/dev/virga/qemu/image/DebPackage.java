package dev.virga.qemu.image;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One Debian binary package at the exact version apt would fetch, as described by the archive index. */
record DebPackage(String name, String version, String architecture, String sha256, List<String> dependencies) {

  /** The file name apt-get download gives the package (an epoch's ':' is stored as %3a). */
  String fileName() {
    return name + "_" + version.replace(":", "%3a") + "_" + architecture + ".deb";
  }

  /** Parses the stanzas of {@code apt-cache show} output. */
  static List<DebPackage> parseStanzas(String text) {
    List<DebPackage> out = new ArrayList<>();
    for (String stanza : text.split("\n\\s*\n")) {
      Map<String, String> f = fields(stanza);
      if (f.containsKey("Package")) {
        List<String> deps = new ArrayList<>(dependencyNames(f.getOrDefault("Pre-Depends", "")));
        deps.addAll(dependencyNames(f.getOrDefault("Depends", "")));
        out.add(new DebPackage(f.get("Package"), f.get("Version"), f.getOrDefault("Architecture", "amd64"),
            f.getOrDefault("SHA256", ""), List.copyOf(deps)));
      }
    }
    return out;
  }

  private static Map<String, String> fields(String stanza) {
    Map<String, String> f = new LinkedHashMap<>();
    String key = null;
    for (String line : stanza.split("\n")) {
      if (line.startsWith(" ") || line.startsWith("\t")) {
        if (key != null) {
          f.put(key, f.get(key) + "\n" + line.strip());
        }
        continue;
      }
      int colon = line.indexOf(':');
      if (colon > 0) {
        key = line.substring(0, colon);
        f.put(key, line.substring(colon + 1).strip());
      }
    }
    return f;
  }

  /**
   * Names from a Depends field: of "a (>= 1) | b" only "a", as apt itself prefers the first
   * alternative; architecture qualifiers (":any") are dropped.
   */
  static List<String> dependencyNames(String field) {
    List<String> names = new ArrayList<>();
    for (String clause : field.split(",")) {
      String first = clause.split("\\|")[0].strip();
      if (first.isEmpty()) {
        continue;
      }
      String name = first.split("[\\s(\\[]")[0];
      int colon = name.indexOf(':');
      names.add(colon >= 0 ? name.substring(0, colon) : name);
    }
    return names;
  }
}
