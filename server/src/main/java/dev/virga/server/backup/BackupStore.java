package dev.virga.server.backup;

import dev.virga.api.BackupRepo;
import dev.virga.api.Instance;
import dev.virga.server.http.ApiError;
import org.jdbi.v3.core.Jdbi;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** {@code backup_repos} and {@code backup_sources} (V11). */
final class BackupStore {
    private final Jdbi jdbi;

    BackupStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** What a backup was taken of: enough to launch an instance like it. */
    record Source(String backupId, String repo, String instance, String image, int cpus, long memoryBytes,
                  long diskBytes, String host) {
    }

    BackupRepo addRepo(String name, String path) {
        long now = System.currentTimeMillis();
        try {
            jdbi.useHandle(h -> h.createUpdate("INSERT INTO backup_repos (name, path, created_at) VALUES (:n, :p, :t)")
                    .bind("n", name).bind("p", path).bind("t", now).execute());
        } catch (org.jdbi.v3.core.statement.UnableToExecuteStatementException e) {
            if (repo(name).isPresent()) {
                throw new ApiError.Conflict("backup repository '" + name + "' already exists");
            }
            throw e;
        }
        return new BackupRepo(name, path, Instant.ofEpochMilli(now));
    }

    List<BackupRepo> repos() {
        return jdbi.withHandle(h -> h.createQuery("SELECT name, path, created_at FROM backup_repos ORDER BY name")
                .map((rs, ctx) -> new BackupRepo(rs.getString(1), rs.getString(2), Instant.ofEpochMilli(rs.getLong(3))))
                .list());
    }

    Optional<BackupRepo> repo(String name) {
        return jdbi.withHandle(h -> h.createQuery("SELECT name, path, created_at FROM backup_repos WHERE name = :n")
                .bind("n", name)
                .map((rs, ctx) -> new BackupRepo(rs.getString(1), rs.getString(2), Instant.ofEpochMilli(rs.getLong(3))))
                .findOne());
    }

    void removeRepo(String name) {
        jdbi.useHandle(h -> h.createUpdate("DELETE FROM backup_repos WHERE name = :n").bind("n", name).execute());
    }

    void addSource(String backupId, String repo, Instance vm) {
        jdbi.useHandle(h -> h.createUpdate("INSERT INTO backup_sources (backup_id, repo, instance, image, cpus, "
                        + "memory_bytes, disk_bytes, created_at) VALUES (:id, :r, :i, :img, :c, :m, :d, :t)")
                .bind("id", backupId).bind("r", repo).bind("i", vm.name()).bind("img", vm.image())
                .bind("c", vm.cpus()).bind("m", vm.memoryBytes()).bind("d", vm.diskBytes())
                .bind("t", System.currentTimeMillis()).execute());
    }

    Optional<Source> source(String backupId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT backup_id, repo, instance, image, cpus, memory_bytes, "
                        + "disk_bytes FROM backup_sources WHERE backup_id = :id").bind("id", backupId)
                .map((rs, ctx) -> new Source(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getInt(5), rs.getLong(6), rs.getLong(7), ""))
                .findOne());
    }

    void removeSource(String backupId) {
        jdbi.useHandle(h -> h.createUpdate("DELETE FROM backup_sources WHERE backup_id = :id").bind("id", backupId)
                .execute());
    }
}
