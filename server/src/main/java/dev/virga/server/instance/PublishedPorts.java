package dev.virga.server.instance;

import dev.virga.api.PublishedPort;
import dev.virga.server.http.ApiError;
import org.jdbi.v3.core.Jdbi;

import java.util.ArrayList;
import java.util.List;

/**
 * Host ports forwarded to instances' guests through their provider NIC ({@code virga launch --publish}). Kept per
 * instance in {@code published_ports}; the scheduler keeps clashing forwards off one host, the host's QEMU listens.
 */
final class PublishedPorts {
    private final Jdbi jdbi;

    PublishedPorts(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** Reads a launch's {@code publish} entries; 400 naming {@code publish} when one is wrong or two clash. */
    static List<PublishedPort> parse(List<String> texts) {
        var ports = new ArrayList<PublishedPort>();
        for (var text : texts) {
            PublishedPort port;
            try {
                port = PublishedPort.parse(text);
            } catch (IllegalArgumentException e) {
                throw new ApiError.BadInput("publish", e.getMessage());
            }
            for (var other : ports) {
                if (other.clashesWith(port)) {
                    throw new ApiError.BadInput("publish", port + " and " + other + " use the same host port");
                }
            }
            ports.add(port);
        }
        return ports;
    }

    void store(String instance, List<PublishedPort> ports) {
        jdbi.useTransaction(h -> {
            for (var p : ports) {
                h.createUpdate("INSERT INTO published_ports (instance, protocol, host_address, host_port, guest_port) "
                                + "VALUES (:i, :proto, :addr, :hp, :gp)")
                        .bind("i", instance).bind("proto", p.protocol()).bind("addr", p.hostAddress())
                        .bind("hp", p.hostPort()).bind("gp", p.guestPort()).execute();
            }
        });
    }

    List<PublishedPort> of(String instance) {
        return jdbi.withHandle(h -> h.createQuery("SELECT protocol, host_address, host_port, guest_port "
                        + "FROM published_ports WHERE instance = :i ORDER BY protocol, host_port, host_address")
                .bind("i", instance)
                .map((rs, ctx) -> new PublishedPort(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getInt(4)))
                .list());
    }
}
