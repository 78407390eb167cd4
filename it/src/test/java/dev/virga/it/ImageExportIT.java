package dev.virga.it;

import dev.virga.client.ApiException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * An image leaves as an image archive and comes back: {@code virga image export} writes a reproducible tarball and
 * its SHA-256, {@code virga image import --sha256} takes it back under a new name, and a VM launched from that boots
 * the same guest through the imported kernel. Damaged or doctored archives are refused and leave nothing behind.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ImageExportIT {
    @TempDir
    static Path home;
    @TempDir
    static Path files;
    static VirgaUp virga;
    static Path archive;
    static String sha;

    @BeforeAll
    static void up() throws Exception {
        virga = VirgaUp.withTinyImage(home);
        archive = files.resolve("tiny.tar");
    }

    @AfterAll
    static void down() throws Exception {
        virga.close();
    }

    @Test
    @Order(1)
    void exportWritesAReproducibleArchiveAndPrintsItsChecksum() throws Exception {
        var r = virga.cli("image", "export", "tiny", archive.toString());
        assertThat(r.exit()).as(r.toString()).isZero();
        sha = sha256(archive);
        assertThat(r.out()).matches("exported tiny to " + archive + " \\(\\d+(\\.\\d)?MiB\\), sha256 " + sha + "\n");
        System.out.printf("[export] tiny: %d bytes, sha256 %s%n", Files.size(archive), sha);
        assertThat(members(archive)).containsExactly("metadata.json", "disk.qcow2", "vmlinux", "initrd.cpio");
        assertThat(files.resolve("tiny.tar.partial")).doesNotExist();
        assertNothingLeftBehind();

        var again = files.resolve("again.tar");
        assertThat(virga.cli("image", "export", "tiny", again.toString()).out()).endsWith("sha256 " + sha + "\n");
        assertThat(Files.mismatch(archive, again)).as("the same image gives the same bytes").isEqualTo(-1);

        var refused = virga.cli("image", "export", "tiny", archive.toString());
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("file: " + archive + " exists; use --force to overwrite it");
        var forced = virga.cli("image", "export", "tiny", archive.toString(), "--force");
        assertThat(forced.exit()).as(forced.toString()).isZero();
        assertThat(sha256(archive)).isEqualTo(sha);
    }

    @Test
    @Order(2)
    void exportOfAnUnknownImageIs404() throws Exception {
        var e = catchThrowableOfType(ApiException.class, () -> virga.client().exportImage("nope"));
        assertThat(e.code()).isEqualTo(404);
        var r = virga.cli("image", "export", "nope", files.resolve("nope.tar").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("image 'nope' not found");
        assertThat(files.resolve("nope.tar")).doesNotExist();
        assertThat(files.resolve("nope.tar.partial")).doesNotExist();
    }

    @Test
    @Order(3)
    void theArchiveImportsUnderANewNameAndBootsTheSameGuest() throws Exception {
        var r = virga.cli("image", "import", archive.toString(), "--name", "tiny2", "--sha256", sha.toUpperCase());
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("image tiny2 imported: " + sha).endsWith("sha256 " + sha + "\n");
        var original = virga.client().image("tiny");
        var imported = virga.client().image("tiny2");
        assertThat(imported.fingerprint()).isEqualTo(sha);
        assertThat(imported.bootsKernel()).isTrue();
        assertThat(imported.os()).isEqualTo(original.os());
        assertThat(imported.virtualSize()).isEqualTo(original.virtualSize());
        assertThat(home.resolve("images").resolve(sha)).isDirectoryContaining(p -> p.endsWith("vmlinux"));

        long t0 = System.nanoTime();
        var launch = virga.cli("launch", "tiny2", "vm");
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertThat(launch.exit()).as(launch.toString()).isZero();
        System.out.printf("[export] launch tiny2 vm (from the imported archive): %d ms, CLI: %s", millis, launch.out());
        assertThat(virga.qemus()).singleElement().satisfies(q -> assertThat(q.info().commandLine().orElseThrow())
                .contains("images/" + sha + "/vmlinux"));
        var osRelease = virga.cli("exec", "vm", "--", "cat", "/etc/os-release");
        assertThat(osRelease.exit()).isZero();
        assertThat(osRelease.out()).contains("PRETTY_NAME=\"" + original.os() + "\"").contains("ID=virga-tiny");

        assertThat(virga.cli("delete", "vm", "--force").exit()).isZero();
        assertThat(virga.qemus()).isEmpty();
    }

    @Test
    @Order(4)
    void aWrongChecksumIsRefusedAndNothingIsStored() throws Exception {
        var wrong = "0".repeat(64);
        var r = virga.cli("image", "import", archive.toString(), "--name", "tiny3", "--sha256", wrong);
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("sha256: ").contains(sha).contains(wrong);

        var e = catchThrowableOfType(ApiException.class, () -> virga.client().importImage(archive, "tiny3", wrong));
        assertThat(e.code()).isEqualTo(400);
        assertThat(e.getMessage()).startsWith("sha256: the upload's SHA-256 is " + sha + ", not the expected " + wrong);
        assertNotImported("tiny3");
    }

    @Test
    @Order(5)
    void aTamperedArchiveIsRefusedWithAClearMessage() throws Exception {
        long disk = diskOffset(archive);
        var flipped = copyWithFlippedByte("flipped.tar", disk + 200_000);
        var r = virga.cli("image", "import", flipped.toString(), "--name", "tampered", "--sha256", sha);
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("sha256: " + flipped + " has SHA-256 ").contains("not the expected " + sha);
        var e = catchThrowableOfType(ApiException.class, () -> virga.client().importImage(flipped, "tampered", sha));
        assertThat(e.getMessage()).startsWith("sha256: the upload's SHA-256 is ");
        assertNotImported("tampered");

        // without a checksum, the members' own checks still catch what breaks them
        refused(copyWithFlippedByte("magic.tar", disk), "archive member 'disk.qcow2' is not a qcow2 image");

        var extra = files.resolve("extra.tar");
        Files.copy(archive, extra);
        Files.writeString(files.resolve("notes.txt"), "not part of an image\n");
        run(files, "tar", "-rf", extra.toString(), "notes.txt");
        refused(extra, "file: archive member 'notes.txt' does not belong in the archive");

        refused(evilArchive(), "file: archive member '../x' is not a plain file name");
        assertThat(home.resolve("x")).doesNotExist();

        var truncated = files.resolve("truncated.tar");
        try (var in = Files.newInputStream(archive)) {
            Files.write(truncated, in.readNBytes((int) (disk + 1_000_000)));
        }
        refused(truncated, "file: the archive is truncated or damaged in member 'disk.qcow2'");
    }

    @Test
    @Order(6)
    void aReaderThatGoesAwayHalfWayLeavesNothingBehind() throws Exception {
        try (var download = virga.client().exportImage("tiny")) {
            assertThat(download.sha256()).isEqualTo(sha);
            assertThat(download.content().readNBytes(100_000)).hasSize(100_000);
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (hasExportLeftovers() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertNothingLeftBehind();
    }

    private static void refused(Path file, String message) throws Exception {
        var e = catchThrowableOfType(ApiException.class, () -> virga.client().importImage(file, "doctored"));
        assertThat(e.code()).as(String.valueOf(e)).isEqualTo(400);
        assertThat(e.getMessage()).contains(message);
        var cli = virga.cli("image", "import", file.toString(), "--name", "doctored");
        assertThat(cli.exit()).isEqualTo(1);
        assertThat(cli.err()).contains(message);
        assertNotImported("doctored");
    }

    /** No catalog row, no image directory (only tiny's and tiny2's), no work directory, no spool file. */
    private static void assertNotImported(String name) throws IOException {
        assertThat(virga.client().images()).extracting(i -> i.name()).containsExactly("tiny", "tiny2");
        assertThat(name).isNotIn("tiny", "tiny2");
        var expected = new ArrayList<>(List.of(sha, virga.client().image("tiny").fingerprint()));
        try (var dirs = Files.list(home.resolve("images"))) {
            // the shared cache may hold other builds of tiny; any other directory would be a stored upload
            assertThat(dirs.map(d -> d.getFileName().toString()).filter(n -> !n.startsWith("."))
                    .filter(n -> !expected.contains(n)).filter(n -> !Files.exists(SharedImage.cache().resolve(n))))
                    .isEmpty();
        }
        assertNothingLeftBehind();
    }

    private static void assertNothingLeftBehind() throws IOException {
        try (var dirs = Files.list(home.resolve("images"))) {
            assertThat(dirs.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith(".import-") || n.startsWith(".export-"))).isEmpty();
        }
        var spool = home.resolve("spool");
        if (Files.exists(spool)) {
            try (var left = Files.list(spool)) {
                assertThat(left.toList()).isEmpty();
            }
        }
    }

    private static boolean hasExportLeftovers() throws IOException {
        try (var dirs = Files.list(home.resolve("images"))) {
            return dirs.anyMatch(p -> p.getFileName().toString().startsWith(".export-"));
        }
    }

    private static List<String> members(Path tar) throws IOException {
        var names = new ArrayList<String>();
        try (var in = new TarArchiveInputStream(Files.newInputStream(tar))) {
            for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                names.add(e.getName());
            }
        }
        return names;
    }

    /** Where disk.qcow2's bytes start: after the manifest's header and data, and its own header. */
    private static long diskOffset(Path tar) throws IOException {
        try (var in = new TarArchiveInputStream(Files.newInputStream(tar))) {
            TarArchiveEntry manifest = in.getNextEntry();
            assertThat(manifest.getName()).isEqualTo("metadata.json");
            return 512 + (manifest.getSize() + 511) / 512 * 512 + 512;
        }
    }

    private static Path copyWithFlippedByte(String name, long offset) throws IOException {
        var copy = files.resolve(name);
        Files.copy(archive, copy);
        try (var f = new java.io.RandomAccessFile(copy.toFile(), "rw")) {
            f.seek(offset);
            int b = f.read();
            f.seek(offset);
            f.write(b ^ 0xff);
        }
        return copy;
    }

    /** A tar whose member would land outside the image directory if extracted naively. */
    private static Path evilArchive() throws IOException {
        var evil = files.resolve("evil.tar");
        try (var tar = new TarArchiveOutputStream(Files.newOutputStream(evil))) {
            for (var name : List.of("metadata.json", "../x")) {
                var entry = new TarArchiveEntry(name, true);
                var data = name.getBytes();
                entry.setSize(data.length);
                tar.putArchiveEntry(entry);
                tar.write(data);
                tar.closeArchiveEntry();
            }
        }
        return evil;
    }

    private static String sha256(Path file) throws Exception {
        var digest = MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(file)) {
            var buffer = new byte[1 << 16];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static void run(Path dir, String... cmd) throws Exception {
        var p = new ProcessBuilder(cmd).directory(dir.toFile()).inheritIO().start();
        assertThat(p.waitFor()).isZero();
    }
}
