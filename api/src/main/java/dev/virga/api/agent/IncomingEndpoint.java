package dev.virga.api.agent;

/**
 * Where a destination host waits for a live migration: its NBD server exporting the new disk layer (the source
 * mirrors the disk into it) and its QEMU's migration listener.
 *
 * @param host          address both listen on (the destination agent's)
 * @param nbdPort       NBD server port
 * @param export        NBD export name of the disk
 * @param migrationPort QEMU {@code migrate-incoming} TCP port
 */
public record IncomingEndpoint(String host, int nbdPort, String export, int migrationPort) {
}
