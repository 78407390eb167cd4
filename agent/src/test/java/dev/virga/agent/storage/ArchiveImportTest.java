package dev.virga.agent.storage;

import dev.virga.agent.AgentError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import static dev.virga.agent.storage.Tars.file;
import static dev.virga.agent.storage.Tars.tar;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Receiving an upload that is an image archive: what is unpacked, and every way an archive is refused. */
class ArchiveImportTest {
    @TempDir
    Path root;

    private Path work() throws IOException {
        return Files.createDirectories(root.resolve("work"));
    }

    private Upload.Received receive(byte[] upload) throws IOException {
        return Upload.receive(new ByteArrayInputStream(upload), work(), Optional.empty());
    }

    private static byte[] image(Tars.Entry... extra) {
        var entries = new java.util.ArrayList<>(List.of(file("metadata.json", Tars.manifest(true)),
                file("disk.qcow2", new byte[5000]), file("vmlinux", Tars.elf()), file("initrd.cpio", Tars.cpio())));
        entries.addAll(List.of(extra));
        return tar(entries.toArray(Tars.Entry[]::new));
    }

    @Test
    void anArchiveIsUnpackedOnTheWayAndHashedWhole() throws Exception {
        var upload = image();
        var received = receive(upload);
        assertThat(received.members()).contains(List.of("metadata.json", "disk.qcow2", "vmlinux", "initrd.cpio"));
        assertThat(received.sha256()).isEqualTo(sha256(upload));
        assertThat(Files.readAllBytes(root.resolve("work/vmlinux"))).isEqualTo(Tars.elf());
        assertThat(root.resolve("work/upload")).doesNotExist();

        var manifest = ArchiveImport.manifest(root.resolve("work"), received.members().get());
        assertThat(manifest.cmdline()).isEqualTo("console=ttyS0 root=/dev/vda");
        assertThat(manifest.created()).isEqualTo(Tars.CREATED);
    }

    @Test
    void aFileThatIsNotAnArchiveIsKeptAsItIs() throws Exception {
        var received = receive("QFI\u00fb not really".getBytes());
        assertThat(received.members()).isEmpty();
        assertThat(root.resolve("work/upload")).exists();
    }

    @Test
    void aMemberWithAPathIsRefusedAndNothingLandsOutsideTheWorkDirectory() {
        refused(tar(file("metadata.json", Tars.manifest(false)), file("../x", "escaped")),
                "file: archive member '../x' is not a plain file name (no directories, no '..')");
        assertThat(root.resolve("x")).doesNotExist();
        refused(tar(file("/etc/cron.d/x", "* * * * * root sh")), "archive member '/etc/cron.d/x' is not a plain file");
        refused(tar(file("images/disk.qcow2", "x")), "archive member 'images/disk.qcow2' is not a plain file");
    }

    @Test
    void aMemberThatIsNotPartOfAnImageIsRefusedByName() {
        refused(image(file("notes.txt", "hello")), "file: archive member 'notes.txt' does not belong in the archive; "
                + "a Virga image archive holds metadata.json, disk.qcow2 and, for an image that boots a kernel, "
                + "vmlinux and initrd.cpio");
    }

    @Test
    void aMemberTwiceIsRefused() {
        refused(image(file("disk.qcow2", new byte[10])), "file: archive member 'disk.qcow2' appears twice");
    }

    @Test
    void linksDirectoriesAndDevicesAreRefused() {
        refused(tar(Tars.symlink("vmlinux", "/etc/shadow")),
                "file: archive member 'vmlinux' is a symbolic link (to '/etc/shadow'); only plain files are allowed");
        refused(tar(file("metadata.json", "{}"), Tars.hardlink("disk.qcow2", "metadata.json")),
                "archive member 'disk.qcow2' is a hard link (to 'metadata.json')");
        refused(tar(Tars.dir("disk.qcow2")), "archive member 'disk.qcow2/' is not a plain file name");
    }

    @Test
    void aTruncatedArchiveIsRefusedSayingWhere() {
        var whole = image();
        // cut in the middle of disk.qcow2's data: header (512) + manifest, then disk header and part of its data
        int diskData = 512 + roundUp(Tars.manifest(true).length) + 512;
        refused(Tars.cut(whole, diskData + 1000),
                "file: the archive is truncated or damaged in member 'disk.qcow2'");
        // cut in the middle of a header: the tar reader alone would take that for the end
        refused(Tars.cut(whole, diskData - 100), "file: the archive is truncated after member 'metadata.json' "
                + "(no end-of-archive marker)");
        // cut right after a member
        int afterDisk = diskData + roundUp(5000);
        refused(Tars.cut(whole, afterDisk), "file: the archive is truncated after member 'disk.qcow2' "
                + "(no end-of-archive marker)");
        refused(Tars.cut(whole, 300), "file: the archive is truncated at its start");
    }

