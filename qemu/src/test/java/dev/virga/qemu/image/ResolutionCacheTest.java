package dev.virga.qemu.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResolutionCacheTest {
  @Test
  void keyFollowsAptStateAndRecipe(@TempDir Path dir) throws IOException {
    Path lists = Files.createDirectories(dir.resolve("lists"));
    Files.writeString(lists.resolve("deb.debian.org_Packages"), "Package: a\n");
    String key = ResolutionCache.key(List.of("busybox-static"), List.of(lists));
    assertThat(ResolutionCache.key(List.of("busybox-static"), List.of(lists))).isEqualTo(key);
    assertThat(ResolutionCache.key(List.of("busybox-static", "e2fsprogs"), List.of(lists))).isNotEqualTo(key);
    Files.writeString(lists.resolve("deb.debian.org_Packages"), "Package: a\nPackage: b\n"); // apt-get update
    assertThat(ResolutionCache.key(List.of("busybox-static"), List.of(lists))).isNotEqualTo(key);
  }

  @Test
  void storesAndReturnsPackagesForTheSameKeyOnly(@TempDir Path dir) {
    ResolutionCache cache = new ResolutionCache(dir.resolve(".cache/resolved.json"));
    List<DebPackage> packages = List.of(new DebPackage("libc6", "2.36-9", "amd64", "ff00", List.of("libgcc-s1")));
    assertThat(cache.get("k1")).isEmpty();
    cache.put("k1", packages);
    assertThat(cache.get("k1")).contains(packages);
    assertThat(cache.get("k2")).isEmpty();
  }
}
