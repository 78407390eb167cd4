package dev.virga.qemu.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** Runs one host tool to completion; a non-zero exit becomes an {@link ImageBuildException} carrying its stderr. */
final class HostCommand {
  private static final int STDERR_LIMIT = 4000;

  private HostCommand() {}

  record Result(int exitCode, String stdout, String stderr) {}

  /** Runs argv in dir (null: inherit) and returns stdout; fails on a non-zero exit. */
  static String run(List<String> argv, Path dir, Map<String, String> env) {
    Result r = runAllowingFailure(argv, dir, env);
    if (r.exitCode() != 0) {
      throw new ImageBuildException(String.join(" ", argv) + " failed with exit code " + r.exitCode()
          + ": " + tail(r.stderr().isBlank() ? r.stdout() : r.stderr()));
    }
    return r.stdout();
  }

  static String run(List<String> argv) {
    return run(argv, null, Map.of());
  }

  static Result runAllowingFailure(List<String> argv, Path dir, Map<String, String> env) {
    ProcessBuilder pb = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(devNull()));
    if (dir != null) {
      pb.directory(dir.toFile());
    }
    // A fixed locale keeps tool output (apt-cache, mkfs) parseable whatever the user's environment says.
    pb.environment().put("LC_ALL", "C");
    pb.environment().putAll(env);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new ImageBuildException("cannot start " + argv.getFirst() + ": " + e.getMessage(), e);
    }
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> drain(p.getErrorStream()), r -> Thread.ofVirtual().start(r));
    String out = drain(p.getInputStream());
    try {
      int code = p.waitFor();
      return new Result(code, out, err.join());
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new ImageBuildException("interrupted while running " + argv.getFirst(), e);
    }
  }

  private static java.io.File devNull() {
    return new java.io.File("/dev/null");
  }

  private static String drain(InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String tail(String text) {
    String t = text.strip();
    return t.length() <= STDERR_LIMIT ? t : "..." + t.substring(t.length() - STDERR_LIMIT);
  }
}
