package dev.virga.server.network;

import dev.virga.api.Network;
import dev.virga.api.NetworkRequest;
import dev.virga.api.Nic;
import dev.virga.api.agent.NicSpec;
import dev.virga.server.http.ApiError;
import dev.virga.server.instance.Names;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Tenant networks and their IPAM. A network is a subnet and a VNI; subnets may overlap only across projects (the
 * segments are separate, so the same addresses mean different machines). A NIC gets a random locally administered
 * MAC and an address (asked for, or the lowest free one) in one transaction; the unique (network, ip) and mac
 * columns make a race lose instead of sharing an address. NICs go with their instance's row.
 */
public final class Networks {
    static final String DEFAULT_PROJECT = "default";
    /** VNIs handed out from here up (below: left for operators' own segments). */
    static final int FIRST_VNI = 100;
    private static final int MAX_VNI = (1 << 24) - 1;
    private static final int ATTEMPTS = 5;
    private final SecureRandom random = new SecureRandom();
    private final Jdbi jdbi;

    public Networks(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** Validates and stores a network with the next free VNI; nothing is stored on a 400 or 409. */
    public Network create(NetworkRequest request) {
        var name = Names.check("name", request.name());
        var project = request.project().isBlank() ? DEFAULT_PROJECT : Names.check("project", request.project());
        var subnet = Cidr.parse("subnet", request.subnet());
        var gateway = "";
        if (!request.gateway().isBlank()) {
            long gw = Cidr.address("gateway", request.gateway());
            if (!subnet.hostAddress(gw)) {
                throw new ApiError.BadInput("gateway", request.gateway().strip() + " is not a host address of "
                        + subnet);
            }
            gateway = Cidr.format(gw);
        }
        var gw = gateway;
        for (int attempt = 1; ; attempt++) {
            try {
                jdbi.useTransaction(h -> insert(h, name, project, subnet, gw));
                return get(name);
            } catch (UnableToExecuteStatementException e) {
                if (find(name).isPresent()) {
                    throw new ApiError.Conflict("network '" + name + "' already exists");
                }
                if (attempt == ATTEMPTS) {
                    throw e;
                }
                // another network took the same VNI at the same moment: take the next one
            }
        }
    }

    private static void insert(Handle h, String name, String project, Cidr subnet, String gateway) {
        if (h.createQuery("SELECT COUNT(*) FROM networks WHERE name = :n").bind("n", name).mapTo(Integer.class)
                .one() > 0) {
            throw new ApiError.Conflict("network '" + name + "' already exists");
        }
        for (var other : h.createQuery("SELECT name, subnet FROM networks WHERE project = :p ORDER BY name")
                .bind("p", project).map((rs, ctx) -> Map.entry(rs.getString(1), rs.getString(2))).list()) {
            if (Cidr.parse("subnet", other.getValue()).overlaps(subnet)) {
                throw new ApiError.BadInput("subnet", subnet + " overlaps " + other.getValue() + " of network '"
                        + other.getKey() + "' in project '" + project + "'");
            }
        }
        int vni = h.createQuery("SELECT COALESCE(MAX(vni), 0) FROM networks").mapTo(Integer.class).one();
        vni = Math.max(vni + 1, FIRST_VNI);
        if (vni > MAX_VNI) {
            throw new ApiError.Conflict("no VXLAN network identifier is left");
        }
        h.createUpdate("INSERT INTO networks (name, project, subnet, gateway, vni, created_at) "
                        + "VALUES (:n, :p, :s, :g, :v, :now)")
                .bind("n", name).bind("p", project).bind("s", subnet.toString()).bind("g", gateway).bind("v", vni)
                .bind("now", System.currentTimeMillis()).execute();
    }

    public List<Network> list() {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM networks ORDER BY name")
                .map((rs, ctx) -> network(h, rs)).list());
    }

