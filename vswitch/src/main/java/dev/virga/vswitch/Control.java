package dev.virga.vswitch;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The agent's requests, carried out on the loop thread: networks, ports, remotes, load balancers, stats. */
final class Control {
    private static final Logger log = LoggerFactory.getLogger(Control.class);

    private final SwitchOptions options;
    private final Now now;
    private final PortIndex ports;
    private final SegmentTable segments;
    private final RemoteHosts remotes;
    private final PortLinks links;
    private final Dataplane dataplane;
    private final Map<String, Port> portsById = new LinkedHashMap<>();
    private final Map<String, LoadBalancer> loadBalancers = new LinkedHashMap<>();

    Control(SwitchOptions options, Now now, PortIndex ports, SegmentTable segments, RemoteHosts remotes,
            PortLinks links, Dataplane dataplane) {
        this.options = options;
        this.now = now;
        this.ports = ports;
        this.segments = segments;
        this.remotes = remotes;
        this.links = links;
        this.dataplane = dataplane;
    }

    void createNetwork(int vni) {
        Vni.check(vni);
        if (segments.find(vni) != null) {
            throw new SwitchException("network " + vni + " already exists");
        }
        segments.add(new Segment(vni));
        log.info("network {} created", vni);
    }

    void removeNetwork(int vni) {
        Segment segment = segments.require(vni);
        if (segment.ports.length > 0) {
            throw new SwitchException("network " + vni + " still has ports: "
                    + Arrays.stream(segment.ports).map(p -> p.spec.id()).toList());
        }
        if (segment.loadBalancers.length > 0) {
            throw new SwitchException("network " + vni + " still has load balancers");
        }
        segments.remove(segment);
        log.info("network {} removed", vni);
    }

    void attach(PortSpec spec) {
        if (portsById.containsKey(spec.id())) {
            throw new SwitchException("port " + spec.id() + " is already attached");
        }
        Segment segment = segments.require(spec.vni());
        for (Port other : segment.ports) {
            if (other.mac == spec.mac().value()) {
                throw new SwitchException("port " + spec.id() + ": MAC " + spec.mac() + " is already used by port "
                        + other.spec.id() + " in network " + spec.vni());
            }
        }
        int index = ports.freeIndex();
        Port port = new Port(spec, index, segment, options.queueFrames(), options.queueBytes());
        ports.byIndex[index] = port;
        portsById.put(spec.id(), port);
        segment.add(port);
        for (LoadBalancer lb : segment.loadBalancers) {
            for (LoadBalancer.Member m : lb.members) {
                if (m.portId.equals(spec.id())) {
                    m.attach(port);
                }
            }
        }
        log.info("port {} attached to network {} ({}, {}/{})", spec.id(), spec.vni(), spec.mac(), spec.ip(),
                spec.prefixLength());
        links.open(port);
    }

    void detach(String id) {
        Port port = requirePort(id);
        links.disconnect(port);
        port.detached = true;
        port.segment.remove(port);
        ports.byIndex[port.index] = null;
        portsById.remove(id);
        for (LoadBalancer lb : port.segment.loadBalancers) {
            for (int i = 0; i < lb.members.length; i++) {
                LoadBalancer.Member m = lb.members[i];
                if (m.port == port) {
                    int member = i;
                    lb.flows.removeIf((key, value, stamp) -> (value & LoadBalancer.MEMBER_MASK) == member);
                    m.detach(now.millis);
                }
            }
        }
        log.info("port {} detached", id);
    }

    private Port requirePort(String id) {
        Port port = portsById.get(id);
        if (port == null) {
            throw new SwitchException("port " + id + " is not attached");
        }
        return port;
    }

    void setRemote(int vni, MacAddress mac, InetSocketAddress endpoint) {
        segments.require(vni).remotes.put(Segment.macKey(mac.value()), remotes.configure(endpoint), 0);
    }

    void removeRemote(int vni, MacAddress mac) {
        segments.require(vni).remotes.remove(Segment.macKey(mac.value()));
    }

    void setFloodRemotes(int vni, Set<InetSocketAddress> hosts) {
        Segment segment = segments.require(vni);
        segment.floodRemotes = hosts.stream().mapToInt(remotes::configure).distinct().toArray();
    }

