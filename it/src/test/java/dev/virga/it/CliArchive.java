package dev.virga.it;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A class-data-sharing archive of the CLI's classes beside virga.jar, made once (as ./virga makes it), so that each
 * of the hundreds of CLI processes the integration tests start loads its classes mapped instead of parsed: about
 * 1.0 s instead of 1.6 s of CPU each on these machines, more under load. Made by one training run under a file lock
 * and renamed into place; a JVM that cannot use it (a newer jar) ignores it silently.
 */
final class CliArchive {
    private static Optional<Path> archive;

    private CliArchive() {
    }

    /** The JVM options that use the archive, none if it could not be made. */
    static synchronized List<String> options(Path jar, String java) {
        if (archive == null) {
            archive = make(jar, java);
        }
        return archive.map(a -> List.of("-Xlog:cds=off", "-Xlog:cds+dynamic=off", "-XX:SharedArchiveFile=" + a))
                .orElse(List.of());
    }

    private static Optional<Path> make(Path jar, String java) {
        var target = jar.resolveSibling("virga-cli.jsa");
        try (var lockFile = FileChannel.open(jar.resolveSibling(".virga-cli.jsa.lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); var lock = lockFile.lock()) {
            if (Files.exists(target) && Files.getLastModifiedTime(target).compareTo(Files.getLastModifiedTime(jar)) > 0) {
                return Optional.of(target);
            }
            var tmp = jar.resolveSibling("virga-cli.jsa.tmp");
            Files.deleteIfExists(tmp);
            // a command that loads what most commands load: picocli, the HTTP client, JSON (it finds no server)
            var p = new ProcessBuilder(java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-XX:ArchiveClassesAtExit=" + tmp, "-jar", jar.toString(), "list", "--url", "http://127.0.0.1:9")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(2, TimeUnit.MINUTES) || !Files.exists(tmp)) {
                p.destroyForcibly();
                return Optional.empty();
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return Optional.of(target);
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
