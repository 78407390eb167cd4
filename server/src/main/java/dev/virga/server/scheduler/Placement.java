package dev.virga.server.scheduler;

import dev.virga.client.Json;
import dev.virga.server.config.Settings;
import dev.virga.server.host.Hosts;
import dev.virga.server.http.ApiError;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where a new instance goes: takes a snapshot of the cluster from the store, asks the {@link Scheduler}, and
 * assigns the host in the same database transaction. That transaction first locks the one row of
 * {@code placement_lock}, so placements are serialised across every server sharing the store: two launches racing
 * for the last slot never both get it, whichever server they reached.
 */
public final class Placement {
    private final Jdbi jdbi;
    private final Hosts hosts;
    private final Settings settings;

    public Placement(Jdbi jdbi, Hosts hosts, Settings settings) {
        this.jdbi = jdbi;
        this.hosts = hosts;
        this.settings = settings;
    }

    /**
     * Assigns {@code instance} to the best host if one fits, atomically with the snapshot it was chosen from.
     * Otherwise nothing is assigned and the decision says why (and which standby host would take it if woken).
     */
    public Scheduler.Decision assign(String instance, Scheduler.Demand demand, String target, boolean force) {
        return reserve("host", instance, demand, target, force);
    }

    /**
     * For a cold move: chooses a host other than the instance's own and records it in {@code moving_to}, where the
     * instance then holds resources too until the move ends ({@link #moved} or {@link #notMoved}).
     */
    public Scheduler.Decision reserveMove(String instance, Scheduler.Demand demand, String target, boolean force) {
        return reserve("moving_to", instance, demand, target, force);
    }

    /** Decides and records the host in {@code column}, in one transaction behind the placement lock. */
    private synchronized Scheduler.Decision reserve(String column, String instance, Scheduler.Demand demand,
                                                    String target, boolean force) {
        checkTarget(target);
        var policy = settings.policy();
        return jdbi.inTransaction(h -> {
            h.createUpdate("UPDATE placement_lock SET version = version + 1 WHERE id = 1").execute();
            var decision = Scheduler.place(demand, snapshot(h, demand), target, force, policy);
            decision.host().ifPresent(host -> h.createUpdate("UPDATE instances SET " + column + " = :h, "
                            + "updated_at = :now WHERE name = :n")
                    .bind("h", host).bind("now", System.currentTimeMillis()).bind("n", instance).execute());
            return decision;
        });
    }

    /** The move is done: the instance lives on its new host only. */
    public void moved(String instance, String host) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE instances SET host = :h, moving_to = '', updated_at = :now "
                        + "WHERE name = :n")
                .bind("h", host).bind("now", System.currentTimeMillis()).bind("n", instance).execute());
    }

    /** The move was given up: the instance holds nothing on the other host any more. */
    public void notMoved(String instance) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE instances SET moving_to = '' WHERE name = :n")
                .bind("n", instance).execute());
    }

    /** Where it would go now, without assigning anything. */
    public Scheduler.Decision preview(Scheduler.Demand demand, String target, boolean force) {
        checkTarget(target);
        var policy = settings.policy();
        return jdbi.withHandle(h -> Scheduler.place(demand, snapshot(h, demand), target, force, policy));
    }

    private void checkTarget(String target) {
        if (!target.isEmpty() && hosts.find(target).isEmpty()) {
            throw new ApiError.NotFound("host", target);
        }
    }

    /** Records that {@code host} holds the image {@code fingerprint}. */
    public void holds(String fingerprint, String host) {
        jdbi.useHandle(h -> {
            int n = h.createQuery("SELECT COUNT(*) FROM image_hosts WHERE fingerprint = :f AND host = :h")
                    .bind("f", fingerprint).bind("h", host).mapTo(Integer.class).one();
            if (n == 0) {
                h.createUpdate("INSERT INTO image_hosts (fingerprint, host) VALUES (:f, :h)")
                        .bind("f", fingerprint).bind("h", host).execute();
            }
        });
    }

    /**
     * The cluster as the scheduler sees it. Every instance placed on a host holds its vCPUs, memory and disk
     * there, stopped ones included: their disk is on that host and they start there again.
     */
    static List<Scheduler.HostState> snapshot(Handle h, Scheduler.Demand demand) {
        var withImage = new HashSet<>(h.createQuery("SELECT host FROM image_hosts WHERE fingerprint = :f")
                .bind("f", demand.fingerprint()).mapTo(String.class).list());
        var allocated = new HashMap<String, long[]>();
        for (var column : List.of("host", "moving_to")) {
            h.createQuery("SELECT " + column + " AS on_host, SUM(cpus) AS c, SUM(memory_bytes) AS m, "
                            + "SUM(disk_bytes) AS d FROM instances WHERE " + column + " <> '' GROUP BY " + column)
                    .map((rs, ctx) -> {
                        var a = allocated.computeIfAbsent(rs.getString("on_host"), k -> new long[3]);
                        a[0] += rs.getLong("c");
                        a[1] += rs.getLong("m");
                        a[2] += rs.getLong("d");
                        return a;
                    })
                    .list();
        }
        var members = new HashMap<String, Set<String>>();
        demand.group().ifPresent(g -> h.createQuery("SELECT name, host, moving_to FROM instances "
                        + "WHERE group_name = :g AND host <> ''")
                .bind("g", g.name())
                .map((rs, ctx) -> {
                    members.computeIfAbsent(rs.getString("host"), k -> new HashSet<>()).add(rs.getString("name"));
                    if (!rs.getString("moving_to").isEmpty()) {
                        members.computeIfAbsent(rs.getString("moving_to"), k -> new HashSet<>())
                                .add(rs.getString("name"));
                    }
                    return g;
                })
                .list());
        // in name order: the scheduler sorts by name, which costs nothing then (sorting 10,000 names did)
        return h.createQuery("SELECT name, state, mode, arch, labels_json, cpus, memory_bytes, disk_bytes FROM hosts "
                        + "ORDER BY name")
                .map((rs, ctx) -> {
                    var name = rs.getString("name");
                    var a = allocated.getOrDefault(name, new long[3]);
                    return new Scheduler.HostState(name, Hosts.ONLINE.equals(rs.getString("state")),
                            rs.getString("mode"), rs.getString("arch"), labels(rs.getString("labels_json")),
                            rs.getInt("cpus"), rs.getLong("memory_bytes"), rs.getLong("disk_bytes"), (int) a[0], a[1],
                            a[2], withImage.contains(name), Set.copyOf(members.getOrDefault(name, Set.of())));
                }).list();
    }

    private static Map<String, String> labels(String json) {
        // most hosts have none: no JSON parse for them (10,000 a decision at 10,000 hosts)
        return json == null || json.isEmpty() || json.equals("{}") ? Map.of() : Json.read(json, LABELS);
    }

    private static final com.fasterxml.jackson.core.type.TypeReference<Map<String, String>> LABELS =
            new com.fasterxml.jackson.core.type.TypeReference<>() { };
}
