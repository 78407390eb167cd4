package dev.virga.server.network;

import dev.virga.api.LoadBalancer;
import dev.virga.api.LoadBalancerRequest;
import dev.virga.api.agent.OverlayTable;
import dev.virga.client.Json;
import dev.virga.server.host.Hosts;
import dev.virga.server.http.ApiError;
import dev.virga.server.instance.Names;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Load balancers on tenant networks (policy here; the hosts' switches do the balancing, see {@link Overlay}). A member
 * is an instance with a NIC on the network. Every host with a NIC on the network gets the load balancer with all its
 * placed members: the switch where a client's frames enter picks among members on any host (the members' switches
 * report their queues and health over the overlay).
 */
public final class LoadBalancers {
    private static final Logger LOG = LoggerFactory.getLogger(LoadBalancers.class);
    private static final List<String> PROTOCOLS = List.of("tcp", "udp");
    private static final List<String> POLICIES = List.of("shortest-queue", "round-robin");
    private final Jdbi jdbi;
    private final Hosts hosts;

    public LoadBalancers(Jdbi jdbi, Hosts hosts) {
        this.jdbi = jdbi;
        this.hosts = hosts;
    }

    private record Row(String name, String network, String vip, int port, String protocol, String policy,
                       List<String> members) {
    }

