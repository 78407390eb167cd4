package dev.virga.agent.storage;

import dev.virga.agent.AgentError;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/** SHA-256 as images use it: the fingerprint of an upload and the checksum of an export. */
final class Sha256 {
    private Sha256() {
    }

    static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("JDK without SHA-256", e);
        }
    }

    static String hex(MessageDigest digest) {
        return HexFormat.of().formatHex(digest.digest());
    }

    /** A checksum a user typed or pasted: 64 hex digits, either case; returned in lower case. */
    static String parse(String text) {
        var hex = text.strip().toLowerCase(Locale.ROOT);
        if (!hex.matches("[0-9a-f]{64}")) {
            throw AgentError.badInput("sha256", "'" + text + "' is not a SHA-256 (64 hex digits)");
        }
        return hex;
    }

    /** Refuses an upload whose checksum is not the one its sender announced. */
    static void verify(String expected, String actual) {
        if (!expected.equals(actual)) {
            throw AgentError.badInput("sha256", "the upload's SHA-256 is " + actual + ", not the expected "
                    + expected + ": the file is not the one the checksum belongs to, or it was damaged on the way");
        }
    }
}