    void putLoadBalancer(LoadBalancerSpec spec) {
        Segment segment = segments.require(spec.vni());
        LoadBalancer old = loadBalancers.get(spec.id());
        for (LoadBalancer other : segment.loadBalancers) {
            if (other != old && other.vip == spec.vip().value()) {
                throw new SwitchException("load balancer " + spec.id() + ": VIP " + spec.vip()
                        + " is already used by load balancer " + other.spec.id());
            }
        }
        boolean sameService = old != null && old.spec.vni() == spec.vni() && old.vip == spec.vip().value()
                && old.spec.protocol() == spec.protocol() && old.spec.port() == spec.port();
        List<LoadBalancer.Member> members = new ArrayList<>();
        for (LoadBalancerSpec.Member member : spec.members()) {
            long mac = member.mac() == null ? 0 : member.mac().value();
            int ip = member.ip() == null ? 0 : member.ip().value();
            LoadBalancer.Member m = sameService ? oldMember(old, member.portId()) : null;
            if (m == null || m.mac != mac || m.ip != ip) {
                m = new LoadBalancer.Member(member.portId(), mac, ip);
                Port port = portsById.get(member.portId());
                m.port = port != null && port.segment == segment ? port : null;
            }
            members.add(m);
        }
        LoadBalancer lb = new LoadBalancer(spec, members);
        if (old != null) {
            if (sameService) {
                keepFlows(old, lb);
            }
            var ids = spec.members().stream().map(LoadBalancerSpec.Member::portId).toList();
            old.spec.members().stream().map(LoadBalancerSpec.Member::portId).filter(id -> !ids.contains(id))
                    .forEach(id -> log.info("load balancer {}: member {} removed", spec.id(), id));
            segments.require(old.spec.vni()).remove(old);
        }
        segment.add(lb);
        loadBalancers.put(spec.id(), lb);
        log.info("load balancer {} on network {}: {}:{}/{} -> {} ({})", spec.id(), spec.vni(), spec.vip(),
                spec.port(), spec.protocol(), spec.members(), spec.policy());
    }

    private static LoadBalancer.Member oldMember(LoadBalancer old, String portId) {
        for (LoadBalancer.Member m : old.members) {
            if (m.portId.equals(portId)) {
                return m;
            }
        }
        return null;
    }

    private static void keepFlows(LoadBalancer old, LoadBalancer lb) {
        old.flows.removeIf((key, value, stamp) -> {
            LoadBalancer.Member member = old.members[value & LoadBalancer.MEMBER_MASK];
            for (int i = 0; i < lb.members.length; i++) {
                if (lb.members[i] == member) {
                    lb.flows.put(key, i | (value & ~LoadBalancer.MEMBER_MASK), stamp);
                }
            }
            return false;
        });
        for (LoadBalancer.Member m : old.members) {
            if (!lb.isMemberObject(m)) {
                m.activeFlows = 0;
            }
        }
    }

    void removeLoadBalancer(String id) {
        LoadBalancer lb = loadBalancers.remove(id);
        if (lb == null) {
            throw new SwitchException("load balancer " + id + " does not exist");
        }
        segments.require(lb.spec.vni()).remove(lb);
        log.info("load balancer {} removed", id);
    }

    void setMemberUp(String id, String portId, boolean up) {
        LoadBalancer lb = loadBalancers.get(id);
        if (lb == null) {
            throw new SwitchException("load balancer " + id + " does not exist");
        }
        LoadBalancer.Member member = oldMember(lb, portId);
        if (member == null) {
            throw new SwitchException("load balancer " + id + " has no member " + portId);
        }
        if (member.up != up) {
            member.up = up;
            log.info("load balancer {}: member {} is {}", id, portId, up ? "up" : "down");
        }
    }

    /** Every 100 ms: tell the other hosts of each segment how this host's load balancer members are doing. */
    void reportLoad() {
        for (LoadBalancer lb : loadBalancers.values()) {
            if (lb.reportsOn(now.millis)) {
                dataplane.reports.send(lb, segments.require(lb.spec.vni()), dataplane.overlay, remotes, now.millis);
            }
        }
    }

    /** Once a second: probe local members (when enabled), forget idle flows and aged MAC entries (allocation-free). */
    void sweep() {
        if (options.healthProbes()) {
            for (LoadBalancer lb : loadBalancers.values()) {
                dataplane.probes.probe(lb);
            }
        }
        long flowsBefore = now.millis - options.flowIdle().toMillis();
        for (LoadBalancer lb : loadBalancers.values()) {
            lb.expireFlows(flowsBefore);
        }
        long macsBefore = now.millis - options.macAging().toMillis();
        for (int i = 0; i < segments.slots(); i++) {
            Segment segment = segments.atSlot(i);
            if (segment != null) {
                segment.learned.removeStale(macsBefore, null);
            }
        }
    }

    SwitchStats stats() {
        List<LoadBalancerStats> lbs = new ArrayList<>();
        for (LoadBalancer lb : loadBalancers.values()) {
            List<MemberStats> members = new ArrayList<>();
            for (LoadBalancer.Member m : lb.members) {
                LoadBalancer.Health health = m.health(now.millis);
                members.add(new MemberStats(m.portId, m.up, m.port != null, health == LoadBalancer.Health.UP,
                        health.text, m.queueDepth(), m.activeFlows, m.totalFlows, m.bytes));
            }
            lbs.add(new LoadBalancerStats(lb.spec.id(), lb.spec.vni(), lb.spec.vip(), lb.noMemberDrops,
                    List.copyOf(members)));
        }
        Overlay o = dataplane.overlay;
        return new SwitchStats(List.copyOf(dataplane.portStats()), List.copyOf(lbs),
                new OverlayStats(o.address, o.rxFrames, o.txFrames, o.rxDropped, o.txDropped));
    }

    /** Closes every connection (the switch is stopping; QEMU keeps its sockets and waits for the next switch). */
    void closeAll() {
        for (Port port : portsById.values()) {
            links.disconnect(port);
        }
    }
}
