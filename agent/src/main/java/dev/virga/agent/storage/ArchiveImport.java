package dev.virga.agent.storage;

import dev.virga.agent.AgentError;
import dev.virga.qemu.image.ImageManifest;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static dev.virga.agent.storage.ImageArchive.DISK;
import static dev.virga.agent.storage.ImageArchive.INITRD;
import static dev.virga.agent.storage.ImageArchive.KERNEL;
import static dev.virga.agent.storage.ImageArchive.MANIFEST;
import static dev.virga.agent.storage.ImageArchive.MEMBERS;

/**
 * Unpacks an uploaded image archive into a work directory and checks that it is exactly a Virga image: plain files
 * with plain names, each at most once, and the members its manifest calls for, no more and no fewer. A name is
 * compared with the fixed list of members before anything is written, so no entry can land outside the work
 * directory, whatever the archive says.
 */
final class ArchiveImport {
    /** A manifest is a page of JSON; anything much bigger is not one, and it is parsed in memory. */
    static final long MAX_MANIFEST = 1 << 20;
    private static final int RECORD = TarConstants.DEFAULT_RCDSIZE;
    private static final String EXPECTED = "a Virga image archive holds metadata.json, disk.qcow2 and, for an image "
            + "that boots a kernel, vmlinux and initrd.cpio";

    private ArchiveImport() {
    }

    /**
     * Unpacks the archive's members into {@code dir}; returns their names in archive order. Reads up to the
     * end-of-archive marker, so the caller can check what follows it.
     */
    static List<String> unpack(InputStream in, Path dir) {
        var counted = new Counted(in);
        // Blocks of one record: the reader then stops right after the end-of-archive marker instead of skipping
        // to a 10 KiB block boundary, so the caller sees (and checks) every byte after it. Not closed: that would
        // close the upload, whose rest the caller still reads.
        var tar = new TarArchiveInputStream(counted, RECORD, RECORD, StandardCharsets.UTF_8.name());
        var members = new ArrayList<String>();
        long dataEnd = 0;
        while (true) {
            var entry = next(tar, members);
            if (entry == null) {
                requireEndMarker(counted.count, dataEnd, members);
                return members;
            }
            var name = entry.getName();
            checkName(name, members);
            checkType(entry);
            if (name.equals(MANIFEST) && entry.getSize() > MAX_MANIFEST) {
                throw refused("archive member 'metadata.json' is " + entry.getSize() + " bytes; a manifest is at "
                        + "most " + MAX_MANIFEST + " bytes");
            }
            dataEnd = counted.count + (entry.getSize() + RECORD - 1) / RECORD * RECORD;
            copy(tar, dir.resolve(name));
            members.add(name);
        }
    }

    /**
     * The tar reader takes a header cut short, or no header at all, for the end of the archive; a whole archive
     * ends in whole records with a zero record (the end-of-archive marker) after the last member.
     */
    private static void requireEndMarker(long read, long dataEnd, List<String> members) {
        if (read % RECORD != 0 || read < dataEnd + RECORD) {
            throw refused("the archive is truncated " + (members.isEmpty() ? "at its start"
                    : "after member '" + members.getLast() + "'") + " (no end-of-archive marker)");
        }
    }

