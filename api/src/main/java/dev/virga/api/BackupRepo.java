package dev.virga.api;

import java.time.Instant;

/** A backup repository known to this Virga: a directory (local or a mounted share) on the hosts that use it. */
public record BackupRepo(String name, String path, Instant createdAt) {
}
