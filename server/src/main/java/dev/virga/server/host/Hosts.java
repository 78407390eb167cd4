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
    /** One client per host, replaced when the host's address or token changes (another server may change them). */
    private final Map<String, Cached> clients = new ConcurrentHashMap<>();

    private record Endpoint(String url, String token) {
    }

    private record Cached(Endpoint endpoint, AgentClient client) {
    }

    public Hosts(Jdbi jdbi) {
        this.jdbi = jdbi;
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
        LOG.info("host {} attached at {}", name, url);
    }

    /** The agent of {@code host} at the address the store has now (a host rejoins at a new one after a restart). */
    public AgentClient client(String host) {
        var endpoint = jdbi.withHandle(h -> h.createQuery("SELECT url, token FROM hosts WHERE name = :n")
                        .bind("n", host).map((rs, ctx) -> new Endpoint(rs.getString("url"), rs.getString("token")))
                        .findOne())
                .orElseThrow(() -> new ApiError.NotFound("host", host));
        return clients.compute(host, (name, cached) -> cached != null && cached.endpoint().equals(endpoint) ? cached
                : new Cached(endpoint, new AgentClient(URI.create(endpoint.url()), endpoint.token()))).client();
    }

    public List<String> names() {
        return jdbi.withHandle(h -> h.createQuery("SELECT name FROM hosts ORDER BY name").mapTo(String.class).list());
    }

    public void reported(String name, HostReport report) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE hosts SET state = :state, cpus = :cpus, memory_bytes = :mem, "
                        + "arch = :arch, accelerator = :accel, accelerator_reason = :why, qemu_version = :qemu, "
                        + "last_seen = :now WHERE name = :name")
                .bind("state", ONLINE).bind("cpus", report.cpus()).bind("mem", report.memoryBytes())
                .bind("arch", report.arch()).bind("accel", report.accelerator())
                .bind("why", report.acceleratorReason()).bind("qemu", report.qemuVersion())
                .bind("now", System.currentTimeMillis()).bind("name", name).execute());
    }

    public void unreachable(String name, String why) {
        int n = jdbi.withHandle(h -> h.createUpdate("UPDATE hosts SET state = :s WHERE name = :name AND state <> :s")
                .bind("s", OFFLINE).bind("name", name).execute());
        if (n > 0) {
            LOG.warn("host {} is offline: {}", name, why);
        }
    }

    public List<Host> list() {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM hosts ORDER BY name").map(MAPPER).list());
    }

    public Optional<Host> find(String name) {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM hosts WHERE name = :n").bind("n", name)
                .map(MAPPER).findOne());
    }

    private static final RowMapper<Host> MAPPER = (rs, ctx) -> new Host(rs.getString("name"), rs.getString("url"),
            rs.getString("state"), rs.getInt("cpus"), rs.getLong("memory_bytes"), rs.getString("arch"),
            rs.getString("accelerator"), rs.getString("accelerator_reason"), rs.getString("qemu_version"),
            rs.getLong("last_seen") == 0 ? null : Instant.ofEpochMilli(rs.getLong("last_seen")));
}
