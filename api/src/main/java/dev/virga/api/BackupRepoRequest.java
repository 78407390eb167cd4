package dev.virga.api;

/** Body of {@code POST /1.0/backup-repos}: an empty directory is made a repository, an existing one is adopted. */
public record BackupRepoRequest(String name, String path) {
}
