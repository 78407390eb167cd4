package dev.virga.qemu.ga;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * {@code guest-exec-status} of a process started with {@code guest-exec}.
 *
 * @param exitCode the exit code once exited normally, else -1
 * @param signal the signal that killed it, or -1 if none
 * @param truncated the agent cut stdout or stderr (qemu-ga keeps at most 16 MiB of each)
 */
public record ExecStatus(boolean exited, int exitCode, int signal, byte[] stdout, byte[] stderr, boolean truncated) {
    public ExecStatus {
        stdout = stdout.clone();
        stderr = stderr.clone();
    }

    @Override
    public byte[] stdout() {
        return stdout.clone();
    }

    @Override
    public byte[] stderr() {
        return stderr.clone();
    }

    public String stdoutText() {
        return new String(stdout, StandardCharsets.UTF_8);
    }

    public String stderrText() {
        return new String(stderr, StandardCharsets.UTF_8);
    }

    /** Exited normally with code 0. */
    public boolean succeeded() {
        return exited && exitCode == 0 && signal < 0;
    }

    // Records compare arrays by identity; output is data, so compare it by content.
    @Override
    public boolean equals(Object o) {
        return o instanceof ExecStatus e && exited == e.exited && exitCode == e.exitCode && signal == e.signal
                && truncated == e.truncated && Arrays.equals(stdout, e.stdout) && Arrays.equals(stderr, e.stderr);
    }

    @Override
    public int hashCode() {
        return Objects.hash(exited, exitCode, signal, truncated, Arrays.hashCode(stdout), Arrays.hashCode(stderr));
    }

    @Override
    public String toString() {
        return "ExecStatus[exited=" + exited + ", exitCode=" + exitCode + ", signal=" + signal
                + ", stdout=" + stdout.length + " bytes, stderr=" + stderr.length + " bytes, truncated=" + truncated + "]";
    }
}
