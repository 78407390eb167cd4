package dev.virga.qemu.img;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A finished short-lived tool run. Both pipes are drained concurrently (a tool blocked on a
 * full stderr pipe would otherwise never exit), and a run past its timeout is killed.
 */
record ProcessRun(List<String> command, int exitCode, String stdout, String stderr) {

    static ProcessRun run(List<String> command, Duration timeout) {
        var builder = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().put("LC_ALL", "C"); // messages we show and match are the untranslated ones
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command.getFirst() + ": " + e.getMessage(), e);
        }
        CompletableFuture<String> out = drain(process.getInputStream());
        CompletableFuture<String> err = drain(process.getErrorStream());
        try {
            if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor();
                throw new ProcessTimeoutException(String.join(" ", command) + " did not finish within " + timeout
                        + " and was killed");
            }
            return new ProcessRun(List.copyOf(command), process.exitValue(), out.join(), err.join());
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new ProcessTimeoutException("interrupted while running " + String.join(" ", command));
        }
    }

    boolean succeeded() {
        return exitCode == 0;
    }

    private static CompletableFuture<String> drain(InputStream stream) {
        var result = new CompletableFuture<String>();
        Thread.ofVirtual().start(() -> {
            try (stream) {
                result.complete(new String(stream.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                result.complete("");
            }
        });
        return result;
    }

    /** The tool ran too long (or we were interrupted) and was killed. */
    static final class ProcessTimeoutException extends RuntimeException {
        ProcessTimeoutException(String message) {
            super(message);
        }
    }
}