    @Test
    void anArchiveWithoutSomeMemberMissesIt() throws Exception {
        var received = receive(tar(file("metadata.json", Tars.manifest(true)), file("disk.qcow2", "d")));
        assertThatThrownBy(() -> ArchiveImport.manifest(root.resolve("work"), received.members().get()))
                .isInstanceOf(AgentError.class)
                .hasMessageStartingWith("file: archive member 'vmlinux' is missing (metadata.json names a kernel)");
    }

    @Test
    void dataAfterTheEndOfTheArchiveIsRefused() {
        var whole = image();
        var longer = java.util.Arrays.copyOf(whole, whole.length + 512);
        longer[longer.length - 1] = 1;
        refused(longer, "file: the archive has data after its end-of-archive marker");
    }

    @Test
    void theMembersMustBeThoseTheManifestCallsFor() throws Exception {
        manifestRefused(tar(file("disk.qcow2", "d")), "file: archive member 'metadata.json' is missing");
        manifestRefused(tar(file("metadata.json", Tars.manifest(false))),
                "file: archive member 'disk.qcow2' is missing (it is the image's disk)");
        manifestRefused(tar(file("metadata.json", Tars.manifest(false)), file("disk.qcow2", "d"),
                file("vmlinux", Tars.elf())),
                "file: archive member 'vmlinux' does not belong in the archive: metadata.json names no kernel");
        manifestRefused(tar(file("metadata.json", Tars.manifest(true)), file("disk.qcow2", "d"),
                file("vmlinux", Tars.elf())),
                "file: archive member 'initrd.cpio' is missing (metadata.json names an initrd)");
        manifestRefused(tar(file("metadata.json", "{\"name\": 1}"), file("disk.qcow2", "d")),
                "file: archive member 'metadata.json' is not a valid image manifest: image manifest metadata.json "
                        + "lacks the text field name");
        manifestRefused(tar(file("metadata.json", "not json"), file("disk.qcow2", "d")),
                "file: archive member 'metadata.json' is not a valid image manifest");
    }

    @Test
    void aHugeManifestIsRefusedBeforeItIsRead() {
        refused(tar(file("metadata.json", new byte[(int) ArchiveImport.MAX_MANIFEST + 1])),
                "file: archive member 'metadata.json' is 1048577 bytes; a manifest is at most 1048576 bytes");
    }

    @Test
    void aKernelMustBeAKernel() throws Exception {
        var notElf = Tars.write(work(), "vmlinux", "#!/bin/sh\n".getBytes());
        assertThatThrownBy(() -> ArchiveImport.checkKernel(notElf)).isInstanceOf(AgentError.class)
                .hasMessage("file: archive member 'vmlinux' is not a Linux kernel (neither ELF nor bzImage)");
        ArchiveImport.checkKernel(Tars.write(work(), "elf", Tars.elf()));
    }

    @Test
    void aChecksumMismatchIsRefusedNamingBothValues() throws Exception {
        var upload = image();
        var wrong = "0".repeat(64);
        assertThatThrownBy(() -> Upload.receive(new ByteArrayInputStream(upload), work(), Optional.of(wrong)))
                .isInstanceOf(AgentError.class)
                .hasMessageStartingWith("sha256: the upload's SHA-256 is " + sha256(upload) + ", not the expected "
                        + wrong);
        var received = Upload.receive(new ByteArrayInputStream(upload), Files.createDirectories(root.resolve("w2")),
                Optional.of(sha256(upload)));
        assertThat(received.sha256()).isEqualTo(sha256(upload));
    }

    @Test
    void aChecksumMismatchExplainsAnArchiveThatLooksBroken() {
        var original = image();
        var damaged = Tars.cut(original, original.length - 3000);
        assertThatThrownBy(() -> Upload.receive(new ByteArrayInputStream(damaged), work(),
                Optional.of(sha256(original))))
                .isInstanceOf(AgentError.class).hasMessageStartingWith("sha256: the upload's SHA-256 is ");
    }

    @Test
    void aChecksumMustBeOne() {
        assertThat(Sha256.parse(" " + "AB".repeat(32) + "\n")).isEqualTo("ab".repeat(32));
        assertThatThrownBy(() -> Sha256.parse("abc")).isInstanceOf(AgentError.class)
                .hasMessage("sha256: 'abc' is not a SHA-256 (64 hex digits)");
    }

    private void refused(byte[] upload, String message) {
        assertThatThrownBy(() -> Upload.receive(new ByteArrayInputStream(upload),
                Files.createDirectories(root.resolve("refused-" + System.nanoTime())), Optional.empty()))
                .isInstanceOf(AgentError.class)
                .hasMessageContaining(message)
                .satisfies(e -> assertThat(((AgentError) e).status()).isEqualTo(400));
    }

    private void manifestRefused(byte[] upload, String message) throws IOException {
        var work = Files.createDirectories(root.resolve("m-" + System.nanoTime()));
        var received = Upload.receive(new ByteArrayInputStream(upload), work, Optional.empty());
        assertThatThrownBy(() -> ArchiveImport.manifest(work, received.members().get()))
                .isInstanceOf(AgentError.class).hasMessageStartingWith(message);
    }

    private static int roundUp(int n) {
        return (n + 511) / 512 * 512;
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
