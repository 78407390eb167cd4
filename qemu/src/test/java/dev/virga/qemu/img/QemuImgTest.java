package dev.virga.qemu.img;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QemuImgTest {
    private static final long MIB = 1024 * 1024;

    @TempDir
    Path dir;

    private QemuImg img;

    @BeforeEach
    void qemuImgIsInstalled() {
        assertThat(Files.isExecutable(Path.of("/usr/bin/qemu-img"))).as("qemu-utils must be installed (./virga test installs it)").isTrue();
        img = new QemuImg();
    }

    private Path base() throws IOException {
        Path raw = dir.resolve("base.raw");
        try (var file = new RandomAccessFile(raw.toFile(), "rw")) {
            file.setLength(8 * MIB);
            file.write("hello from the base".getBytes());
        }
        Path base = dir.resolve("base.qcow2");
        img.convert(raw, "raw", base, "qcow2");
        return base;
    }

    @Test
    void linkedCloneOverlayShowsItsBackingFileAndGrows() throws IOException {
        Path base = base();
        ImageInfo baseInfo = img.info(base, false);
        assertThat(baseInfo.format()).isEqualTo("qcow2");
        assertThat(baseInfo.virtualSize()).isEqualTo(8 * MIB);
        assertThat(baseInfo.backingFile()).isEmpty();

        Path overlay = dir.resolve("vm1/disk.qcow2");
        Files.createDirectories(overlay.getParent());
        img.createOverlay(base, "qcow2", overlay, OptionalLong.of(16 * MIB));
        ImageInfo info = img.info(overlay, true);
        assertThat(info.format()).isEqualTo("qcow2");
        assertThat(info.virtualSize()).isEqualTo(16 * MIB);
        assertThat(info.backingFile()).contains(base.toAbsolutePath().toString());
        assertThat(info.backingFormat()).contains("qcow2");
        assertThat(info.actualSize()).isPositive().isLessThan(MIB);
        assertThat(info.dirty()).isFalse();
        assertThat(info.corrupt()).isFalse();

        img.resize(overlay, 32 * MIB);
        assertThat(img.info(overlay, false).virtualSize()).isEqualTo(32 * MIB);

        CheckResult check = img.check(overlay);
        assertThat(check.format()).isEqualTo("qcow2");
        assertThat(check.isClean()).isTrue();
    }

    @Test
    void overlayWithRelativeBaseStillRecordsTheAbsolutePath() throws IOException {
        Path base = base();
        Path relative = Path.of("").toAbsolutePath().relativize(base);
        Path overlay = dir.resolve("ov.qcow2");
        img.createOverlay(relative, "qcow2", overlay, OptionalLong.empty());
        assertThat(img.info(overlay, false).backingFile()).contains(base.toString());
        assertThat(img.info(overlay, false).virtualSize()).isEqualTo(8 * MIB);
    }

    @Test
    void mapShowsWhereAnImagesOwnDataAndZeroClustersAre() throws Exception {
        Path file = dir.resolve("scratch.qcow2");
        img.create(file, "qcow2", 64L << 20);
        var io = new ProcessBuilder("qemu-io", "-f", "qcow2", "-c", "write -P 7 1M 64k", "-c", "write -z 5M 128k",
                file.toString()).redirectErrorStream(true).start();
        io.getInputStream().readAllBytes();
        org.assertj.core.api.Assertions.assertThat(io.waitFor()).isZero();
        var present = img.map(file, "qcow2").stream().filter(QemuImg.Extent::present).toList();
        org.assertj.core.api.Assertions.assertThat(present).hasSize(2);
        var data = present.get(0);
        org.assertj.core.api.Assertions.assertThat(data.start()).isEqualTo(1L << 20);
        org.assertj.core.api.Assertions.assertThat(data.length()).isEqualTo(64 * 1024);
        org.assertj.core.api.Assertions.assertThat(data.data()).isTrue();
        try (var ch = java.nio.channels.FileChannel.open(file)) {
            var b = java.nio.ByteBuffer.allocate(1);
            ch.read(b, data.offset());
            org.assertj.core.api.Assertions.assertThat(b.get(0)).isEqualTo((byte) 7);
        }
        var zero = present.get(1);
        org.assertj.core.api.Assertions.assertThat(zero.start()).isEqualTo(5L << 20);
        org.assertj.core.api.Assertions.assertThat(zero.zero() && !zero.data()).isTrue();
        assertThatThrownBy(() -> img.create(file, "qcow2", 1 << 20)).isInstanceOf(QemuImgException.class)
                .hasMessageContaining("already exists");
    }

    @Test
    void overlayNeverOverwritesAnExistingFile() throws IOException {
        Path base = base();
        Path existing = Files.writeString(dir.resolve("precious.qcow2"), "data");
        assertThatThrownBy(() -> img.createOverlay(base, "qcow2", existing, OptionalLong.empty()))
                .isInstanceOf(QemuImgException.class).hasMessageContaining(existing.toString());
        assertThat(Files.readString(existing)).isEqualTo("data");
    }

    @Test
    void aFileThatIsNotAnImageGivesClearErrors() throws IOException {
        Path text = Files.writeString(dir.resolve("notes.txt"), "not a disk image\n");
        assertThatThrownBy(() -> img.createOverlay(text, "qcow2", dir.resolve("ov.qcow2"), OptionalLong.empty()))
                .isInstanceOf(QemuImgException.class)
                .hasMessageContaining("Image is not in qcow2 format");
        assertThat(dir.resolve("ov.qcow2")).doesNotExist();
        assertThatThrownBy(() -> img.check(text))
                .isInstanceOf(QemuImgException.class)
                .hasMessageContaining(text.toString()).hasMessageContaining("does not support checks");
        assertThatThrownBy(() -> img.info(dir.resolve("missing.qcow2"), false))
                .isInstanceOf(QemuImgException.class)
                .hasMessageContaining("missing.qcow2").hasMessageContaining("No such file or directory");
    }

    @Test
    void shrinkingIsRefusedByQemuImg() throws IOException {
        Path base = base();
        assertThatThrownBy(() -> img.resize(base, MIB))
                .isInstanceOf(QemuImgException.class).hasMessageContaining("shrink");
    }

    @Test
    void convertCopiesContentOut() throws IOException {
        Path back = dir.resolve("back.raw");
        img.convert(base(), "qcow2", back, "raw");
        byte[] start = new byte[19];
        try (var in = Files.newInputStream(back)) {
            assertThat(in.read(start)).isEqualTo(19);
        }
        assertThat(new String(start)).isEqualTo("hello from the base");
    }

    @Test
    void missingBinaryNamesThePackage() {
        assertThatThrownBy(() -> new QemuImg(dir.resolve("qemu-img")))
                .isInstanceOf(QemuImgException.class).hasMessageContaining("qemu-utils");
    }

    @Test
    void processRunKillsWhatRunsTooLong() {
        long start = System.nanoTime();
        assertThatThrownBy(() -> ProcessRun.run(List.of("sleep", "30"), Duration.ofMillis(200)))
                .isInstanceOf(ProcessRun.ProcessTimeoutException.class).hasMessageContaining("sleep 30");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }
}
