package dev.virga.server.host;

import dev.virga.api.Host;
import dev.virga.api.agent.HostReport;
import dev.virga.client.AgentClient;
import dev.virga.server.http.ApiError;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The registry of hosts: rows in the store plus one agent client per host. */
public final class Hosts {
    private static final Logger LOG = LoggerFactory.getLogger(Hosts.class);
    public static final String ONLINE = "online";
    public static final String OFFLINE = "offline";
    private final Jdbi jdbi;
    private final Map<String, AgentClient> clients = new ConcurrentHashMap<>();
    private final Map<String, Long> lastSeen = new ConcurrentHashMap<>();
    private final HostFacts.Written written = new HostFacts.Written();

    public Hosts(Jdbi jdbi) {
        this.jdbi = jdbi;
        for (var row : jdbi.withHandle(h -> h.createQuery("SELECT name, url, token FROM hosts")
                .map((rs, ctx) -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3)}).list())) {
            clients.put(row[0], new AgentClient(URI.create(row[1]), row[2]));
        }
    }

    /** Adds a host, or points a known host at its (new) agent address. */
    public void attach(String name, URI url, String token) {
        jdbi.useHandle(h -> {
            int n = h.createUpdate("UPDATE hosts SET url = :url, token = :token WHERE name = :name")
                    .bind("url", url.toString()).bind("token", token).bind("name", name).execute();
            if (n == 0) {
                h.createUpdate("INSERT INTO hosts (name, url, token, state) VALUES (:name, :url, :token, :state)")
                        .bind("name", name).bind("url", url.toString()).bind("token", token)
                        .bind("state", OFFLINE).execute();
            }
        });
        clients.put(name, new AgentClient(url, token));
        LOG.info("host {} attached at {}", name, url);
    }

    public AgentClient client(String host) {
        var c = clients.get(host);
        if (c == null) {
            throw new ApiError.NotFound("host", host);
        }
        return c;
    }

    public List<String> names() {
        return List.copyOf(clients.keySet());
    }

    /**
     * A host answered. Its row is written when something in it changes (online again, capacity, accelerator), and
     * otherwise at most every {@link HostFacts#LAST_SEEN_WRITE_MILLIS} ms, for {@code last_seen}: rewriting thousands
     * of rows a second that say the same was most of the heartbeat's cost. The fresh {@code last_seen} is in memory.
     */
    public void reported(String name, HostReport report) {
        long now = System.currentTimeMillis();
        lastSeen.put(name, now);
        var facts = HostFacts.of(report);
        if (!written.due(name, facts, now)) {
            return;
        }
        jdbi.useHandle(h -> h.createUpdate("UPDATE hosts SET state = :state, cpus = :cpus, memory_bytes = :mem, "
                        + "arch = :arch, accelerator = :accel, accelerator_reason = :why, qemu_version = :qemu, "
                        + "last_seen = :now WHERE name = :name")
                .bind("state", ONLINE).bind("cpus", report.cpus()).bind("mem", report.memoryBytes())
                .bind("arch", report.arch()).bind("accel", report.accelerator())
                .bind("why", report.acceleratorReason()).bind("qemu", report.qemuVersion())
                .bind("now", now).bind("name", name).execute());
        written.wrote(name, facts, now);
    }

    public void unreachable(String name, String why) {
        written.forget(name);
        int n = jdbi.withHandle(h -> h.createUpdate("UPDATE hosts SET state = :s WHERE name = :name AND state <> :s")
                .bind("s", OFFLINE).bind("name", name).execute());
        if (n > 0) {
            LOG.warn("host {} is offline: {}", name, why);
        }
    }

    public List<Host> list() {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM hosts ORDER BY name").map(MAPPER).list()).stream()
                .map(this::seen).toList();
    }

    public Optional<Host> find(String name) {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM hosts WHERE name = :n").bind("n", name)
                .map(MAPPER).findOne()).map(this::seen);
    }

    /** What placement needs of every host, in name order: read without the rest of the row (10,000 rows a decision). */
    public List<Capacity> capacities() {
        return jdbi.withHandle(h -> h.createQuery("SELECT name, state, cpus, memory_bytes FROM hosts ORDER BY name")
                .map((rs, ctx) -> new Capacity(rs.getString(1), ONLINE.equals(rs.getString(2)), rs.getInt(3),
                        rs.getLong(4)))
                .list());
    }

    /** A host's state and size, as placement sees it. */
    public record Capacity(String name, boolean online, int cpus, long memoryBytes) {
    }

    /** The row, with the last answer this server had from the host (newer than the stored one). */
    private Host seen(Host h) {
        var millis = lastSeen.get(h.name());
        if (millis == null || (h.lastSeen() != null && h.lastSeen().toEpochMilli() >= millis)) {
            return h;
        }
        return new Host(h.name(), h.url(), h.state(), h.cpus(), h.memoryBytes(), h.arch(), h.accelerator(),
                h.acceleratorReason(), h.qemuVersion(), Instant.ofEpochMilli(millis));
    }

    private static final RowMapper<Host> MAPPER = (rs, ctx) -> new Host(rs.getString("name"), rs.getString("url"),
            rs.getString("state"), rs.getInt("cpus"), rs.getLong("memory_bytes"), rs.getString("arch"),
            rs.getString("accelerator"), rs.getString("accelerator_reason"), rs.getString("qemu_version"),
            rs.getLong("last_seen") == 0 ? null : Instant.ofEpochMilli(rs.getLong("last_seen")));
}
