package dev.virga.backup;

/** One disk of a backup: its name (e.g. {@code vda}), its size in bytes, and what backing it up cost. */
public record DiskInfo(String name, long size, BackupStats stats) {
}
