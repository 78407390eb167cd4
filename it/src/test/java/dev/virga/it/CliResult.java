package dev.virga.it;

import java.nio.charset.StandardCharsets;

/** What one run of the {@code virga} command did. */
record CliResult(int exit, byte[] outBytes, String err) {
    String out() {
        return new String(outBytes, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "exit " + exit + "\n--- stdout\n" + out() + "\n--- stderr\n" + err;
    }
}
