package dev.virga.cli;

/** An error the CLI reports as one line and a non-zero exit. */
final class CliError extends RuntimeException {
    private final int exitCode;

    CliError(String message) {
        this(message, 1);
    }

    CliError(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
