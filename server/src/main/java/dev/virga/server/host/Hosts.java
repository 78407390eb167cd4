package dev.virga.server.host;

import dev.virga.api.Host;
import dev.virga.api.agent.HostReport;
import dev.virga.client.AgentClient;
import dev.virga.client.Json;
import dev.virga.server.config.Settings;
import dev.virga.server.http.ApiError;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The registry of hosts: rows in the store plus one agent client per host. */
public final class Hosts {
    private static final Logger LOG = LoggerFactory.getLogger(Hosts.class);
    public static final String ONLINE = "online";
    public static final String OFFLINE = "offline";
    private static final com.fasterxml.jackson.core.type.TypeReference<Map<String, String>> LABELS =
            new com.fasterxml.jackson.core.type.TypeReference<>() { };
    private final Jdbi jdbi;
    private final Settings settings;
    /** One client per host, replaced when the host's address or token changes (another server may change them). */
    private final Map<String, Cached> clients = new ConcurrentHashMap<>();
    /** The last answer of each host (fresher than its row, which is not rewritten at every heartbeat). */
    private final Map<String, HostFacts.Seen> seen = new ConcurrentHashMap<>();
    private final HostFacts.Written written = new HostFacts.Written();

    private record Endpoint(String url, String token) {
    }

    private record Cached(Endpoint endpoint, AgentClient client) {
    }

    public Hosts(Jdbi jdbi, Settings settings) {
        this.jdbi = jdbi;
        this.settings = settings;
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
        return cached(host, endpoint);
    }

    /**
     * Every host's agent at the address the store has now, from one read of the store: a reconcile pass over
     * 10,000 hosts asking for each one's address separately spent a third of its time there.
     */
    public Map<String, AgentClient> clients() {
        var rows = jdbi.withHandle(h -> h.createQuery("SELECT name, url, token FROM hosts ORDER BY name")
                .map((rs, ctx) -> Map.entry(rs.getString("name"), new Endpoint(rs.getString("url"),
                        rs.getString("token"))))
                .list());
        var all = new java.util.LinkedHashMap<String, AgentClient>();
        for (var row : rows) {
            all.put(row.getKey(), cached(row.getKey(), row.getValue()));
        }
        return all;
    }

    private AgentClient cached(String host, Endpoint endpoint) {
        return clients.compute(host, (name, cached) -> cached != null && cached.endpoint().equals(endpoint) ? cached
                : new Cached(endpoint, new AgentClient(URI.create(endpoint.url()), endpoint.token()))).client();
    }

    public List<String> names() {
        return jdbi.withHandle(h -> h.createQuery("SELECT name FROM hosts ORDER BY name").mapTo(String.class).list());
    }

    /**
     * A host answered. Its row is written when something in it changes (online again, capacity, accelerator, disk
     * size, labels), and otherwise at most every {@link HostFacts#LAST_SEEN_WRITE_MILLIS} ms (for {@code last_seen}
     * and the actual memory and disk use): rewriting thousands of rows a second that say the same was most of the
     * heartbeat's cost at 1,000 hosts. {@link #list} and {@link #find} show the last answer's figures.
     */
    public void reported(String name, HostReport report) {
        long now = System.currentTimeMillis();
        seen.put(name, new HostFacts.Seen(now, report.memoryAvailableBytes(), report.diskFreeBytes()));
        var facts = HostFacts.of(report);
        if (!written.due(name, facts, now)) {
            return;
        }
        write(name, report, now);
        written.wrote(name, facts, now);
    }

    private void write(String name, HostReport report, long now) {
        int n = jdbi.withHandle(h -> h.createUpdate("UPDATE hosts SET state = :state, cpus = :cpus, "
                        + "memory_bytes = :mem, arch = :arch, accelerator = :accel, accelerator_reason = :why, "
                        + "qemu_version = :qemu, last_seen = :now, memory_available_bytes = :avail, "
                        + "disk_bytes = :disk, disk_free_bytes = :free, labels_json = :labels "
                        + "WHERE name = :name AND state <> :state")
                .bind("state", ONLINE).bind("cpus", report.cpus()).bind("mem", report.memoryBytes())
                .bind("arch", report.arch()).bind("accel", report.accelerator())
                .bind("why", report.acceleratorReason()).bind("qemu", report.qemuVersion())
                .bind("now", now).bind("avail", report.memoryAvailableBytes())
                .bind("disk", report.diskBytes()).bind("free", report.diskFreeBytes())
                .bind("labels", Json.write(report.labels())).bind("name", name).execute());
        if (n > 0) {
            LOG.info("host {} is online", name);
        } else {
            jdbi.useHandle(h -> h.createUpdate("UPDATE hosts SET cpus = :cpus, memory_bytes = :mem, arch = :arch, "
                            + "accelerator = :accel, accelerator_reason = :why, qemu_version = :qemu, last_seen = :now, "
                            + "memory_available_bytes = :avail, disk_bytes = :disk, disk_free_bytes = :free, "
                            + "labels_json = :labels WHERE name = :name")
                    .bind("cpus", report.cpus()).bind("mem", report.memoryBytes())
                    .bind("arch", report.arch()).bind("accel", report.accelerator())
                    .bind("why", report.acceleratorReason()).bind("qemu", report.qemuVersion())
                    .bind("now", now).bind("avail", report.memoryAvailableBytes())
                    .bind("disk", report.diskBytes()).bind("free", report.diskFreeBytes())
                    .bind("labels", Json.write(report.labels())).bind("name", name).execute());
        }
    }

