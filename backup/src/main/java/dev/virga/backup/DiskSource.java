package dev.virga.backup;

/** One disk to back up: its name (e.g. {@code vda}), its size in bytes, and what reads its changed chunks. */
public record DiskSource(String name, long size, ChunkSource chunks) {
    public DiskSource {
        Names.check("disk name", name);
        if (size <= 0) {
            throw new IllegalArgumentException("disk " + name + " has size " + size + "; a disk needs at least 1 byte");
        }
        if (chunks == null) {
            throw new IllegalArgumentException("disk " + name + " has no chunk source");
        }
    }
}
