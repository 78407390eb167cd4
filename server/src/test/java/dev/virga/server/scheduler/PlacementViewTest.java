package dev.virga.server.scheduler;

import dev.virga.server.config.Settings;
import dev.virga.server.db.TestStore;
import dev.virga.server.host.Hosts;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Placement keeps the cluster in memory between decisions; these check that whatever changes in the store (written
 * by anyone: another connection here, as another server or code path would) is seen by the next decision, and that
 * an unchanged store is not read again.
 */
class PlacementViewTest {
    private static final long GIB = 1L << 30;
    private static final String IMAGE = "f".repeat(64);
    @TempDir
    Path dir;
    private TestStore store;
    private Jdbi jdbi;
    /** Another connection to the same store: "someone else" writing. */
    private Jdbi other;
    private Placement placement;

    @BeforeEach
    void setUp() {
        store = TestStore.create(dir);
        jdbi = store.jdbi();
        other = store.jdbi();
        var settings = new Settings(jdbi);
        placement = new Placement(jdbi, new Hosts(jdbi, settings), settings);
        host("h1", 4 * GIB);
        host("h2", 4 * GIB);
    }

    @AfterEach
    void tearDown() {
        store.close();
    }

    @Test
    void consecutivePlacementsReadTheClusterOnceAndNeverOvercommit() {
        int placed = 0;
        for (int i = 0; i < 10; i++) {
            if (place("vm" + i).isPresent()) {
                placed++;
            }
        }
        assertThat(placed).isEqualTo(8); // 2 hosts x 4 GiB, 1 GiB each
        assertThat(count("h1")).isEqualTo(4);
        assertThat(count("h2")).isEqualTo(4);
        assertThat(placement.clusterReads()).isEqualTo(1);
    }

    @Test
    void aHostGoingOfflineInTheStoreIsSeenByTheNextDecision() {
        assertThat(place("a")).isPresent();
        other.useHandle(h -> h.execute("UPDATE hosts SET state = 'offline' WHERE name = 'h1'"));
        for (int i = 0; i < 3; i++) {
            assertThat(place("b" + i)).contains("h2");
        }
    }

    @Test
    void anAllocationWrittenElsewhereCountsAndADeletionFreesRoom() {
        assertThat(place("a")).isPresent(); // view read
        // a copy lands on h2 beside the scheduler, taking all its memory
        instance("copy", 4 * GIB);
        other.useHandle(h -> h.execute("UPDATE instances SET host = 'h2' WHERE name = 'copy'"));
        for (int i = 0; i < 3; i++) {
            assertThat(place("b" + i)).contains("h1");
        }
        assertThat(place("full")).isEmpty(); // h1 holds a + 3, h2 the copy
        other.useHandle(h -> h.execute("DELETE FROM instances WHERE name = 'copy'"));
        assertThat(place("again")).contains("h2");
    }

    @Test
    void aLabelOrCapacityChangeIsSeen() {
        assertThat(place("a")).isPresent();
        other.useHandle(h -> h.createUpdate("UPDATE hosts SET memory_bytes = :m WHERE name = 'h1'")
                .bind("m", 64 * GIB).execute());
        for (int i = 0; i < 6; i++) {
            assertThat(place("b" + i)).contains("h1"); // spread: h1 now has by far the most room
        }
    }

    @Test
    void aHeartbeatThatChangesNothingPlacementReadsDoesNotCostARead() {
        assertThat(place("a")).isPresent();
        long reads = placement.clusterReads();
        other.useHandle(h -> h.execute("UPDATE hosts SET last_seen = 12345, memory_available_bytes = 1 "
                + "WHERE name = 'h1'"));
        assertThat(place("b")).isPresent();
        assertThat(placement.clusterReads()).isEqualTo(reads);
    }

    private Optional<String> place(String name) {
        instance(name, GIB);
        return placement.assign(name, new Scheduler.Demand(1, GIB, IMAGE), "", false).host();
    }

    private void host(String name, long memory) {
        jdbi.useHandle(h -> {
            h.createUpdate("INSERT INTO hosts (name, url, token, state, cpus, memory_bytes, arch) "
                    + "VALUES (:n, '', '', 'online', 8, :m, 'x86_64')").bind("n", name).bind("m", memory).execute();
            h.createUpdate("INSERT INTO image_hosts (fingerprint, host) VALUES (:f, :n)")
                    .bind("f", IMAGE).bind("n", name).execute();
        });
    }

    private void instance(String name, long memory) {
        other.useHandle(h -> h.createUpdate("INSERT INTO instances (name, image, image_fingerprint, state, cpus, "
                        + "memory_bytes, disk_bytes, created_at, updated_at) "
                        + "VALUES (:n, 'tiny', :f, 'PENDING', 1, :m, 0, 0, 0)")
                .bind("n", name).bind("f", IMAGE).bind("m", memory).execute());
    }

    private int count(String host) {
        return jdbi.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM instances WHERE host = :h").bind("h", host)
                .mapTo(Integer.class).one());
    }
}
