package dev.virga.qemu.image;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * The content fingerprint of an image: SHA-256 over a canonical listing of its build inputs
 * (settings, exact package versions, script contents). Same inputs, same fingerprint, same
 * directory; any changed input, a new one.
 */
final class Fingerprint {
  private Fingerprint() {}

  static String of(Map<String, String> settings, Map<String, String> packageVersions, Map<String, byte[]> resources) {
    StringBuilder doc = new StringBuilder();
    new TreeMap<>(settings).forEach((k, v) -> doc.append("setting ").append(k).append('=').append(v).append('\n'));
    new TreeMap<>(packageVersions).forEach((k, v) -> doc.append("package ").append(k).append('=').append(v).append('\n'));
    new TreeMap<>(resources).forEach((k, v) -> doc.append("file ").append(k).append(' ').append(sha256(v)).append('\n'));
    return sha256(doc.toString().getBytes(StandardCharsets.UTF_8));
  }

  static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("JDK without SHA-256", e);
    }
  }

  /** A stable filesystem UUID derived from the fingerprint (version-4 layout), for reproducible mkfs. */
  static String uuid(String fingerprint) {
    char[] c = fingerprint.substring(0, 32).toCharArray();
    c[12] = '4';
    c[16] = "89ab".charAt(Character.digit(c[16], 16) & 3);
    String h = new String(c);
    return h.substring(0, 8) + "-" + h.substring(8, 12) + "-" + h.substring(12, 16) + "-" + h.substring(16, 20)
        + "-" + h.substring(20, 32);
  }
}
