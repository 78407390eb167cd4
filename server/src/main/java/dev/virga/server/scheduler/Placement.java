package dev.virga.server.scheduler;

import dev.virga.server.host.Hosts;
import dev.virga.server.http.ApiError;
import org.jdbi.v3.core.Jdbi;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

/**
 * Where a new instance goes: takes a snapshot of the cluster from the store, asks the {@link Scheduler}, and
 * assigns the host in the same critical section, so two launches racing for the last slot never both get it.
 */
public final class Placement {
    /** Instances in these states hold their CPUs and memory on their host. */
    private static final String HOLDING = "('PENDING','CREATING','STARTING','RUNNING','PAUSED','STOPPING')";
    private final Jdbi jdbi;
    private final Hosts hosts;

    public Placement(Jdbi jdbi, Hosts hosts) {
        this.jdbi = jdbi;
        this.hosts = hosts;
    }

    /** Assigns {@code instance} to the best host, or fails with every host's reason. */
    public synchronized Scheduler.Decision assign(String instance, Scheduler.Demand demand, String target,
                                                  boolean force) {
        var decision = preview(demand, target, force);
        var host = decision.host().orElseThrow(() -> new ApiError.Conflict("no host can take '" + instance + "': "
                + decision.explain(), Map.of("hosts", decision.explain())));
        jdbi.useHandle(h -> h.createUpdate("UPDATE instances SET host = :h, updated_at = :now WHERE name = :n")
                .bind("h", host).bind("now", System.currentTimeMillis()).bind("n", instance).execute());
        return decision;
    }

    /** Where it would go now, without assigning anything. */
    public Scheduler.Decision preview(Scheduler.Demand demand, String target, boolean force) {
        if (!target.isEmpty() && hosts.find(target).isEmpty()) {
            throw new ApiError.NotFound("host", target);
        }
        return Scheduler.place(demand, snapshot(demand.fingerprint()), target, force);
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

    List<Scheduler.HostState> snapshot(String fingerprint) {
        return jdbi.withHandle(h -> {
            var withImage = new HashSet<>(h.createQuery("SELECT host FROM image_hosts WHERE fingerprint = :f")
                    .bind("f", fingerprint).mapTo(String.class).list());
            var allocated = new HashMap<String, long[]>();
            h.createQuery("SELECT host, SUM(cpus) AS c, SUM(memory_bytes) AS m FROM instances WHERE state IN "
                            + HOLDING + " AND host <> '' GROUP BY host")
                    .map((rs, ctx) -> allocated.put(rs.getString("host"), new long[] {rs.getLong("c"), rs.getLong("m")}))
                    .list();
            return hosts.capacities().stream().map(x -> {
                var a = allocated.getOrDefault(x.name(), new long[2]);
                return new Scheduler.HostState(x.name(), x.online(), x.cpus(), x.memoryBytes(),
                        (int) a[0], a[1], withImage.contains(x.name()));
            }).toList();
        });
    }
}
