package dev.virga.qemu.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.TreeMap;

/**
 * An image's {@code metadata.json}: what it is, how to boot it (kernel, initrd, cmdline, disk) and
 * exactly which Debian package versions it was made from. File names are relative to the image
 * directory.
 */
public record ImageManifest(String name, String fingerprint, String os, String kernelRelease, String cmdline,
                            String kernel, String initrd, String disk, long virtualSize, Instant created,
                            Map<String, String> packages) {
  public static final String FILE_NAME = "metadata.json";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public ImageManifest {
    packages = java.util.Collections.unmodifiableMap(new TreeMap<>(packages)); // sorted for listings
  }

  public static ImageManifest read(Path imageDir) {
    Path file = imageDir.resolve(FILE_NAME);
    try {
      JsonNode n;
      try (var in = Files.newInputStream(file)) {
        n = JSON.readTree(in);
      }
      Map<String, String> packages = new TreeMap<>();
      n.path("packages").properties().forEach(e -> packages.put(e.getKey(), e.getValue().asText()));
      return new ImageManifest(text(n, "name", file), text(n, "fingerprint", file), text(n, "os", file),
          text(n, "kernelRelease", file), text(n, "cmdline", file), text(n, "kernel", file),
          text(n, "initrd", file), text(n, "disk", file), n.path("virtualSize").asLong(),
          Instant.parse(text(n, "created", file)), packages);
    } catch (NoSuchFileException e) {
      throw new ImageBuildException("image manifest " + file + " does not exist", e);
    } catch (IOException | DateTimeParseException e) {
      throw new ImageBuildException("image manifest " + file + " is not valid: " + e.getMessage(), e);
    }
  }

  private static String text(JsonNode n, String field, Path file) {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual()) {
      throw new ImageBuildException("image manifest " + file + " lacks the text field " + field);
    }
    return v.asText();
  }

  /** Writes metadata.json through a temporary file so a reader never sees half of it. */
  public void write(Path imageDir) {
    ObjectNode n = JSON.createObjectNode();
    n.put("name", name).put("fingerprint", fingerprint).put("os", os).put("kernelRelease", kernelRelease)
        .put("cmdline", cmdline).put("kernel", kernel).put("initrd", initrd).put("disk", disk)
        .put("virtualSize", virtualSize).put("created", created.toString());
    ObjectNode p = n.putObject("packages");
    new TreeMap<>(packages).forEach(p::put);
    Path tmp = imageDir.resolve(FILE_NAME + ".tmp");
    try {
      JSON.writeValue(tmp.toFile(), n);
      Files.move(tmp, imageDir.resolve(FILE_NAME), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new ImageBuildException("cannot write image manifest in " + imageDir + ": " + e.getMessage(), e);
    }
  }
}
