package dev.virga.api;

/** Result of a command run in a guest; output is base64 so binary output survives JSON. */
public record ExecResult(int exitCode, int signal, String stdoutBase64, String stderrBase64, boolean truncated) {
}
