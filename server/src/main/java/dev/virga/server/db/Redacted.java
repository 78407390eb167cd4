package dev.virga.server.db;

/** JDBC URLs carry passwords; what is logged or shown never does. */
final class Redacted {
    private Redacted() {
    }

    static String url(String jdbcUrl) {
        return jdbcUrl.replaceAll("(?i)(password=)[^&;]*", "$1***");
    }
}
