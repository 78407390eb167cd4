package dev.virga.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.virga.client.Json;
import dev.virga.client.VirgaClient;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code $VIRGA_HOME} (default {@code ./var}): where {@code virga up} keeps its state, and the {@code up.json} that
 * tells the other verbs where the API is.
 */
record Home(Path dir) {
    static final int DEFAULT_PORT = 8443;

    /** What a running {@code virga up} wrote about itself. */
    record UpInfo(String url, long pid) {
    }

    static Home resolve() {
        var env = System.getenv("VIRGA_HOME");
        return new Home(Path.of(env == null || env.isBlank() ? "var" : env).toAbsolutePath().normalize());
    }

    /** A live process, not a zombie waiting for a parent to reap it. */
    static boolean alive(long pid) {
        if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            return false;
        }
        try {
            var stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            var state = stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
            return !state.equals("Z") && !state.equals("X");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** The {@code virga up} of this home, if it is running. */
    Optional<UpInfo> running() {
        return up().filter(u -> alive(u.pid()));
    }

    Path upFile() {
        return dir.resolve("up.json");
    }

    Path logFile() {
        return dir.resolve("virga.log");
    }

    Optional<UpInfo> up() {
        try {
            if (!Files.exists(upFile())) {
                return Optional.empty();
            }
            return Optional.of(Json.mapper().readValue(upFile().toFile(), UpInfo.class));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    void writeUp(UpInfo info) {
        writeUp(info, "up.json");
    }

    /** Writes where a process serves the API, for the CLI (up.json) or for scripts (server.json). */
    void writeUp(UpInfo info, String fileName) {
        try {
            dev.virga.client.OwnerOnly.directory(dir);
            dev.virga.client.OwnerOnly.write(dir.resolve(fileName), Json.mapper().writeValueAsBytes(info));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new CliError("cannot write " + dir.resolve(fileName) + ": " + e.getMessage());
        }
    }

    /**
     * The API to talk to: {@code --url}, else {@code $VIRGA_URL}, else the running {@code virga up}. The first two
     * may list several servers (comma-separated), tried in order.
     */
    static VirgaClient client(String url) {
        if (url != null && !url.isBlank()) {
            return new VirgaClient(servers("--url", url));
        }
        var env = System.getenv("VIRGA_URL");
        if (env != null && !env.isBlank()) {
            return new VirgaClient(servers("$VIRGA_URL", env));
        }
        var home = resolve();
        var up = home.running();
        return new VirgaClient(URI.create(up.map(UpInfo::url).orElseThrow(() -> new CliError(
                "Virga is not running for " + home.dir() + ": start it with ./virga up (or set VIRGA_URL)"))));
    }

    /** Parses a comma-separated list of server URLs; bad input names {@code field}. */
    static java.util.List<URI> servers(String field, String text) {
        try {
            return dev.virga.client.ServerUrls.parse(field, text);
        } catch (IllegalArgumentException e) {
            throw new CliError(e.getMessage());
        }
    }
}
