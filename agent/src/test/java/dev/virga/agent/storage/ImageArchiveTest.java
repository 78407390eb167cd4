package dev.virga.agent.storage;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ImageArchiveTest {
    @TempDir
    Path dir;

    private List<ImageArchive.Member> members() {
        // given in the "wrong" order on purpose: the archive's order is fixed
        return List.of(new ImageArchive.Member("initrd.cpio", Tars.write(dir, "i", Tars.cpio())),
                new ImageArchive.Member("vmlinux", Tars.write(dir, "k", Tars.elf())),
                new ImageArchive.Member("disk.qcow2", Tars.write(dir, "d", new byte[70_000])),
                new ImageArchive.Member("metadata.json", Tars.write(dir, "m", Tars.manifest(true))));
    }

    @Test
    void theSameImageGivesTheSameBytesWhateverTheFilesTimesAndOwner() throws Exception {
        var first = ImageArchive.write(members(), Tars.CREATED, dir.resolve("a.tar"));
        for (var f : List.of("i", "k", "d", "m")) {
            Files.setLastModifiedTime(dir.resolve(f), FileTime.from(Instant.now().plusSeconds(3600)));
        }
        var second = ImageArchive.write(members(), Tars.CREATED.plusMillis(100), dir.resolve("b.tar"));

        assertThat(second).isEqualTo(first);
        assertThat(Files.readAllBytes(dir.resolve("b.tar"))).isEqualTo(Files.readAllBytes(dir.resolve("a.tar")));
        assertThat(first.sha256()).isEqualTo(HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(dir.resolve("a.tar")))));
        assertThat(first.size()).isEqualTo(Files.size(dir.resolve("a.tar")));
    }

    @Test
    void membersArePlainRootOwnedFilesInAFixedOrder() throws IOException {
        ImageArchive.write(members(), Tars.CREATED, dir.resolve("a.tar"));
        var entries = new ArrayList<TarArchiveEntry>();
        try (var tar = new TarArchiveInputStream(Files.newInputStream(dir.resolve("a.tar")))) {
            for (var e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
                entries.add(e);
            }
        }
        assertThat(entries).extracting(TarArchiveEntry::getName)
                .containsExactly("metadata.json", "disk.qcow2", "vmlinux", "initrd.cpio");
        assertThat(entries).allSatisfy(e -> {
            assertThat(e.isFile()).isTrue();
            assertThat(e.getMode()).isEqualTo(0100644);
            assertThat(e.getLongUserId()).isZero();
            assertThat(e.getLongGroupId()).isZero();
            assertThat(e.getUserName()).isEqualTo("root");
            assertThat(e.getLastModifiedTime().toInstant()).isEqualTo(Instant.parse("2026-01-02T03:04:05Z"));
        });
        assertThat(entries.get(1).getSize()).isEqualTo(70_000);
    }

    @Test
    void gnuTarCanListWhatVirgaWrites() throws Exception {
        ImageArchive.write(members(), Tars.CREATED, dir.resolve("a.tar"));
        var p = new ProcessBuilder("tar", "-tvf", dir.resolve("a.tar").toString()).redirectErrorStream(true).start();
        var out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out).contains("-rw-r--r-- root/root     70000 2026-01-02 03:04 disk.qcow2");
    }

    @Test
    void anUploadIsAnArchiveWhenItHasTheUstarMagicOfPosixOrGnuTar() {
        assertThat(ImageArchive.isArchive(Tars.tar(Tars.file("disk.qcow2", "x")))).isTrue();
        var gnu = new byte[512];
        System.arraycopy("ustar  \0".getBytes(), 0, gnu, 257, 8);
        assertThat(ImageArchive.isArchive(gnu)).isTrue();

        var qcow2 = new byte[512];
        System.arraycopy(new byte[] {'Q', 'F', 'I', (byte) 0xfb}, 0, qcow2, 0, 4);
        assertThat(ImageArchive.isArchive(qcow2)).isFalse();
        assertThat(ImageArchive.isArchive(new byte[100])).isFalse();
        var almost = new byte[512];
        System.arraycopy("ustarX".getBytes(), 0, almost, 257, 6);
        assertThat(ImageArchive.isArchive(almost)).isFalse();
    }
}
