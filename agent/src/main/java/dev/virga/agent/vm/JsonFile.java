package dev.virga.agent.vm;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.virga.client.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** The agent's small state files ({@code vm.json}, {@code chain.json}, {@code warm.json}): pretty JSON, replaced atomically. */
final class JsonFile {
    private JsonFile() {
    }

    /** Writes {@code value} to {@code file} through {@code file.tmp} and an atomic rename: readers see old or new. */
    static void write(Path file, Object value) {
        var tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.write(tmp, Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(value));
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