    /** Validates and stores; 400 naming the field, 409 on a duplicate name; nothing stored on error. */
    public LoadBalancer create(LoadBalancerRequest r) {
        var name = Names.check("name", r.name());
        if (r.port() < 1 || r.port() > 65535) {
            throw new ApiError.BadInput("port", r.port() + " is not in 1..65535");
        }
        if (!PROTOCOLS.contains(r.protocol())) {
            throw new ApiError.BadInput("protocol", "'" + r.protocol() + "' is not tcp or udp");
        }
        if (!POLICIES.contains(r.policy())) {
            throw new ApiError.BadInput("policy", "'" + r.policy() + "' is not shortest-queue or round-robin");
        }
        if (r.members().isEmpty()) {
            throw new ApiError.BadInput("members", "at least one member instance is needed");
        }
        if (r.members().stream().distinct().count() != r.members().size()) {
            throw new ApiError.BadInput("members", "a member is listed twice: " + r.members());
        }
        jdbi.useTransaction(h -> {
            if (h.createQuery("SELECT COUNT(*) FROM load_balancers WHERE name = :n").bind("n", name)
                    .mapTo(Integer.class).one() > 0) {
                throw new ApiError.Conflict("load balancer '" + name + "' already exists");
            }
            var net = h.createQuery("SELECT subnet, gateway FROM networks WHERE name = :n").bind("n", r.network())
                    .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getString(2))).findOne()
                    .orElseThrow(() -> new ApiError.BadInput("network", "network '" + r.network()
                            + "' does not exist"));
            var subnet = Cidr.parse("subnet", net.getKey());
            long vip = Cidr.address("vip", r.vip() == null ? "" : r.vip());
            var vipText = Cidr.format(vip);
            if (!subnet.hostAddress(vip) || vipText.equals(net.getValue())) {
                throw new ApiError.BadInput("vip", vipText + " is not a free host address of " + r.network() + " ("
                        + subnet + (net.getValue().isEmpty() ? "" : ", gateway " + net.getValue()) + ")");
            }
            var holder = h.createQuery("SELECT instance FROM nics WHERE network = :n AND ip = :ip")
                    .bind("n", r.network()).bind("ip", vipText).mapTo(String.class).findFirst();
            if (holder.isPresent()) {
                throw new ApiError.BadInput("vip", vipText + " on " + r.network() + " is taken by " + holder.get());
            }
            var other = h.createQuery("SELECT name FROM load_balancers WHERE network = :n AND vip = :ip")
                    .bind("n", r.network()).bind("ip", vipText).mapTo(String.class).findFirst();
            if (other.isPresent()) {
                throw new ApiError.BadInput("vip", vipText + " on " + r.network() + " is the VIP of " + other.get());
            }
            for (var m : r.members()) {
                if (h.createQuery("SELECT COUNT(*) FROM nics WHERE instance = :i AND network = :n").bind("i", m)
                        .bind("n", r.network()).mapTo(Integer.class).one() == 0) {
                    throw new ApiError.BadInput("members", "'" + m + "' has no NIC on network " + r.network());
                }
            }
            h.createUpdate("INSERT INTO load_balancers (name, network, vip, port, protocol, policy, members_json, "
                            + "created_at) VALUES (:n, :net, :vip, :port, :proto, :policy, :members, :now)")
                    .bind("n", name).bind("net", r.network()).bind("vip", vipText).bind("port", r.port())
                    .bind("proto", r.protocol()).bind("policy", r.policy()).bind("members", Json.write(r.members()))
                    .bind("now", System.currentTimeMillis()).execute();
        });
        return get(name);
    }

    public List<LoadBalancer> list() {
        return rows("").stream().map(this::withStats).toList();
    }

    public LoadBalancer get(String name) {
        return rows(name).stream().findFirst().map(this::withStats)
                .orElseThrow(() -> new ApiError.NotFound("load balancer", name));
    }

    public void delete(String name) {
        if (jdbi.withHandle(h -> h.createUpdate("DELETE FROM load_balancers WHERE name = :n").bind("n", name)
                .execute()) == 0) {
            throw new ApiError.NotFound("load balancer", name);
        }
    }

    private List<Row> rows(String name) {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM load_balancers WHERE (:n = '' OR name = :n) "
                + "ORDER BY name").bind("n", name).map((rs, ctx) -> new Row(rs.getString("name"),
                rs.getString("network"), rs.getString("vip"), rs.getInt("port"), rs.getString("protocol"),
                rs.getString("policy"), members(rs.getString("members_json")))).list());
    }

    private static List<String> members(String json) {
        try {
            return List.of(Json.mapper().readValue(json, String[].class));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("load balancer members: " + e.getMessage(), e);
        }
    }

    /** Member figures from the switch of each member's own host ("no answer from its host" where it did not answer). */
    private LoadBalancer withStats(Row row) {
        var nics = jdbi.withHandle(h -> members(h, row.network(), row.members()));
        var figures = new HashMap<String, OverlayTable.MemberStats>();
        var unreachable = new java.util.HashSet<String>();
        for (var host : nics.values().stream().map(MemberNic::host).distinct().toList()) {
            try {
                hosts.client(host).balancerStats().stream().filter(s -> s.name().equals(row.name()))
                        .forEach(s -> s.members().stream().filter(OverlayTable.MemberStats::local)
                                .forEach(m -> figures.put(m.port(), m)));
            } catch (RuntimeException e) {
                LOG.debug("load balancer {}: no figures from {}: {}", row.name(), host, e.getMessage());
                unreachable.add(host);
            }
        }
        var members = new ArrayList<LoadBalancer.Member>();
        for (var m : row.members()) {
            var placed = nics.get(m);
            var host = placed == null ? "" : placed.host();
            var f = placed == null ? null : figures.get(placed.port());
            if (f != null) {
                members.add(new LoadBalancer.Member(m, host, f.available(), f.health(), f.queueDepth(),
                        f.activeFlows(), f.totalFlows(), f.bytes()));
            } else {
                var why = placed == null ? "down: not placed on a host"
                        : unreachable.contains(host) ? "unknown: host " + host + " did not answer"
                        : "down: its NIC is not on the switch of " + host + " (the VM is not running)";
                members.add(new LoadBalancer.Member(m, host, false, why, 0, 0, 0, 0));
            }
        }
        return new LoadBalancer(row.name(), row.network(), row.vip(), row.port(), row.protocol(), row.policy(),
                members);
    }

    /** A member's first NIC on the network: its host, switch port id, MAC and address. */
    private record MemberNic(String host, String port, String mac, String ip) {
    }

    private static Map<String, MemberNic> members(Handle h, String network, List<String> members) {
        var out = new HashMap<String, MemberNic>();
        for (var m : members) {
            h.createQuery("SELECT i.host, c.nic_index, c.mac, c.ip FROM nics c JOIN instances i ON i.name = c.instance "
                            + "WHERE c.instance = :i AND c.network = :n AND i.host <> '' ORDER BY c.nic_index")
                    .bind("i", m).bind("n", network)
                    .map((rs, ctx) -> new MemberNic(rs.getString(1), m + "/n" + rs.getInt(2), rs.getString(3),
                            rs.getString(4))).findFirst()
                    .ifPresent(nic -> out.put(m, nic));
        }
        return out;
    }

    /**
     * The load balancers {@code host}'s switch runs: those of every network with a NIC there (a client or a member),
     * with all their placed members, so clients there are balanced over members on any host.
     */
    static List<OverlayTable.Balancer> forHost(Handle h, String host) {
        var out = new ArrayList<OverlayTable.Balancer>();
        var rows = h.createQuery("SELECT l.*, n.vni FROM load_balancers l JOIN networks n ON n.name = l.network "
                        + "WHERE EXISTS (SELECT 1 FROM nics c JOIN instances i ON i.name = c.instance "
                        + "WHERE c.network = l.network AND i.host = :host) ORDER BY l.name")
                .bind("host", host)
                .map((rs, ctx) -> Map.entry(rs.getInt("vni"), new Row(rs.getString("name"), rs.getString("network"),
                        rs.getString("vip"), rs.getInt("port"), rs.getString("protocol"), rs.getString("policy"),
                        members(rs.getString("members_json"))))).list();
        for (var e : rows) {
            var row = e.getValue();
            var nics = members(h, row.network(), row.members());
            out.add(new OverlayTable.Balancer(row.name(), e.getKey(), row.vip(), row.protocol(), row.port(),
                    row.members().stream().filter(nics::containsKey).map(nics::get)
                            .map(n -> new OverlayTable.Member(n.port(), n.mac(), n.ip())).toList(),
                    row.policy()));
        }
        return out;
    }
}
