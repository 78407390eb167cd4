package dev.virga.api.agent;

import java.util.List;

/**
 * What the server tells one host's switch about the other hosts (the cross-host overlay): for each segment that has
 * NICs on this host, which MACs live behind which other host's VXLAN endpoint, and which hosts get a copy of
 * broadcast and unknown frames. The whole table every time (level-triggered): the host replaces what it had.
 *
 * @param version names this content; the host reports the version it applied, and the server sends the table again
 *                whenever that differs from what it wants (after a change, or a restart of either side)
 */
public record OverlayTable(String version, List<Remote> remotes, List<Flood> floods) {
    public OverlayTable {
        remotes = remotes == null ? List.of() : List.copyOf(remotes);
        floods = floods == null ? List.of() : List.copyOf(floods);
    }

    /** A NIC on another host: frames to {@code mac} in segment {@code vni} go to {@code endpoint} (host:port). */
    public record Remote(int vni, String mac, String endpoint) {
    }

    /** The other hosts with NICs in segment {@code vni}. */
    public record Flood(int vni, List<String> endpoints) {
        public Flood {
            endpoints = endpoints == null ? List.of() : List.copyOf(endpoints);
        }
    }
}
