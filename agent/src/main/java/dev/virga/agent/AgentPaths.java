package dev.virga.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Where a host keeps things. Sockets go under a short run directory because a unix socket path may not exceed
 * 107 bytes, and instance directories under a deep data directory easily would.
 */
public record AgentPaths(Path dataDir, Path images, Path instances, Path runRoot) {

    public static AgentPaths of(Path dataDir) {
        var data = dataDir.toAbsolutePath().normalize();
        return new AgentPaths(data, data.resolve("images"), data.resolve("instances"), runRootFor(data));
    }

    public Path instanceDir(String name) {
        return instances.resolve(name);
    }

    public Path runDir(String name) {
        return runRoot.resolve(name);
    }

    public void create() {
        try {
            // guests' disks and memory, and the sockets that control their QEMUs: the agent's user only
            dev.virga.client.OwnerOnly.directory(dataDir);
            Files.createDirectories(images);
            Files.createDirectories(instances);
            dev.virga.client.OwnerOnly.directory(runRoot);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the agent's directories under " + dataDir, e);
        } catch (UncheckedIOException e) {
            throw new UncheckedIOException("cannot create the agent's directories under " + dataDir, e.getCause());
        }
    }

    private static Path runRootFor(Path data) {
        var hash = sha256(data.toString()).substring(0, 10);
        var run = Path.of("/run");
        if (Files.isWritable(run)) {
            return run.resolve("virga").resolve(hash);
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "virga-" + System.getProperty("user.name"), hash);
    }

    static String sha256(String s) {
        try {
            var d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
