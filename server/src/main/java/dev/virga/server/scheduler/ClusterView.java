package dev.virga.server.scheduler;

import dev.virga.client.Json;
import dev.virga.server.host.Hosts;
import org.jdbi.v3.core.Handle;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The cluster as placement last read it from the store: every host's facts, the allocation sums per host, and which
 * hosts hold which image. Read again only when {@code placement_changes.counter} (bumped by triggers on every write
 * that matters, from any server) differs from the value this view was read at, or after a failed placement; a
 * placement made through this view adds its own allocation and takes the counter its own write produced. So a
 * decision at 10,000 hosts and 100,000 VMs no longer reads 10,000 host rows and sums 100,000 instances.
 *
 * <p>Not thread-safe: used only behind {@link Placement}'s lock.
 */
final class ClusterView {
    /** A host's row, as far as placement reads it. */
    private record HostRow(String name, boolean online, String mode, String arch, Map<String, String> labels,
                           int cpus, long memoryBytes, long diskBytes) {
    }

    private long counter = -1;
    private List<HostRow> hosts = List.of();
    private final Map<String, long[]> allocated = new HashMap<>();
    private final Map<String, Set<String>> holders = new HashMap<>();
    private long reads;

    static long counter(Handle h) {
        return h.createQuery("SELECT counter FROM placement_changes WHERE id = 1").mapTo(Long.class).one();
    }

    /** The hosts as the scheduler sees them for {@code demand}, read from the store only if it changed. */
    List<Scheduler.HostState> states(Handle h, Scheduler.Demand demand) {
        long now = counter(h);
        if (now != counter) {
            load(h);
            counter = now;
        }
        var withImage = holders.computeIfAbsent(demand.fingerprint(), f -> new HashSet<>(
                h.createQuery("SELECT host FROM image_hosts WHERE fingerprint = :f").bind("f", f)
                        .mapTo(String.class).list()));
        var members = groupMembers(h, demand);
        var clashes = portClashes(h, demand);
        var states = new ArrayList<Scheduler.HostState>(hosts.size());
        for (var r : hosts) {
            var a = allocated.getOrDefault(r.name(), NONE);
            states.add(new Scheduler.HostState(r.name(), r.online(), r.mode(), r.arch(), r.labels(), r.cpus(),
                    r.memoryBytes(), r.diskBytes(), (int) a[0], a[1], a[2], withImage.contains(r.name()),
                    members.getOrDefault(r.name(), Set.of()), clashes.getOrDefault(r.name(), List.of())));
        }
        return states;
    }

    /**
     * This server placed {@code demand} on {@code host}; {@code counterAfter} is the store's counter after that
     * write. Unless it is exactly one more than the view's (its own write's trigger, nobody else's: on PostgreSQL
     * another transaction may have committed a change in between), the view is read again next time.
     */
    void placed(String host, Scheduler.Demand demand, long counterAfter) {
        if (counterAfter != counter + 1) {
            forget();
            return;
        }
        var a = allocated.computeIfAbsent(host, k -> new long[3]);
        a[0] += demand.cpus();
        a[1] += demand.memoryBytes();
        a[2] += demand.diskBytes();
        counter = counterAfter;
    }

    /** Something went wrong mid-placement: read everything again next time. */
    void forget() {
        counter = -1;
    }

    /** How many times the whole cluster was read from the store (for tests and the benchmark's log). */
    long reads() {
        return reads;
    }

    private void load(Handle h) {
        reads++;
        allocated.clear();
        holders.clear();
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
        // in name order: the scheduler sorts by name, which costs nothing then
        hosts = h.createQuery("SELECT name, state, mode, arch, labels_json, cpus, memory_bytes, disk_bytes FROM hosts "
                        + "ORDER BY name")
                .map((rs, ctx) -> new HostRow(rs.getString("name"), Hosts.ONLINE.equals(rs.getString("state")),
                        rs.getString("mode"), rs.getString("arch"), labels(rs.getString("labels_json")),
                        rs.getInt("cpus"), rs.getLong("memory_bytes"), rs.getLong("disk_bytes")))
                .list();
    }

    /**
     * Per host, the forwards there (of instances on it or moving to it) whose host port the demand's forwards would
     * clash with; read only for a demand that publishes ports.
     */
    static Map<String, List<String>> portClashes(Handle h, Scheduler.Demand demand) {
        var clashes = new HashMap<String, List<String>>();
        if (demand.publish().isEmpty()) {
            return clashes;
        }
        h.createQuery("SELECT p.instance, p.protocol, p.host_address, p.host_port, p.guest_port, i.host, i.moving_to "
                        + "FROM published_ports p JOIN instances i ON i.name = p.instance WHERE i.host <> '' "
                        + "OR i.moving_to <> ''")
                .map((rs, ctx) -> {
                    var taken = new dev.virga.api.PublishedPort(rs.getString("protocol"), rs.getString("host_address"),
                            rs.getInt("host_port"), rs.getInt("guest_port"));
                    if (demand.publish().stream().anyMatch(taken::clashesWith)) {
                        for (var host : List.of(rs.getString("host"), rs.getString("moving_to"))) {
                            if (!host.isEmpty()) {
                                clashes.computeIfAbsent(host, k -> new ArrayList<>())
                                        .add(taken + " of " + rs.getString("instance"));
                            }
                        }
                    }
                    return taken;
                })
                .list();
        return clashes;
    }

    /** Members of the demand's placement group per host (where they are, and where they are moving to). */
    static Map<String, Set<String>> groupMembers(Handle h, Scheduler.Demand demand) {
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
        return members;
    }

    private static Map<String, String> labels(String json) {
        // most hosts have none: no JSON parse for them
        return json == null || json.isEmpty() || json.equals("{}") ? Map.of() : Json.read(json, LABELS);
    }

    private static final long[] NONE = new long[3];
    private static final com.fasterxml.jackson.core.type.TypeReference<Map<String, String>> LABELS =
            new com.fasterxml.jackson.core.type.TypeReference<>() { };
}
