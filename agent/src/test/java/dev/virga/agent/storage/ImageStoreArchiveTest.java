package dev.virga.agent.storage;

import dev.virga.agent.AgentError;
import dev.virga.qemu.image.ImageManifest;
import dev.virga.qemu.img.QemuImg;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Export and import of image archives through the store, with the real qemu-img. */
class ImageStoreArchiveTest {
    private static final String FINGERPRINT = "cd".repeat(32);
    @TempDir
    Path root;
    @TempDir
    Path elsewhere;
    private final QemuImg qemuImg = new QemuImg();

    @BeforeEach
    void qemuImgIsInstalled() {
        assertThat(Files.isExecutable(Path.of("/usr/bin/qemu-img"))).as("qemu-utils must be installed").isTrue();
    }

    /** A stored image that boots a kernel, as the tiny builder leaves it. */
    private Path storedImage(Path disk) throws IOException {
        var dir = Files.createDirectories(root.resolve(FINGERPRINT));
        Files.move(disk, dir.resolve("disk.qcow2"));
        Files.write(dir.resolve("vmlinux"), Tars.elf());
        Files.write(dir.resolve("initrd.cpio"), Tars.cpio());
        new ImageManifest("tiny", FINGERPRINT, "Test OS 1", "6.1.0-test", "console=ttyS0 root=/dev/vda", "vmlinux",
                "initrd.cpio", "disk.qcow2", 8 << 20, Tars.CREATED, Map.of("busybox-static", "1:1.35")).write(dir);
        return dir;
    }

    private Path qcow2(String name, String content) throws IOException {
        var raw = elsewhere.resolve(name + ".raw");
        try (var f = new RandomAccessFile(raw.toFile(), "rw")) {
            f.setLength(8 << 20);
            f.seek(1 << 20);
            f.write(content.getBytes());
        }
        var qcow2 = elsewhere.resolve(name + ".qcow2");
        qemuImg.convert(raw, "raw", qcow2, "qcow2");
        return qcow2;
    }