    /** Sets a host's mode: active, standby or maintenance. */
    public void mode(String name, String mode) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE hosts SET mode = :m WHERE name = :n").bind("m", mode)
                .bind("n", name).execute());
        LOG.info("host {} is now {}", name, mode);
    }

    /** Takes a host out of standby: its agent first, then the store. */
    public void wake(String name) {
        client(name).standby(false);
        mode(name, dev.virga.server.scheduler.Scheduler.HostState.ACTIVE);
    }

    /** Forgets a host (its row, its image holdings and its client). */
    public void remove(String name) {
        jdbi.useTransaction(h -> {
            h.createUpdate("DELETE FROM image_hosts WHERE host = :n").bind("n", name).execute();
            h.createUpdate("DELETE FROM hosts WHERE name = :n").bind("n", name).execute();
        });
        clients.remove(name);
        written.forget(name);
        seen.remove(name);
        LOG.info("host {} removed", name);
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
        return jdbi.withHandle(h -> withUsage(h, h.createQuery("SELECT * FROM hosts ORDER BY name").map(MAPPER).list()));
    }

    public Optional<Host> find(String name) {
        return jdbi.withHandle(h -> withUsage(h, h.createQuery("SELECT * FROM hosts WHERE name = :n").bind("n", name)
                .map(MAPPER).list())).stream().findFirst();
    }

    /** Fills in what is allocated on each host (every instance placed there) and the cluster's ratios. */
    private List<Host> withUsage(org.jdbi.v3.core.Handle h, List<Host> rows) {
        var names = new HashMap<String, List<String>>();
        var sums = new HashMap<String, long[]>();
        h.createQuery("SELECT name, host, cpus, memory_bytes, disk_bytes FROM instances WHERE host <> '' ORDER BY name")
                .map((rs, ctx) -> {
                    var host = rs.getString("host");
                    names.computeIfAbsent(host, k -> new ArrayList<>()).add(rs.getString("name"));
                    var a = sums.computeIfAbsent(host, k -> new long[3]);
                    a[0] += rs.getInt("cpus");
                    a[1] += rs.getLong("memory_bytes");
                    a[2] += rs.getLong("disk_bytes");
                    return host;
                }).list();
        var policy = settings.policy();
        return rows.stream().map(x -> {
            var a = sums.getOrDefault(x.name(), new long[3]);
            var last = seen.get(x.name());
            boolean fresher = last != null && (x.lastSeen() == null || last.at() > x.lastSeen().toEpochMilli());
            return new Host(x.name(), x.url(), x.state(), x.cpus(), x.memoryBytes(), x.arch(), x.accelerator(),
                    x.acceleratorReason(), x.qemuVersion(), fresher ? Instant.ofEpochMilli(last.at()) : x.lastSeen(),
                    x.mode(), x.labels(), x.diskBytes(), fresher ? last.diskFreeBytes() : x.diskFreeBytes(),
                    fresher ? last.memoryAvailableBytes() : x.memoryAvailableBytes(), (int) a[0], a[1], a[2],
                    policy.cpuRatio(),
                    policy.memoryRatio(), List.copyOf(names.getOrDefault(x.name(), List.of())));
        }).toList();
    }

    private static final RowMapper<Host> MAPPER = (rs, ctx) -> new Host(rs.getString("name"), rs.getString("url"),
            rs.getString("state"), rs.getInt("cpus"), rs.getLong("memory_bytes"), rs.getString("arch"),
            rs.getString("accelerator"), rs.getString("accelerator_reason"), rs.getString("qemu_version"),
            rs.getLong("last_seen") == 0 ? null : Instant.ofEpochMilli(rs.getLong("last_seen")),
            rs.getString("mode"), Json.read(rs.getString("labels_json"), LABELS), rs.getLong("disk_bytes"),
            rs.getLong("disk_free_bytes"), rs.getLong("memory_available_bytes"), 0, 0, 0, 0, 0, List.of());
}
