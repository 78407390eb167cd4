package dev.virga.agent.network;

import dev.virga.api.agent.NicSpec;
import dev.virga.vswitch.Ipv4Address;
import dev.virga.vswitch.MacAddress;
import dev.virga.vswitch.PortSpec;
import dev.virga.vswitch.SwitchException;
import dev.virga.vswitch.SwitchOptions;
import dev.virga.vswitch.VirtualSwitch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The one {@link VirtualSwitch} of this host, seen as VMs' tenant NICs: a VM's NICs become ports when its QEMU
 * starts (or is adopted by a restarted agent) and go when it ends. A segment (VNI) exists while a port uses it.
 * Nothing here is persistent: the NIC specs live in each VM's {@code vm.json}, so a new agent rebuilds it all.
 */
public final class HostSwitch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HostSwitch.class);
    private final VirtualSwitch vswitch;
    /** Ports per VNI, to drop a segment with its last port. */
    private final Map<Integer, Integer> portsPerVni = new HashMap<>();
    private final Map<String, Integer> vniOfPort = new HashMap<>();
    /** What the server last sent about other hosts; applied to each segment that exists here. */
    private dev.virga.api.agent.OverlayTable overlay = new dev.virga.api.agent.OverlayTable("", List.of(), List.of());
    /** The remote entries set in the switch, per segment: MAC -> endpoint. */
    private final Map<Integer, Map<String, InetSocketAddress>> remotes = new HashMap<>();
    /** The load balancers set in the switch: name -> spec as set. */
    private final Map<String, dev.virga.vswitch.LoadBalancerSpec> balancers = new HashMap<>();

    private HostSwitch(VirtualSwitch vswitch) {
        this.vswitch = vswitch;
    }

    /** Starts the switch; VXLAN listens on {@code overlay} (port 0: any free one). */
    public static HostSwitch start(InetSocketAddress overlay) {
        var vs = VirtualSwitch.start(SwitchOptions.defaults().withOverlayAddress(overlay));
        LOG.info("virtual switch started, VXLAN on {}", vs.overlayAddress());
        return new HostSwitch(vs);
    }

    /** The socket QEMU listens on for the tenant NIC {@code index} of a VM whose run directory is {@code runDir}. */
    public static Path socket(Path runDir, int index) {
        return runDir.resolve("n" + index + ".sock");
    }

    public static String portId(String vm, int index) {
        return vm + "/n" + index;
    }

    /** Makes the VM's NICs ports; the switch dials their sockets (and dials again until QEMU listens). */
    public synchronized void attach(String vm, Path runDir, List<NicSpec> nics) {
        for (var nic : nics) {
            var id = portId(vm, nic.index());
            if (vniOfPort.containsKey(id)) {
                continue;
            }
            if (portsPerVni.getOrDefault(nic.vni(), 0) == 0) {
                try {
                    vswitch.createNetwork(nic.vni());
                } catch (SwitchException e) {
                    LOG.debug("network {}: {}", nic.vni(), e.getMessage());
                }
                applyOverlay(nic.vni());
            }
            vswitch.attachPort(new PortSpec(id, socket(runDir, nic.index()), nic.vni(), MacAddress.parse(nic.mac()),
                    Ipv4Address.parse(nic.ip()), nic.prefix(),
                    nic.gateway().isEmpty() ? Ipv4Address.ANY : Ipv4Address.parse(nic.gateway())));
            vniOfPort.put(id, nic.vni());
            portsPerVni.merge(nic.vni(), 1, Integer::sum);
            LOG.info("vm {}: NIC {} ({} {} on {}) attached to the switch", vm, nic.index(), nic.mac(), nic.ip(),
                    nic.network());
        }
    }

    /** Removes the VM's ports (its QEMU ended); unknown ones are ignored. */
    public synchronized void detach(String vm, List<NicSpec> nics) {
        for (var nic : nics) {
            var id = portId(vm, nic.index());
            var vni = vniOfPort.remove(id);
            if (vni == null) {
                continue;
            }
            try {
                vswitch.detachPort(id);
            } catch (SwitchException e) {
                LOG.debug("port {}: {}", id, e.getMessage());
            }
            if (portsPerVni.merge(vni, -1, Integer::sum) <= 0) {
                portsPerVni.remove(vni);
                remotes.remove(vni);
                removeBalancers(vni, java.util.Set.of());
                try {
                    vswitch.removeNetwork(vni);
                } catch (SwitchException e) {
                    LOG.debug("network {}: {}", vni, e.getMessage());
                }
            }
            LOG.info("vm {}: NIC {} detached from the switch", vm, nic.index());
        }
    }

    /** Takes the server's whole table of the other hosts and applies it to every segment present here. */
    public synchronized void overlay(dev.virga.api.agent.OverlayTable table) {
        overlay = table;
        for (var vni : portsPerVni.keySet()) {
            applyOverlay(vni);
        }
        LOG.info("overlay table {} applied ({} remote NICs, {} segments with other hosts)", table.version(),
                table.remotes().size(), table.floods().size());
    }

    /** The version of the table applied last ("" before the first): the server resends when it differs. */
    public synchronized String overlayVersion() {
        return overlay.version();
    }

    /** Where other hosts send VXLAN to this switch, as {@code host:port}. */
    public String endpoint() {
        var a = vswitch.overlayAddress();
        var host = a.getAddress();
        try {
            if (host.isAnyLocalAddress()) {
                host = java.net.InetAddress.getLocalHost();
            }
        } catch (java.net.UnknownHostException e) {
            return "";
        }
        return host.getHostAddress() + ":" + a.getPort();
    }

    private void applyOverlay(int vni) {
        var want = new HashMap<String, InetSocketAddress>();
        for (var r : overlay.remotes()) {
            if (r.vni() == vni) {
                want.put(r.mac(), endpoint(r.endpoint()));
            }
        }
        var have = remotes.computeIfAbsent(vni, v -> new HashMap<>());
        for (var it = have.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (!e.getValue().equals(want.get(e.getKey()))) {
                vswitch.removeRemote(vni, MacAddress.parse(e.getKey()));
                it.remove();
            }
        }
        for (var e : want.entrySet()) {
            if (!e.getValue().equals(have.get(e.getKey()))) {
                vswitch.setRemote(vni, MacAddress.parse(e.getKey()), e.getValue());
                have.put(e.getKey(), e.getValue());
            }
        }
        var flood = new java.util.HashSet<InetSocketAddress>();
        for (var f : overlay.floods()) {
            if (f.vni() == vni) {
                f.endpoints().forEach(x -> flood.add(endpoint(x)));
            }
        }
        vswitch.setFloodRemotes(vni, flood);
        var wanted = new HashMap<String, dev.virga.vswitch.LoadBalancerSpec>();
        for (var b : overlay.balancers()) {
            if (b.vni() == vni) {
                wanted.put(b.name(), new dev.virga.vswitch.LoadBalancerSpec(b.name(), vni, Ipv4Address.parse(b.vip()),
                        b.protocol().equals("udp") ? dev.virga.vswitch.L4Protocol.UDP : dev.virga.vswitch.L4Protocol.TCP,
                        b.port(), b.members().stream().map(m -> new dev.virga.vswitch.LoadBalancerSpec.Member(
                                m.port(), MacAddress.parse(m.mac()), Ipv4Address.parse(m.ip()))).toList(),
                        b.policy().equals("round-robin")
                        ? dev.virga.vswitch.LbPolicy.ROUND_ROBIN : dev.virga.vswitch.LbPolicy.SHORTEST_QUEUE));
            }
        }
        removeBalancers(vni, wanted.keySet());
        for (var spec : wanted.values()) {
            if (!spec.equals(balancers.get(spec.id()))) {
                try {
                    vswitch.putLoadBalancer(spec);
                    balancers.put(spec.id(), spec);
                } catch (SwitchException e) {
                    LOG.warn("load balancer {}: {}", spec.id(), e.getMessage());
                }
            }
        }
    }

    private void removeBalancers(int vni, java.util.Set<String> keep) {
        for (var it = balancers.values().iterator(); it.hasNext(); ) {
            var spec = it.next();
            if (spec.vni() == vni && !keep.contains(spec.id())) {
                try {
                    vswitch.removeLoadBalancer(spec.id());
                } catch (SwitchException e) {
                    LOG.debug("load balancer {}: {}", spec.id(), e.getMessage());
                }
                it.remove();
            }
        }
    }

    /** The load balancers' figures on this switch. */
    public List<dev.virga.api.agent.OverlayTable.BalancerStats> balancerStats() {
        return vswitch.stats().loadBalancers().stream().map(lb -> new dev.virga.api.agent.OverlayTable.BalancerStats(
                lb.id(), lb.noMemberDrops(), lb.members().stream().map(m ->
                        new dev.virga.api.agent.OverlayTable.MemberStats(m.portId(), m.attached(), m.available(),
                                m.up() ? m.health() : "down: marked down", m.queueDepth(), m.activeFlows(),
                                m.totalFlows(), m.bytes())).toList())).toList();
    }

    private static InetSocketAddress endpoint(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    public InetSocketAddress overlayAddress() {
        return vswitch.overlayAddress();
    }

    public dev.virga.vswitch.SwitchStats stats() {
        return vswitch.stats();
    }

    @Override
    public void close() {
        vswitch.close();
    }
}
