package dev.virga.vswitch;

import java.util.List;
import java.util.Optional;

/** A consistent snapshot of the switch's counters, taken on its loop thread. */
public record SwitchStats(List<PortStats> ports, List<LoadBalancerStats> loadBalancers, OverlayStats overlay) {
    public Optional<PortStats> port(String id) {
        return ports.stream().filter(p -> p.id().equals(id)).findFirst();
    }

    public Optional<LoadBalancerStats> loadBalancer(String id) {
        return loadBalancers.stream().filter(l -> l.id().equals(id)).findFirst();
    }
}
