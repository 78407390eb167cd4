package dev.virga.server.scheduler;

import dev.virga.server.config.Settings;
import dev.virga.server.host.Hosts;
import dev.virga.server.http.ApiError;
import org.jdbi.v3.core.Jdbi;


/**
 * Where a new instance goes: takes a snapshot of the cluster ({@link ClusterView}: kept in memory, read again from
 * the store when anything placement depends on changed there), asks the {@link Scheduler}, and assigns the host in
 * the same database transaction. That transaction first locks the one row of
 * {@code placement_lock}, so placements are serialised across every server sharing the store: two launches racing
 * for the last slot never both get it, whichever server they reached.
 */
public final class Placement {
    private final Jdbi jdbi;
    private final Hosts hosts;
    private final Settings settings;
    /** The cluster as the last placement saw it; only used inside {@link #reserve}. */
    private final ClusterView view = new ClusterView();

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
        try {
            return jdbi.inTransaction(h -> {
                h.createUpdate("UPDATE placement_lock SET version = version + 1 WHERE id = 1").execute();
                var decision = Scheduler.place(demand, view.states(h, demand), target, force, policy);
                decision.host().ifPresent(host -> {
                    int n = h.createUpdate("UPDATE instances SET " + column + " = :h, updated_at = :now "
                                    + "WHERE name = :n")
                            .bind("h", host).bind("now", System.currentTimeMillis()).bind("n", instance).execute();
                    if (n == 1) {
                        view.placed(host, demand, ClusterView.counter(h));
                    } else {
                        view.forget();
                    }
                });
                return decision;
            });
        } catch (RuntimeException e) {
            view.forget(); // rolled back: the view may count an allocation the store does not have
            throw e;
        }
    }

    /** How many times placement has read the whole cluster from the store (the rest came from its view). */
    synchronized long clusterReads() {
        return view.reads();
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
        return jdbi.withHandle(h -> Scheduler.place(demand, new ClusterView().states(h, demand), target, force,
                policy));
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

}
