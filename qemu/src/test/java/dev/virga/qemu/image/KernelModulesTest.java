package dev.virga.qemu.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelModulesTest {
  /** depends= of the Debian 6.1 cloud kernel's virtio modules. */
  private static final Map<String, List<String>> DEPENDS = Map.ofEntries(
      Map.entry("virtio_pci_modern_dev", List.of()), Map.entry("virtio_pci_legacy_dev", List.of()),
      Map.entry("virtio_ring", List.of()), Map.entry("virtio", List.of("virtio_ring")),
      Map.entry("virtio_pci", List.of("virtio_ring", "virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio")),
      Map.entry("virtio_blk", List.of("virtio", "virtio_ring")), Map.entry("failover", List.of()),
      Map.entry("net_failover", List.of("failover")), Map.entry("virtio_net", List.of("virtio_ring", "virtio", "net_failover")),
      Map.entry("virtio_rng", List.of("virtio", "virtio_ring")), Map.entry("button", List.of()));

  @Test
  void dependenciesComeFirstEvenWhenListedLater() {
    List<String> order = KernelModules.loadOrder(List.of("virtio_net", "virtio_blk", "virtio-rng", "button"), DEPENDS::get);
    assertThat(order).containsExactly("virtio_ring", "virtio", "failover", "net_failover", "virtio_net", "virtio_blk",
        "virtio_rng", "button");
  }

  @Test
  void aCorrectOrderIsKept() {
    List<String> wanted = TinyRecipe.MODULES.subList(0, 9); // virtio_pci_modern_dev .. virtio_net
    assertThat(KernelModules.loadOrder(wanted, DEPENDS::get)).containsExactlyElementsOf(wanted);
  }

  @Test
  void cyclesFail() {
    Map<String, List<String>> cyclic = Map.of("a", List.of("b"), "b", List.of("a"));
    assertThatThrownBy(() -> KernelModules.loadOrder(List.of("a"), cyclic::get)).hasMessageContaining("cycle");
  }

  @Test
  void readsDependsFromModuleFiles(@TempDir Path dir) throws IOException {
    Path drivers = Files.createDirectories(dir.resolve("kernel/drivers/virtio"));
    Files.write(drivers.resolve("virtio_ring.ko"), ElfFixture.build(null, List.of(), List.of("depends=", "name=virtio_ring")));
    Files.write(drivers.resolve("virtio.ko"), ElfFixture.build(null, List.of(), List.of("depends=virtio_ring", "name=virtio")));
    Files.write(drivers.resolve("virtio-rng.ko"), ElfFixture.build(null, List.of(), List.of("depends=virtio,virtio_ring")));
    Map<String, Path> ordered = KernelModules.resolve(List.of("virtio-rng"), KernelModules.index(dir));
    assertThat(ordered.keySet()).containsExactly("virtio_ring", "virtio", "virtio_rng");
    assertThat(ordered.get("virtio_rng").getFileName()).hasToString("virtio-rng.ko");
  }

  @Test
  void aMissingModuleIsNamed(@TempDir Path dir) {
    assertThatThrownBy(() -> KernelModules.resolve(List.of("virtio_blk"), KernelModules.index(dir)))
        .hasMessageContaining("kernel module virtio_blk is not in the kernel package");
  }
}
