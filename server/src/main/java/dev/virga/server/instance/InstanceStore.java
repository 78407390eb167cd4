package dev.virga.server.instance;

import dev.virga.api.GuestDetails;
import dev.virga.api.InstanceState;
import dev.virga.client.Json;
import dev.virga.server.http.ApiError;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;

import java.util.List;
import java.util.Optional;

/** Rows of the instances table. */
final class InstanceStore {
    private final Jdbi jdbi;

    InstanceStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** Inserts a new instance in {@code PENDING}; 409 when the name is taken (also under a race). */
    void insert(LaunchSpec spec, String fingerprint, long diskBytes) {
        var now = System.currentTimeMillis();
        try {
            jdbi.useHandle(h -> h.createUpdate("INSERT INTO instances (name, image, image_fingerprint, state, cpus, "
                            + "memory_bytes, disk_bytes, created_at, updated_at, group_name, placement_json) VALUES "
                            + "(:name, :image, :fp, :state, :cpus, :mem, :disk, :now, :now, :group, :placing)")
                    .bind("name", spec.name()).bind("image", spec.image()).bind("fp", fingerprint)
                    .bind("state", InstanceState.PENDING.name()).bind("cpus", spec.cpus())
                    .bind("mem", spec.memoryBytes()).bind("disk", diskBytes).bind("now", now)
                    .bind("group", spec.placing().group()).bind("placing", Json.write(spec.placing())).execute());
        } catch (org.jdbi.v3.core.statement.UnableToExecuteStatementException e) {
            if (find(spec.name()).isPresent()) {
                throw new ApiError.Conflict("instance '" + spec.name() + "' already exists");
            }
            throw e;
        }
    }

    /** Records a copy as pending, with the snapshot its disk will read through. */
    void insertCopy(String name, InstanceRow source, String snapshot) {
        var spec = new LaunchSpec(name, source.image(), source.cpus(), source.memoryBytes(), source.diskBytes());
        insert(spec, source.fingerprint(), source.diskBytes());
        jdbi.useHandle(h -> h.createUpdate("UPDATE instances SET base_instance = :b, base_snapshot = :s, host = :h "
                        + "WHERE name = :n")
                .bind("b", source.name()).bind("s", snapshot).bind("h", source.host()).bind("n", name).execute());
    }

    void baseSnapshot(String name, String snapshot) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE instances SET base_snapshot = :s WHERE name = :n")
                .bind("s", snapshot).bind("n", name).execute());
    }

    /** Instances whose disk reads through {@code instance}'s snapshot (any snapshot when empty). */
    List<String> copiesOf(String instance, String snapshot) {
        return jdbi.withHandle(h -> h.createQuery("SELECT name FROM instances WHERE base_instance = :b "
                        + "AND (:s = '' OR base_snapshot = :s) ORDER BY name")
                .bind("b", instance).bind("s", snapshot).mapTo(String.class).list());
    }

    Optional<InstanceRow> find(String name) {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM instances WHERE name = :n").bind("n", name)
                .map(MAPPER).findOne());
    }

    InstanceRow get(String name) {
        return find(name).orElseThrow(() -> new ApiError.NotFound("instance", name));
    }

    List<InstanceRow> list() {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM instances ORDER BY name").map(MAPPER).list());
    }

    /** Instances no host was chosen for (yet). */
    List<InstanceRow> hostless() {
        return onHost("");
    }

    List<InstanceRow> onHost(String host) {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM instances WHERE host = :h ORDER BY name")
                .bind("h", host).map(MAPPER).list());
    }

    void state(String name, InstanceState state, String reason) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE instances SET state = :s, reason = :r, updated_at = :now "
                        + "WHERE name = :n")
                .bind("s", state.name()).bind("r", reason).bind("now", System.currentTimeMillis())
                .bind("n", name).execute());
    }

    void host(String name, String host) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE instances SET host = :h, updated_at = :now WHERE name = :n")
                .bind("h", host).bind("now", System.currentTimeMillis()).bind("n", name).execute());
    }

    void started(String name, String accelerator, GuestDetails guest) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE instances SET state = :s, reason = '', accelerator = :a, "
                        + "guest_json = :g, updated_at = :now WHERE name = :n")
                .bind("s", InstanceState.RUNNING.name()).bind("a", accelerator)
                .bind("g", InstanceRow.guestJson(guest)).bind("now", System.currentTimeMillis())
                .bind("n", name).execute());
    }

    void launchMillis(String name, long millis) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE instances SET launch_ms = :ms WHERE name = :n")
                .bind("ms", millis).bind("n", name).execute());
    }

    void guest(String name, GuestDetails guest) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE instances SET guest_json = :g WHERE name = :n")
                .bind("g", InstanceRow.guestJson(guest)).bind("n", name).execute());
    }

    /** Removes the instance and frees its tenant NICs' addresses with it. */
    void delete(String name) {
        jdbi.useTransaction(h -> {
            h.createUpdate("DELETE FROM nics WHERE instance = :n").bind("n", name).execute();
            h.createUpdate("DELETE FROM published_ports WHERE instance = :n").bind("n", name).execute();
            h.createUpdate("DELETE FROM instances WHERE name = :n").bind("n", name).execute();
        });
    }

    private static final RowMapper<InstanceRow> MAPPER = (rs, ctx) -> new InstanceRow(rs.getString("name"),
            rs.getString("image"), rs.getString("image_fingerprint"), rs.getString("host"),
            InstanceState.valueOf(rs.getString("state")), rs.getString("reason"), rs.getInt("cpus"),
            rs.getLong("memory_bytes"), rs.getLong("disk_bytes"), rs.getString("accelerator"),
            rs.getLong("launch_ms"), InstanceRow.guest(rs.getString("guest_json")), rs.getLong("created_at"),
            rs.getLong("updated_at"), rs.getString("group_name"), placing(rs.getString("placement_json")));

    private static LaunchSpec.Placing placing(String json) {
        try {
            var p = Json.read(json, LaunchSpec.Placing.class);
            return p.constraints() == null ? LaunchSpec.Placing.ANYWHERE : p;
        } catch (IllegalArgumentException e) {
            return LaunchSpec.Placing.ANYWHERE;
        }
    }

    /** Whether {@code name}'s disk reads through another instance's snapshot. */
    boolean isCopy(String name) {
        return jdbi.withHandle(h -> h.createQuery("SELECT base_instance FROM instances WHERE name = :n")
                .bind("n", name).mapTo(String.class).findOne()).map(b -> !b.isEmpty()).orElse(false);
    }

    /** Instance name → the host a move was copying it to. */
    java.util.Map<String, String> moves() {
        var out = new java.util.TreeMap<String, String>();
        jdbi.useHandle(h -> h.createQuery("SELECT name, moving_to FROM instances WHERE moving_to <> ''")
                .map((rs, ctx) -> out.put(rs.getString(1), rs.getString(2))).list());
        return out;
    }

    /** Instances in {@code state} with no host yet. */
    List<InstanceRow> hostless(InstanceState state) {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM instances WHERE host = '' AND state = :s ORDER BY "
                + "created_at").bind("s", state.name()).map(MAPPER).list());
    }
}
