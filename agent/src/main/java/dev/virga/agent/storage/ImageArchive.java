package dev.virga.agent.storage;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.DigestOutputStream;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Virga's image archive, after Incus's unified image tarballs: an uncompressed tar of {@code metadata.json},
 * {@code disk.qcow2} (self-contained) and, for an image that boots a kernel directly, {@code vmlinux} and
 * {@code initrd.cpio}. It is written deterministically (fixed member order, mode, owner and mtime) so that the same
 * image always gives the same bytes, and so the same SHA-256, which is what lets a user publish a checksum.
 */
final class ImageArchive {
    static final String MANIFEST = "metadata.json";
    static final String DISK = "disk.qcow2";
    static final String KERNEL = "vmlinux";
    static final String INITRD = "initrd.cpio";
    /** Every member an archive may hold, in the order they are written. */
    static final List<String> MEMBERS = List.of(MANIFEST, DISK, KERNEL, INITRD);
    /** Where a tar header keeps its magic; POSIX writes "ustar\0", GNU tar "ustar ". */
    private static final int MAGIC_OFFSET = 257;
    private static final byte[] MAGIC = "ustar".getBytes(StandardCharsets.US_ASCII);

    private ImageArchive() {
    }

    /** One member to write: its name in the archive and the file holding its bytes. */
    record Member(String name, Path source) {
        Member {
            if (!MEMBERS.contains(name)) {
                throw new IllegalArgumentException("'" + name + "' is not a member of an image archive");
            }
        }
    }

    /** What {@link #write} produced. */
    record Written(String sha256, long size) {
    }

    /** Whether the first bytes of an upload are a tar header. */
    static boolean isArchive(byte[] head) {
        int end = MAGIC_OFFSET + MAGIC.length;
        return head.length > end
                && Arrays.equals(head, MAGIC_OFFSET, end, MAGIC, 0, MAGIC.length)
                && (head[end] == 0 || head[end] == ' ');
    }

    /**
     * Writes the members, in {@link #MEMBERS} order, as a new tar file {@code target}, hashing it on the way.
     * Every member gets mode 0644, owner root:root (0:0) and {@code mtime} whole seconds: nothing of the host
     * (the agent's user, the files' times) reaches the bytes.
     */
    static Written write(List<Member> members, Instant mtime, Path target) throws IOException {
        var ordered = members.stream().sorted(Comparator.comparingInt(m -> MEMBERS.indexOf(m.name()))).toList();
        var digest = Sha256.digest();
        var time = FileTime.from(mtime.truncatedTo(ChronoUnit.SECONDS));
        try (var file = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             var tar = new TarArchiveOutputStream(new DigestOutputStream(new BufferedOutputStream(file, 1 << 16),
                     digest), StandardCharsets.UTF_8.name())) {
            // a disk over 8 GiB does not fit the ustar size field: a PAX header carries it instead
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            for (var member : ordered) {
                var entry = new TarArchiveEntry(member.name());
                entry.setSize(Files.size(member.source()));
                entry.setMode(0100644);
                entry.setModTime(time);
                entry.setIds(0, 0);
                entry.setNames("root", "root");
                tar.putArchiveEntry(entry);
                Files.copy(member.source(), tar);
                tar.closeArchiveEntry();
            }
            tar.finish();
        }
        return new Written(Sha256.hex(digest), Files.size(target));
    }
}
