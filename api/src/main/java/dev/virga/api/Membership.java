package dev.virga.api;

/** What a host keeps after joining: its name and the secret it comes back with after a restart. */
public record Membership(String server, String name, String secret) {
}
