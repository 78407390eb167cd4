package dev.virga.agent.vm;

import dev.virga.agent.AgentError;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A stopped VM's instance directory as a tar stream (what a cold move carries between hosts): only the plain
 * files directly in it (definition, chain, disk layers, saved memory states, logs), no paths or links.
 */
final class InstanceArchive {
    private static final Pattern MEMBER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,200}");

    private InstanceArchive() {
    }

    static void write(Path dir, OutputStream out) throws IOException {
        write(dir, out, java.util.Set.of(), java.util.Map.of());
    }

    /**
     * As {@link #write(Path, OutputStream)}, without the files named in {@code skip} and with {@code extra} members
     * (name to content) after the files: a live move leaves out the layer the running guest writes, which the
     * destination mirrors instead, and says how to make its empty counterpart.
     */
    static void write(Path dir, OutputStream out, java.util.Set<String> skip, java.util.Map<String, byte[]> extra)
            throws IOException {
        List<Path> files;
        try (var list = Files.list(dir)) {
            files = list.filter(Files::isRegularFile).filter(f -> MEMBER.matcher(f.getFileName().toString()).matches()
                    && !f.getFileName().toString().endsWith(".tmp") && !skip.contains(f.getFileName().toString()))
                    .sorted().toList();
        }
        // closing the tar writes its last block; the caller's stream itself stays open
        var shield = new java.io.FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush();
            }
        };
        var tar = new TarArchiveOutputStream(new BufferedOutputStream(shield, 1 << 16));
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        for (var f : files) {
            var entry = new TarArchiveEntry(f.getFileName().toString());
            entry.setSize(Files.size(f));
            entry.setMode(0644);
            tar.putArchiveEntry(entry);
            Files.copy(f, tar);
            tar.closeArchiveEntry();
        }
        for (var member : extra.entrySet()) {
            var entry = new TarArchiveEntry(member.getKey());
            entry.setSize(member.getValue().length);
            entry.setMode(0644);
            tar.putArchiveEntry(entry);
            tar.write(member.getValue());
            tar.closeArchiveEntry();
        }
        tar.close();
    }

    /** Whether {@code name} could be a member: a flat file name (no '/', not starting with '.'). */
    static boolean isMemberName(String name) {
        return name != null && MEMBER.matcher(name).matches();
    }

    /** Unpacks into the (existing, empty) {@code into}; anything but flat plain files is a 400. */
    static void read(InputStream in, Path into) throws IOException {
        var seen = new HashSet<String>();
        var tar = new TarArchiveInputStream(in);
        TarArchiveEntry entry;
        while ((entry = tar.getNextEntry()) != null) {
            var name = entry.getName();
            if (!entry.isFile() || !isMemberName(name) || !seen.add(name)) {
                throw AgentError.badInput("archive", "member '" + name + "' is not a plain file of an instance "
                        + "directory (or comes twice)");
            }
            Files.copy(tar, into.resolve(name));
        }
        if (!seen.contains(VmDefinition.FILE)) {
            throw AgentError.badInput("archive", "has no " + VmDefinition.FILE);
        }
    }
}
