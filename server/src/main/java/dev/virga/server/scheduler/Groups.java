package dev.virga.server.scheduler;

import dev.virga.api.Group;
import dev.virga.api.GroupRequest;
import dev.virga.server.http.ApiError;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/** Placement groups: members on one host (affinity) or each on its own host (anti-affinity). */
public final class Groups {
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private final Jdbi jdbi;

    public Groups(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    public Group create(GroupRequest request) {
        var name = request.name() == null ? "" : request.name();
        if (!NAME.matcher(name).matches()) {
            throw new ApiError.BadInput("name", "'" + name + "' is not a group name (lower-case letters, digits and "
                    + "inner hyphens, at most 63)");
        }
        var policy = request.policy() == null ? "" : request.policy();
        if (!policy.equals(Group.AFFINITY) && !policy.equals(Group.ANTI_AFFINITY)) {
            throw new ApiError.BadInput("policy", "'" + policy + "' is not affinity or anti-affinity");
        }
        try {
            jdbi.useHandle(h -> h.createUpdate("INSERT INTO placement_groups (name, policy, created_at) "
                            + "VALUES (:n, :p, :now)")
                    .bind("n", name).bind("p", policy).bind("now", System.currentTimeMillis()).execute());
        } catch (org.jdbi.v3.core.statement.UnableToExecuteStatementException e) {
            if (find(name).isPresent()) {
                throw new ApiError.Conflict("group '" + name + "' already exists");
            }
            throw e;
        }
        return get(name);
    }

    public List<Group> list() {
        return jdbi.withHandle(h -> h.createQuery("SELECT name, policy FROM placement_groups ORDER BY name")
                .map((rs, ctx) -> new Group(rs.getString(1), rs.getString(2), members(h, rs.getString(1)))).list());
    }

    public Optional<Group> find(String name) {
        return jdbi.withHandle(h -> h.createQuery("SELECT name, policy FROM placement_groups WHERE name = :n")
                .bind("n", name).map((rs, ctx) -> new Group(rs.getString(1), rs.getString(2), members(h, name)))
                .findOne());
    }

    public Group get(String name) {
        return find(name).orElseThrow(() -> new ApiError.NotFound("group", name));
    }

    /** Deletes an empty group; 409 naming the members otherwise. */
    public void delete(String name) {
        var group = get(name);
        if (!group.members().isEmpty()) {
            throw new ApiError.Conflict("group '" + name + "' still has members: " + String.join(", ",
                    group.members()) + "; delete them first", Map.of("members", group.members()));
        }
        jdbi.useHandle(h -> h.createUpdate("DELETE FROM placement_groups WHERE name = :n").bind("n", name).execute());
    }

    private static List<String> members(Handle h, String group) {
        return h.createQuery("SELECT name FROM instances WHERE group_name = :g ORDER BY name").bind("g", group)
                .mapTo(String.class).list();
    }
}
