package dev.virga.api;

/**
 * {@code GET /1.0}: what this server is.
 *
 * @param leader    whether this server leads (takes writes and runs the background work); always true on SQLite
 * @param leaderUrl the leader's URL as it recorded it; empty while no leader is known
 */
public record ServerInfo(String name, String version, String apiVersion, int hosts, int instances, boolean leader,
                         String leaderUrl) {
}