    /** Checks the member names alone: plain, known, once. */
    static void checkName(String name, List<String> seen) {
        if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.equals("..") || name.equals(".")) {
            throw refused("archive member '" + printable(name) + "' is not a plain file name (no directories, "
                    + "no '..'); " + EXPECTED);
        }
        if (!MEMBERS.contains(name)) {
            throw refused("archive member '" + printable(name) + "' does not belong in the archive; " + EXPECTED);
        }
        if (seen.contains(name)) {
            throw refused("archive member '" + name + "' appears twice");
        }
    }

    private static void checkType(TarArchiveEntry entry) {
        byte flag = entry.getLinkFlag();
        if ((flag != TarConstants.LF_NORMAL && flag != TarConstants.LF_OLDNORM) || entry.isSparse()) {
            throw refused("archive member '" + entry.getName() + "' is " + kind(entry) + "; only plain files are "
                    + "allowed");
        }
    }

    private static String kind(TarArchiveEntry entry) {
        if (entry.isSymbolicLink()) {
            return "a symbolic link (to '" + printable(entry.getLinkName()) + "')";
        }
        if (entry.isLink()) {
            return "a hard link (to '" + printable(entry.getLinkName()) + "')";
        }
        if (entry.isDirectory()) {
            return "a directory";
        }
        if (entry.isCharacterDevice() || entry.isBlockDevice()) {
            return "a device";
        }
        if (entry.isFIFO()) {
            return "a FIFO";
        }
        return entry.isSparse() ? "a sparse file" : "an entry of type '" + (char) entry.getLinkFlag() + "'";
    }

    /**
     * Reads the manifest and checks the members against it: {@code metadata.json} and {@code disk.qcow2} always,
     * {@code vmlinux} exactly when it names a kernel, {@code initrd.cpio} exactly when it names an initrd.
     */
    static ImageManifest manifest(Path dir, List<String> members) {
        if (!members.contains(MANIFEST)) {
            throw missing(MANIFEST, "it describes the image");
        }
        ImageManifest manifest;
        try {
            manifest = ImageManifest.read(dir);
        } catch (RuntimeException e) {
            throw refused("archive member 'metadata.json' is not a valid image manifest: "
                    + String.valueOf(e.getMessage()).replace(dir + "/", ""));
        }
        if (manifest.kernel().isEmpty() && !manifest.initrd().isEmpty()) {
            throw refused("archive member 'metadata.json' names an initrd but no kernel");
        }
        expect(members, DISK, true, "it is the image's disk");
        expect(members, KERNEL, !manifest.kernel().isEmpty(), "metadata.json names a kernel");
        expect(members, INITRD, !manifest.initrd().isEmpty(), "metadata.json names an initrd");
        return manifest;
    }

    private static void expect(List<String> members, String name, boolean wanted, String why) {
        if (wanted && !members.contains(name)) {
            throw missing(name, why);
        }
        if (!wanted && members.contains(name)) {
            throw refused("archive member '" + name + "' does not belong in the archive: metadata.json names no "
                    + (name.equals(KERNEL) ? "kernel" : "initrd"));
        }
    }

    /** The kernel QEMU will boot: an ELF vmlinux or a bzImage, so that a wrong file is refused now, not at launch. */
    static void checkKernel(Path kernel) {
        try (var raf = new RandomAccessFile(kernel.toFile(), "r")) {
            var head = new byte[0x206];
            int n = raf.read(head);
            boolean elf = n >= 4 && head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' && head[3] == 'F';
            boolean bzImage = n >= 0x206 && new String(head, 0x202, 4, StandardCharsets.US_ASCII).equals("HdrS");
            if (!elf && !bzImage) {
                throw refused("archive member 'vmlinux' is not a Linux kernel (neither ELF nor bzImage)");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + kernel, e);
        }
    }

    static void checkInitrd(Path initrd) {
        try {
            if (Files.size(initrd) == 0) {
                throw refused("archive member 'initrd.cpio' is empty");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + initrd, e);
        }
    }

    private static TarArchiveEntry next(TarArchiveInputStream tar, List<String> members) {
        try {
            return tar.getNextEntry();
        } catch (IOException | RuntimeException e) {
            throw damaged(members.isEmpty() ? "at its start" : "after member '" + members.getLast() + "'", e);
        }
    }

    /** Copies one member; a read failure is the archive's fault (400), a write failure the host's. */
    private static void copy(TarArchiveInputStream tar, Path target) {
        var buffer = new byte[1 << 16];
        try (var out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            while (true) {
                int n;
                try {
                    n = tar.read(buffer);
                } catch (IOException | RuntimeException e) {
                    throw damaged("in member '" + target.getFileName() + "'", e);
                }
                if (n < 0) {
                    return;
                }
                out.write(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        }
    }

    private static AgentError damaged(String where, Exception e) {
        return refused("the archive is truncated or damaged " + where + " (" + e.getMessage() + ")");
    }

    private static AgentError missing(String name, String why) {
        return refused("archive member '" + name + "' is missing (" + why + "); " + EXPECTED);
    }

    private static AgentError refused(String reason) {
        return AgentError.badInput("file", reason);
    }

    /** A name from the archive as it may be shown in a message: no control characters, not endless. */
    private static String printable(String name) {
        var clean = name.replaceAll("\\p{Cntrl}", "?");
        return clean.length() > 100 ? clean.substring(0, 100) + "..." : clean;
    }

    /** Counts the bytes the tar reader takes, so that a cut-short archive can be told from a whole one. */
    private static final class Counted extends FilterInputStream {
        long count;
        private long marked;

        Counted(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            count += b < 0 ? 0 : 1;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            count += Math.max(n, 0);
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            count += skipped;
            return skipped;
        }

        @Override
        public synchronized void mark(int limit) {
            super.mark(limit);
            marked = count;
        }

        @Override
        public synchronized void reset() throws IOException {
            super.reset();
            count = marked;
        }
    }
}
