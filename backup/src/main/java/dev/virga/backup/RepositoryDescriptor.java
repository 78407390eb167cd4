package dev.virga.backup;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * {@code virga-backup.json}: what another Virga needs to read the repository after the host that wrote it is lost.
 * The format version changes whenever an older Virga could no longer read what a newer one writes.
 */
record RepositoryDescriptor(int format, String repositoryId, String created, int chunkSize, String chunkHash,
                            String compression) {

    static final int FORMAT = 1;

    static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    static RepositoryDescriptor read(Path root) {
        var layout = new RepositoryLayout(root);
        if (!Files.exists(root)) {
            throw new BackupException.RepositoryNotFound(root, "the directory does not exist");
        }
        if (!Files.isDirectory(root)) {
            throw new BackupException.RepositoryNotFound(root, "it is not a directory");
        }
        try {
            var tree = JSON.readTree(Files.readAllBytes(layout.descriptor()));
            var format = tree.path("format").asInt(-1);
            if (format != FORMAT) {
                throw new BackupException.UnsupportedFormat(root, format, FORMAT);
            }
            var descriptor = JSON.treeToValue(tree, RepositoryDescriptor.class);
            if (descriptor.chunkSize() <= 0 || !"sha256".equals(descriptor.chunkHash())
                    || !"zstd".equals(descriptor.compression())) {
                throw new BackupException.Io("reading " + layout.descriptor(),
                        new IOException("unexpected descriptor " + descriptor));
            }
            return descriptor;
        } catch (NoSuchFileException e) {
            throw new BackupException.RepositoryNotFound(root, "the directory holds no " + RepositoryLayout.DESCRIPTOR
                    + " (it is not a Virga backup repository)");
        } catch (IOException e) {
            throw new BackupException.Io("reading " + layout.descriptor(), e);
        }
    }

    void write(RepositoryLayout layout) throws IOException {
        var bytes = JSON.writeValueAsBytes(this);
        AtomicFiles.write(layout.tmp(), layout.descriptor(), bytes, bytes.length);
        AtomicFiles.syncDirectory(layout.root());
    }
}
