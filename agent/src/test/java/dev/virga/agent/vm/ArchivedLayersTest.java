package dev.virga.agent.vm;

import dev.virga.agent.AgentError;
import dev.virga.qemu.img.QemuImg;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThatNoException;

/** The hostile review's archives (issue 14): a moved instance must not make a host file a guest's disk. */
class ArchivedLayersTest {
    private final QemuImg img = new QemuImg();
    @TempDir
    Path dir;

    @Test
    void aLayerWithAnExternalDataFileIsRefusedAndTheHostFileIsUntouched() throws Exception {
        var secret = dir.resolve("root-only-secret");
        Files.writeString(secret, "not for guests\n".repeat(100));
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        var archive = Files.createDirectories(dir.resolve("archive"));
        // made as a hostile host would: the layer's guest data is the host file (qemu-img sizes it to the disk)
        run("qemu-img", "create", "-q", "-f", "qcow2", "-o", "data_file=" + secret + ",data_file_raw=on",
                archive.resolve("disk.qcow2").toString(), "1M");
        var before = Files.readAllBytes(secret);

        var chain = new DiskChain("disk.qcow2", List.of(), Optional.empty());
        assertThatThrownBy(() -> ArchivedLayers.check(archive, chain, false, img))
                .isInstanceOf(AgentError.class)
                .hasMessageContaining("layer disk.qcow2 keeps its data in an external file ('" + secret + "')");
        assertThat(Files.readAllBytes(secret)).isEqualTo(before);
    }

    @Test
    void namesThatLeaveTheInstanceDirectoryAreRefused() throws Exception {
        var archive = Files.createDirectories(dir.resolve("archive"));
        img.createOverlay(created(dir.resolve("base.qcow2")), "qcow2", archive.resolve("disk.qcow2"),
                OptionalLong.empty());
        var outside = new DiskChain("../base.qcow2", List.of(), Optional.empty());
        assertThatThrownBy(() -> ArchivedLayers.check(archive, outside, false, img))
                .hasMessageContaining("chain.json names '../base.qcow2', which is not a file of the instance");
        var layer = new DiskChain.Layer("s1", "/etc/passwd", 0, false, false, "");
        var absolute = new DiskChain("disk.qcow2", List.of(layer), Optional.empty());
        assertThatThrownBy(() -> ArchivedLayers.check(archive, absolute, false, img))
                .hasMessageContaining("chain.json names '/etc/passwd'");
        var state = new DiskChain.Layer("s1", "disk.qcow2", 0, false, true, "..");
        var badState = new DiskChain("disk.qcow2", List.of(state), Optional.empty());
        assertThatThrownBy(() -> ArchivedLayers.check(archive, badState, false, img))
                .hasMessageContaining("chain.json names '..'");
    }

    @Test
    void aRawLayerAndAMissingOneAreRefusedAndAPlainChainPasses() throws Exception {
        var archive = Files.createDirectories(dir.resolve("archive"));
        Files.write(archive.resolve("disk.qcow2"), new byte[1 << 20]);
        var chain = new DiskChain("disk.qcow2", List.of(), Optional.empty());
        assertThatThrownBy(() -> ArchivedLayers.check(archive, chain, false, img))
                .hasMessageContaining("layer disk.qcow2 is raw, not qcow2");
        Files.delete(archive.resolve("disk.qcow2"));
        assertThatThrownBy(() -> ArchivedLayers.check(archive, chain, false, img))
                .hasMessageContaining("layer disk.qcow2 named by chain.json is missing");
        // a live move's active layer is made on arrival: absent is right for it
        assertThatNoException().isThrownBy(() -> ArchivedLayers.check(archive, chain, true, img));
        img.createOverlay(created(dir.resolve("base.qcow2")), "qcow2", archive.resolve("disk.qcow2"),
                OptionalLong.empty());
        assertThatNoException().isThrownBy(() -> ArchivedLayers.check(archive, chain, false, img));
    }

    private static Path created(Path base) throws Exception {
        if (!Files.exists(base)) {
            run("qemu-img", "create", "-q", "-f", "qcow2", base.toString(), "1M");
        }
        return base;
    }

    private static void run(String... argv) throws Exception {
        var p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        var out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
    }
}