    @Test
    void anExportedImageComesBackUnderTheArchivesHashAndBootsTheSameWay() throws Exception {
        storedImage(qcow2("disk", "the guest's data"));
        var store = new ImageStore(root);
        var archive = elsewhere.resolve("tiny.tar");
        String sha;
        try (var export = store.export(FINGERPRINT, "tiny")) {
            assertThat(export.file().getParent().getFileName().toString()).startsWith(".export-");
            Files.copy(export.file(), archive);
            sha = export.sha256();
            assertThat(export.size()).isEqualTo(Files.size(archive));
        }
        assertThat(leftovers()).isEmpty();
        try (var again = store.export(FINGERPRINT, "tiny")) {
            assertThat(again.sha256()).as("the same image gives the same archive").isEqualTo(sha);
        }

        Path imported;
        try (var in = Files.newInputStream(archive)) {
            imported = store.importImage("tiny2", in, sha.toUpperCase()).dir();
        }
        assertThat(imported).isEqualTo(root.resolve(sha));
        var m = ImageManifest.read(imported);
        assertThat(m.name()).isEqualTo("tiny2");
        assertThat(m.fingerprint()).isEqualTo(sha);
        assertThat(m.kernel()).isEqualTo("vmlinux");
        assertThat(m.initrd()).isEqualTo("initrd.cpio");
        assertThat(m.cmdline()).isEqualTo("console=ttyS0 root=/dev/vda");
        assertThat(m.virtualSize()).isEqualTo(8 << 20);
        assertThat(m.created()).isEqualTo(Tars.CREATED);
        assertThat(Files.readAllBytes(imported.resolve("vmlinux"))).isEqualTo(Tars.elf());
        assertSameContent(imported.resolve("disk.qcow2"), root.resolve(FINGERPRINT).resolve("disk.qcow2"));
        assertThat(store.list()).hasSize(2);
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aDiskWithABackingFileIsFlattenedIntoTheArchive() throws Exception {
        var base = qcow2("base", "from the base");
        var overlay = elsewhere.resolve("overlay.qcow2");
        qemuImg.createOverlay(base, "qcow2", overlay, OptionalLong.empty());
        storedImage(overlay);
        var store = new ImageStore(root);
        var disk = elsewhere.resolve("exported.qcow2");
        String sha;
        try (var export = store.export(FINGERPRINT, "")) {
            sha = export.sha256();
            extract(export.file(), "disk.qcow2", disk);
        }
        assertThat(qemuImg.info(disk, false).backingFile()).isEmpty();
        assertSameContent(disk, root.resolve(FINGERPRINT).resolve("disk.qcow2"));
        try (var again = store.export(FINGERPRINT, "")) {
            assertThat(again.sha256()).as("flattening is reproducible").isEqualTo(sha);
        }
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aTamperedArchiveIsRefusedByItsChecksumAndLeavesNothing() throws Exception {
        storedImage(qcow2("disk", "the guest's data"));
        var store = new ImageStore(root);
        byte[] bytes;
        String sha;
        try (var export = store.export(FINGERPRINT, "tiny")) {
            bytes = Files.readAllBytes(export.file());
            sha = export.sha256();
        }
        int diskData = 512 + 1024 + 512; // the manifest is between 512 and 1024 bytes
        bytes[diskData + (1 << 16) + 7] ^= 1;
        assertThatThrownBy(() -> store.importImage("tiny2", new ByteArrayInputStream(bytes), sha))
                .isInstanceOf(AgentError.class)
                .hasMessageStartingWith("sha256: the upload's SHA-256 is ")
                .hasMessageContaining("not the expected " + sha);
        assertThat(store.list()).hasSize(1);
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aDiskMemberMustBeASelfContainedQcow2() throws Exception {
        var store = new ImageStore(root);
        var raw = new byte[1 << 20];
        raw[510] = 0x55;
        raw[511] = (byte) 0xAA;
        refused(store, Tars.tar(Tars.file("metadata.json", Tars.manifest(false)), Tars.file("disk.qcow2", raw)),
                "file: archive member 'disk.qcow2' is not a qcow2 image (qemu-img reads it as raw)");

        var base = qcow2("base", "x");
        var overlay = elsewhere.resolve("overlay.qcow2");
        qemuImg.createOverlay(base, "qcow2", overlay, OptionalLong.empty());
        refused(store, Tars.tar(Tars.file("metadata.json", Tars.manifest(false)),
                        Tars.file("disk.qcow2", Files.readAllBytes(overlay))),
                "file: archive member 'disk.qcow2': the qcow2 image has a backing file ('" + base + "')");
        assertThat(store.list()).isEmpty();
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void exportingAnUnknownImageIs404() {
        var store = new ImageStore(root);
        assertThatThrownBy(() -> store.export("ef".repeat(32), "x")).isInstanceOf(AgentError.class)
                .satisfies(e -> assertThat(((AgentError) e).status()).isEqualTo(404));
    }

    @Test
    void workDirectoriesOfAKilledAgentAreRemovedAtStart() throws IOException {
        Files.createDirectories(root.resolve(".import-1234/x"));
        Files.createDirectories(root.resolve(".export-5678"));
        Files.createDirectories(root.resolve(".cache"));
        new ImageStore(root);
        assertThat(leftovers()).isEmpty();
        assertThat(root.resolve(".cache")).exists();
    }

    private static void refused(ImageStore store, byte[] upload, String message) {
        assertThatThrownBy(() -> store.importImage("x", new ByteArrayInputStream(upload)))
                .isInstanceOf(AgentError.class).hasMessageStartingWith(message);
    }

    private List<String> leftovers() throws IOException {
        try (Stream<Path> entries = Files.list(root)) {
            return entries.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith(".import-") || n.startsWith(".export-")).toList();
        }
    }

    private static void extract(Path tar, String member, Path target) throws IOException {
        try (var in = new TarArchiveInputStream(Files.newInputStream(tar))) {
            for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                if (e.getName().equals(member)) {
                    Files.copy(in, target);
                    return;
                }
            }
        }
        throw new AssertionError(member + " not in " + tar);
    }

    private static void assertSameContent(Path a, Path b) throws Exception {
        var p = new ProcessBuilder("qemu-img", "compare", "-U", a.toString(), b.toString())
                .redirectErrorStream(true).start();
        var out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
    }

    @Test
    void aReplicaKeepsTheFingerprintItsArchiveNamesAndAPlainUploadCannotClaimOne() throws Exception {
        storedImage(qcow2("disk", "the guest's data"));
        var archive = elsewhere.resolve("tiny.tar");
        String sha;
        try (var export = new ImageStore(root).export(FINGERPRINT, "tiny")) {
            Files.copy(export.file(), archive);
            sha = export.sha256();
        }
        var otherHost = new ImageStore(Files.createDirectories(elsewhere.resolve("other-host")));
        try (var in = Files.newInputStream(archive)) {
            var replica = otherHost.replicate("tiny", in, sha);
            assertThat(replica.dir().getFileName().toString()).isEqualTo(FINGERPRINT);
            assertThat(otherHost.get(FINGERPRINT).toHostImage().fingerprint()).isEqualTo(FINGERPRINT);
        }
        var raw = qcow2("plain", "not an archive");
        var digest = Sha256.digest();
        digest.update(Files.readAllBytes(raw));
        var plainSha = Sha256.hex(digest);
        try (var in = Files.newInputStream(raw)) {
            assertThatThrownBy(() -> otherHost.replicate("plain", in, plainSha)).isInstanceOf(AgentError.class)
                    .hasMessageContaining("archive: a replicated image must be an image archive naming its fingerprint");
        }
    }
}
