package dev.virga.api;

/** {@code GET /1.0}: what this server is. */
public record ServerInfo(String name, String version, String apiVersion, int hosts, int instances) {
}
