package dev.virga.agent.storage;

import dev.virga.agent.AgentError;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.util.List;
import java.util.Optional;

/**
 * Takes an uploaded file into a work directory while hashing it, in one pass: an image archive is unpacked on the
 * way (no second copy of a big disk), anything else lands as the file {@value #FILE}. The SHA-256 is checked
 * against the sender's before anything else looks at the content.
 */
final class Upload {
    static final String FILE = "upload";
    private static final int HEAD = 512;

    private Upload() {
    }

    /**
     * @param sha256 the upload's SHA-256
     * @param members the archive's members (unpacked in the work directory), or empty for a plain file
     */
    record Received(String sha256, Optional<List<String>> members) {
    }

    /** @param expectedSha256 the checksum the sender announced (lower-case hex), or empty */
    static Received receive(InputStream content, Path work, Optional<String> expectedSha256) throws IOException {
        var digest = Sha256.digest();
        var in = new BufferedInputStream(new DigestInputStream(content, digest), 1 << 16);
        Optional<List<String>> members = Optional.empty();
        try {
            if (ImageArchive.isArchive(head(in))) {
                members = Optional.of(ArchiveImport.unpack(in, work));
                requireOnlyZeros(in);
            } else {
                Files.copy(in, work.resolve(FILE));
            }
        } catch (AgentError e) {
            // Read the rest: the sender then gets this answer instead of a broken pipe, and a refusal caused by a
            // transfer that damaged the file is reported as the checksum mismatch it really is.
            drain(in);
            expectedSha256.ifPresent(expected -> Sha256.verify(expected, Sha256.hex(digest)));
            throw e;
        }
        var sha = Sha256.hex(digest);
        expectedSha256.ifPresent(expected -> Sha256.verify(expected, sha));
        return new Received(sha, members);
    }

    private static byte[] head(BufferedInputStream in) throws IOException {
        in.mark(HEAD);
        var head = in.readNBytes(HEAD);
        in.reset();
        return head;
    }

    /**
     * After the end-of-archive marker only zero padding may follow: tar readers stop at the marker, so anything
     * else would be bytes (say, an appended member) that the checksum covers but nobody checked.
     */
    private static void requireOnlyZeros(InputStream in) throws IOException {
        var buffer = new byte[1 << 16];
        int n;
        while ((n = in.read(buffer)) >= 0) {
            for (int i = 0; i < n; i++) {
                if (buffer[i] != 0) {
                    throw AgentError.badInput("file", "the archive has data after its end-of-archive marker");
                }
            }
        }
    }

    private static void drain(InputStream in) {
        try {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        } catch (IOException e) {
            // the sender went away: nobody reads the answer anyway
        }
    }
}