    public Optional<Network> find(String name) {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM networks WHERE name = :n").bind("n", name)
                .map((rs, ctx) -> network(h, rs)).findOne());
    }

    public Network get(String name) {
        return find(name).orElseThrow(() -> new ApiError.NotFound("network", name));
    }

    /** Deletes a network no NIC uses; 409 naming the instances otherwise. */
    public void delete(String name) {
        jdbi.useTransaction(h -> {
            if (h.createQuery("SELECT COUNT(*) FROM networks WHERE name = :n").bind("n", name).mapTo(Integer.class)
                    .one() == 0) {
                throw new ApiError.NotFound("network", name);
            }
            var users = h.createQuery("SELECT DISTINCT instance FROM nics WHERE network = :n ORDER BY instance")
                    .bind("n", name).mapTo(String.class).list();
            if (!users.isEmpty()) {
                throw new ApiError.Conflict("network '" + name + "' is in use by " + String.join(", ", users)
                        + "; delete those instances first", Map.of("instances", users));
            }
            var balancers = h.createQuery("SELECT name FROM load_balancers WHERE network = :n ORDER BY name")
                    .bind("n", name).mapTo(String.class).list();
            if (!balancers.isEmpty()) {
                throw new ApiError.Conflict("network '" + name + "' has load balancers " + String.join(", ", balancers)
                        + "; delete those first", Map.of("loadBalancers", balancers));
            }
            h.createUpdate("DELETE FROM networks WHERE name = :n").bind("n", name).execute();
        });
    }

    private static Network network(Handle h, java.sql.ResultSet rs) throws java.sql.SQLException {
        var name = rs.getString("name");
        return new Network(name, rs.getString("project"), rs.getString("subnet"), rs.getString("gateway"),
                rs.getInt("vni"), h.createQuery("SELECT * FROM nics WHERE network = :n ORDER BY instance, nic_index")
                .bind("n", name).map((r, c) -> nic(r)).list(), Instant.ofEpochMilli(rs.getLong("created_at")));
    }

    private static Nic nic(java.sql.ResultSet rs) throws java.sql.SQLException {
        return new Nic(rs.getString("instance"), rs.getInt("nic_index"), rs.getString("network"), rs.getString("mac"),
                rs.getString("ip"));
    }

    /**
     * Gives {@code instance} one NIC per request ({@code NAME} or {@code NAME:IP}), in order, all or none: a 400 on
     * field {@code networks} for an unknown network, a malformed or outside address, or one that is taken.
     */
    /** Tenant NICs per VM: each has its own PCI slot, 0x10..0x1f (see the agent's QEMU command line). */
    static final int MAX_NICS = 16;

    public List<Nic> allocate(String instance, List<String> requests) {
        if (requests.isEmpty()) {
            return List.of();
        }
        if (requests.size() > MAX_NICS) {
            throw new ApiError.BadInput("networks", requests.size() + " NICs are more than the " + MAX_NICS
                    + " a VM can have on tenant networks");
        }
        for (int attempt = 1; ; attempt++) {
            try {
                jdbi.useTransaction(h -> {
                    for (int i = 0; i < requests.size(); i++) {
                        allocate(h, instance, i, requests.get(i));
                    }
                });
                return nicsOf(instance);
            } catch (UnableToExecuteStatementException e) {
                // a concurrent launch took the same free address (or, once in 2^40, the same MAC): pick again
                if (attempt == ATTEMPTS) {
                    throw new ApiError.Conflict("could not allocate addresses for '" + instance + "' after "
                            + ATTEMPTS + " attempts (concurrent launches on the same network); retry");
                }
            }
        }
    }

    private void allocate(Handle h, String instance, int index, String request) {
        var text = request == null ? "" : request.strip();
        var colon = text.indexOf(':');
        var name = colon < 0 ? text : text.substring(0, colon);
        if (name.isEmpty()) {
            throw new ApiError.BadInput("networks", "'" + text + "' does not name a network (NAME or NAME:IP)");
        }
        var row = h.createQuery("SELECT subnet, gateway FROM networks WHERE name = :n").bind("n", name)
                .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getString(2))).findOne()
                .orElseThrow(() -> new ApiError.BadInput("networks", "network '" + name + "' does not exist"));
        var subnet = Cidr.parse("subnet", row.getKey());
        long gateway = row.getValue().isEmpty() ? -1 : Cidr.address("gateway", row.getValue());
        var taken = new HashSet<Long>();
        for (var ip : h.createQuery("SELECT ip FROM nics WHERE network = :n").bind("n", name).mapTo(String.class)
                .list()) {
            taken.add(Cidr.address("ip", ip));
        }
        var vips = new HashSet<Long>();
        for (var vip : h.createQuery("SELECT vip FROM load_balancers WHERE network = :n").bind("n", name)
                .mapTo(String.class).list()) {
            vips.add(Cidr.address("vip", vip));
        }
        long ip;
        if (colon >= 0) {
            ip = Cidr.address("networks", text.substring(colon + 1));
            if (!subnet.hostAddress(ip)) {
                throw new ApiError.BadInput("networks", Cidr.format(ip) + " is not a host address of " + name
                        + " (" + subnet + ")");
            }
            if (ip == gateway) {
                throw new ApiError.BadInput("networks", Cidr.format(ip) + " is the gateway of " + name);
            }
            if (vips.contains(ip)) {
                throw new ApiError.BadInput("networks", Cidr.format(ip) + " is a load balancer's VIP on " + name);
            }
            if (taken.contains(ip)) {
                throw new ApiError.BadInput("networks", Cidr.format(ip) + " on " + name + " is taken by "
                        + h.createQuery("SELECT instance FROM nics WHERE network = :n AND ip = :ip").bind("n", name)
                        .bind("ip", Cidr.format(ip)).mapTo(String.class).findFirst().orElse("another NIC"));
            }
        } else {
            ip = subnet.network() + 1;
            while (ip < subnet.broadcast() && (ip == gateway || taken.contains(ip) || vips.contains(ip))) {
                ip++;
            }
            if (ip >= subnet.broadcast()) {
                throw new ApiError.BadInput("networks", "network " + name + " (" + subnet + ") has no free address");
            }
        }
        h.createUpdate("INSERT INTO nics (instance, nic_index, network, mac, ip, created_at) "
                        + "VALUES (:i, :x, :n, :m, :ip, :now)")
                .bind("i", instance).bind("x", index).bind("n", name).bind("m", mac()).bind("ip", Cidr.format(ip))
                .bind("now", System.currentTimeMillis()).execute();
    }

    /** A random unicast, locally administered MAC (02:...), never QEMU's 52:54:00 range of provider NICs. */
    private String mac() {
        var bytes = new byte[6];
        random.nextBytes(bytes);
        bytes[0] = 0x02;
        return java.util.HexFormat.ofDelimiter(":").formatHex(bytes);
    }

    public List<Nic> nicsOf(String instance) {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM nics WHERE instance = :i ORDER BY nic_index")
                .bind("i", instance).map((rs, ctx) -> nic(rs)).list());
    }

    /** What the instance's host needs to give it its NICs. */
    public List<NicSpec> specsOf(String instance) {
        return jdbi.withHandle(h -> h.createQuery("SELECT c.nic_index, c.network, n.vni, c.mac, c.ip, n.subnet, "
                        + "n.gateway FROM nics c JOIN networks n ON n.name = c.network WHERE c.instance = :i "
                        + "ORDER BY c.nic_index")
                .bind("i", instance).map((rs, ctx) -> new NicSpec(rs.getInt(1), rs.getString(2), rs.getInt(3),
                        rs.getString(4), rs.getString(5), Cidr.parse("subnet", rs.getString(6)).prefix(),
                        rs.getString(7))).list());
    }

    /** Frees the instance's addresses (its row is gone). */
    public void release(String instance) {
        jdbi.useHandle(h -> h.createUpdate("DELETE FROM nics WHERE instance = :i").bind("i", instance).execute());
    }
}
