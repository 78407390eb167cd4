package dev.virga.api;

/** Body of {@code PUT /1.0/instances/{name}/backups/schedule}: {@code every} such as {@code 90s}, {@code 30m}, {@code 1h}, {@code 1d}. */
public record BackupScheduleRequest(String every, String repo, int keepLast) {
    public BackupScheduleRequest {
        repo = repo == null ? "" : repo;
        every = every == null ? "" : every;
    }
}
