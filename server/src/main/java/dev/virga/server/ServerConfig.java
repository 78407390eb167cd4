package dev.virga.server;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How to run a control plane.
 *
 * @param dataDir   where the server keeps its state ({@code db/virga.sqlite}, upload spool)
 * @param jdbcUrl   the state store: empty means SQLite under {@code dataDir}; {@code jdbc:postgresql://...} lets
 *                  several servers share it (one leads, the others stand by)
 * @param bindHost  address to listen on ({@code virga up} uses 127.0.0.1 only)
 * @param port      0 picks a free port
 * @param reconcile how often the reconcile loop asks hosts what they run
 * @param advertise the URL other servers' clients and agents reach this server at, recorded when it leads; empty
 *                  means {@code http://bindHost:port} (127.0.0.1 for 0.0.0.0)
 */
public record ServerConfig(Path dataDir, String jdbcUrl, String bindHost, int port, Duration reconcile,
                           String advertise) {
    public ServerConfig(Path dataDir, String jdbcUrl, String bindHost, int port, Duration reconcile) {
        this(dataDir, jdbcUrl, bindHost, port, reconcile, "");
    }

    public static ServerConfig local(Path dataDir, int port) {
        return new ServerConfig(dataDir, "", "127.0.0.1", port, Duration.ofSeconds(1));
    }
}
