package dev.virga.agent.storage;

import java.nio.file.Path;

/**
 * An image archive written for one export, in its own {@code .export-*} directory under the store. Closing it
 * removes that directory, so an export leaves nothing behind, also when its reader goes away half-way.
 *
 * @param sha256 the archive's SHA-256, known before the first byte is sent
 * @param size the archive's size in bytes
 */
public record ExportFile(Path file, String sha256, long size) implements AutoCloseable {
    @Override
    public void close() {
        Trees.delete(file.getParent());
    }
}
