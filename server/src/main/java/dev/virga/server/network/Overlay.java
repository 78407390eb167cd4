package dev.virga.server.network;

import dev.virga.api.agent.HostReport;
import dev.virga.api.agent.OverlayTable;
import dev.virga.client.AgentClient;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The cross-host overlay's control plane: which MAC of which segment lives behind which host's VXLAN endpoint.
 * Level-triggered: on every host report the table that host should have is computed from the store (NICs, the
 * hosts their instances are on, the endpoints hosts reported) and sent when the version the host applied differs,
 * so a launch, a move or a delete reaches every switch within a reconcile pass, and so does a restarted agent.
 */
public final class Overlay {
    private static final Logger LOG = LoggerFactory.getLogger(Overlay.class);
    private final Jdbi jdbi;
    private final Map<String, String> endpoints = new ConcurrentHashMap<>();

    public Overlay(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** After a host's report: remembers its endpoint and sends it its table if it applied another one. */
    public void reported(String host, AgentClient agent, HostReport report) {
        if (report.overlayEndpoint().isEmpty()) {
            return; // a host without a switch (simulated)
        }
        endpoints.put(host, report.overlayEndpoint());
        var table = tableFor(host);
        if (!table.version().equals(report.overlayVersion())) {
            agent.overlay(table);
            LOG.info("host {}: overlay table {} sent ({} remote NICs)", host, table.version(), table.remotes().size());
        }
    }

    private record Placed(int vni, String mac, String host) {
    }

    /** What {@code host}'s switch must know: the NICs on other hosts in the segments that have NICs on it. */
    OverlayTable tableFor(String host) {
        var placed = jdbi.withHandle(h -> h.createQuery("SELECT n.vni, c.mac, i.host FROM nics c "
                        + "JOIN networks n ON n.name = c.network JOIN instances i ON i.name = c.instance "
                        + "WHERE i.host <> ''")
                .map((rs, ctx) -> new Placed(rs.getInt(1), rs.getString(2), rs.getString(3))).list());
        Set<Integer> local = new HashSet<>();
        for (var p : placed) {
            if (p.host().equals(host)) {
                local.add(p.vni());
            }
        }
        var remotes = new ArrayList<OverlayTable.Remote>();
        var flood = new TreeMap<Integer, TreeSet<String>>();
        for (var p : placed) {
            var endpoint = endpoints.get(p.host());
            if (!local.contains(p.vni()) || p.host().equals(host) || endpoint == null) {
                continue;
            }
            remotes.add(new OverlayTable.Remote(p.vni(), p.mac(), endpoint));
            flood.computeIfAbsent(p.vni(), v -> new TreeSet<>()).add(endpoint);
        }
        remotes.sort(java.util.Comparator.comparingInt(OverlayTable.Remote::vni)
                .thenComparing(OverlayTable.Remote::mac));
        var floods = flood.entrySet().stream()
                .map(e -> new OverlayTable.Flood(e.getKey(), List.copyOf(e.getValue()))).toList();
        var balancers = jdbi.withHandle(h -> LoadBalancers.forHost(h, host));
        return new OverlayTable(version(remotes, floods, balancers), remotes, floods, balancers);
    }

    private static String version(List<OverlayTable.Remote> remotes, List<OverlayTable.Flood> floods,
                                  List<OverlayTable.Balancer> balancers) {
        try {
            var digest = MessageDigest.getInstance("SHA-256");
            digest.update((remotes.toString() + floods + balancers).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
