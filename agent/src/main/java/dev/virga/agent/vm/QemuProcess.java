package dev.virga.agent.vm;

import dev.virga.agent.AgentError;
import dev.virga.qemu.qmp.QmpClient;
import dev.virga.qemu.qmp.QmpException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Spawning QEMU so that it outlives the agent ({@code setsid}: its own session, so a signal to the agent's process
 * group never reaches it; output to a file, so it never writes into a dead pipe), and finding it again by pid file.
 */
final class QemuProcess {
    private static final Duration QMP_WAIT = Duration.ofSeconds(20);

    private QemuProcess() {
    }

    /** A QEMU process and the QMP connection to it. */
    record Spawned(ProcessHandle handle, Optional<Process> child, QmpClient qmp) {
    }

    /**
     * Starts QEMU (paused, {@code -S}) and connects QMP. If QEMU exits first, fails with what QEMU printed.
     */
    static Spawned spawn(List<String> command, Path log, Path qmpSocket) {
        return spawn(command, log, qmpSocket, Optional.empty());
    }

    /** The descriptor a QEMU spawned with an incoming file reads it from ({@code migrate-incoming fd:3}). */
    static final int INCOMING_FD = 3;

    /**
     * As {@link #spawn(List, Path, Path)}; with {@code incoming}, QEMU also gets that file open for reading as
     * descriptor {@value #INCOMING_FD}, so a saved state loads straight from the file, without a pipe and a
     * {@code cat} that need the scheduler for every 64 KiB.
     */
    static Spawned spawn(List<String> command, Path log, Path qmpSocket, Optional<Path> incoming) {
        var argv = new ArrayList<String>();
        argv.add("setsid");
        if (incoming.isPresent()) {
            argv.addAll(List.of("sh", "-c", "exec \"$0\" \"$@\" " + INCOMING_FD + "< \"$VIRGA_INCOMING\""));
        }
        argv.addAll(command);
        Process process;
        try {
            Files.deleteIfExists(qmpSocket);
            var builder = new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            incoming.ifPresent(f -> builder.environment().put("VIRGA_INCOMING", f.toString()));
            process = builder.start();
        } catch (IOException e) {
            throw AgentError.failed("cannot run " + command.getFirst() + ": " + e.getMessage()
                    + " (install the Debian package qemu-system-x86)", e);
        }
        long deadline = System.nanoTime() + QMP_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw AgentError.failed("QEMU failed to start (exit code " + process.exitValue() + "): "
                        + lastLines(log), null);
            }
            if (Files.exists(qmpSocket)) {
                try {
                    return new Spawned(process.toHandle(), Optional.of(process),
                            QmpClient.connect(qmpSocket, Duration.ofSeconds(2)));
                } catch (QmpException e) {
                    // not listening yet, or QEMU is dying: the loop looks again
                }
            }
            sleep(20);
        }
        process.destroyForcibly();
        throw AgentError.failed("QEMU did not open its QMP socket within " + QMP_WAIT.toSeconds() + " s: "
                + lastLines(log), null);
    }

    /** Finds a live QEMU from its pid file, if the pid still belongs to a QEMU with that QMP socket. */
    static Optional<ProcessHandle> find(Path pidFile, Path qmpSocket) {
        try {
            if (!Files.exists(pidFile)) {
                return Optional.empty();
            }
            long pid = Long.parseLong(Files.readString(pidFile).strip());
            var handle = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
            if (handle.isEmpty()) {
                return Optional.empty();
            }
            // a recycled pid must not be mistaken for our QEMU
            var cmdline = Files.readString(Path.of("/proc", String.valueOf(pid), "cmdline")).replace('\0', ' ');
            return cmdline.contains(qmpSocket.toString()) ? handle : Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    static String lastLines(Path log) {
        try {
            var lines = Files.readAllLines(log);
            var tail = lines.subList(Math.max(0, lines.size() - 5), lines.size());
            var text = String.join("\n", tail).strip();
            return text.isEmpty() ? "(QEMU printed nothing)" : text;
        } catch (IOException e) {
            return "(no QEMU output: " + e.getMessage() + ")";
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw AgentError.failed("interrupted", e);
        }
    }
}
