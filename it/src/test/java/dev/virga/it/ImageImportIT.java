package dev.virga.it;

import dev.virga.client.ApiException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Importing disk images: what is accepted, what is refused and why, and that a refusal leaves nothing behind. */
class ImageImportIT {
    @TempDir
    static Path home;
    @TempDir
    static Path files;
    static VirgaUp virga;

    @BeforeAll
    static void up() throws Exception {
        virga = VirgaUp.withTinyImage(home);
    }

    @AfterAll
    static void down() throws Exception {
        virga.close();
    }

    @Test
    void aRawDiskIsImportedAsQcow2UnderTheHashOfItsBytes() throws Exception {
        var raw = files.resolve("disk.raw");
        try (var f = new RandomAccessFile(raw.toFile(), "rw")) {
            f.setLength(8L << 20);
            f.seek(510);
            f.write(new byte[] {0x55, (byte) 0xAA});
        }
        var r = virga.cli("image", "import", raw.toString(), "--name", "rawdisk");
        assertThat(r.exit()).as(r.toString()).isZero();
        var sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(raw)));
        assertThat(r.out()).contains("image rawdisk imported: " + sha);
        var image = virga.client().image("rawdisk");
        assertThat(image.format()).isEqualTo("qcow2");
        assertThat(image.virtualSize()).isEqualTo(8L << 20);
        assertThat(home.resolve("images").resolve(sha).resolve("disk.qcow2")).exists();

        assertThat(virga.cli("image", "list").out()).containsPattern("rawdisk\\s+" + sha.substring(0, 12));
        var dup = virga.cli("image", "import", raw.toString(), "--name", "rawdisk");
        assertThat(dup.exit()).isEqualTo(1);
        assertThat(dup.err()).contains("image 'rawdisk' already exists");

        assertThat(virga.cli("image", "delete", "rawdisk").exit()).isZero();
        assertThat(home.resolve("images").resolve(sha)).doesNotExist();
    }

    @Test
    void aQcow2WithABackingFileIsRefused() throws Exception {
        var base = files.resolve("base.qcow2");
        var overlay = files.resolve("overlay.qcow2");
        run("qemu-img", "create", "-q", "-f", "qcow2", base.toString(), "16M");
        run("qemu-img", "create", "-q", "-f", "qcow2", "-b", base.toString(), "-F", "qcow2", overlay.toString());
        refused(overlay, "backed", 400, "has a backing file ('" + base + "')");
    }

    @Test
    void aQcow2WithAnExternalDataFileIsRefused() throws Exception {
        var data = files.resolve("data.raw");
        var image = files.resolve("external.qcow2");
        run("qemu-img", "create", "-q", "-f", "qcow2", "-o", "data_file=" + data, image.toString(), "16M");
        refused(image, "external", 400, "keeps its data in an external file ('" + data + "')");
    }

    @Test
    void aFileThatIsNotADiskImageIsRefused() throws Exception {
        var text = files.resolve("notes.txt");
        Files.writeString(text, "this is not a disk\n".repeat(100));
        refused(text, "notes", 400, "not a disk image");
    }

    @Test
    void anUnsupportedFormatIsRefusedWithTheWayOut() throws Exception {
        var vmdk = files.resolve("disk.vmdk");
        run("qemu-img", "create", "-q", "-f", "vmdk", vmdk.toString(), "16M");
        refused(vmdk, "vm-disk", 400, "format 'vmdk' is not supported");
    }

    @Test
    void aBadNameIsRefusedBeforeTheUpload() throws Exception {
        var raw = files.resolve("named.raw");
        Files.write(raw, new byte[4096]);
        var e = catchThrowableOfType(ApiException.class, () -> virga.client().importImage(raw, "Bad Name"));
        assertThat(e.code()).isEqualTo(400);
        assertThat(e.getMessage()).startsWith("name: 'Bad Name' is not a valid name");
        assertThat(virga.client().images()).extracting(i -> i.name()).containsExactly("tiny");
    }

    private static void refused(Path file, String name, int status, String message) throws Exception {
        var e = catchThrowableOfType(ApiException.class, () -> virga.client().importImage(file, name));
        assertThat(e.code()).isEqualTo(status);
        assertThat(e.getMessage()).startsWith("file: ").contains(message);
        assertThat(virga.client().images()).extracting(i -> i.name()).containsExactly("tiny");
        try (var dirs = Files.list(home.resolve("images"))) {
            assertThat(dirs.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".import"))).isEmpty();
        }
        try (var spool = Files.list(home.resolve("spool"))) {
            assertThat(spool.toList()).isEmpty();
        }
        var cli = virga.cli("image", "import", file.toString(), "--name", name);
        assertThat(cli.exit()).isEqualTo(1);
        assertThat(cli.err()).contains(message);
    }

    private static void run(String... cmd) throws Exception {
        var p = new ProcessBuilder(List.of(cmd)).inheritIO().start();
        assertThat(p.waitFor()).isZero();
    }
}
