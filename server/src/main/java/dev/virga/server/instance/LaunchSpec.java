package dev.virga.server.instance;

import dev.virga.api.LaunchRequest;
import dev.virga.api.Sizes;
import dev.virga.server.http.ApiError;

/** A launch request after validation: every field present and in range. */
record LaunchSpec(String name, String image, int cpus, long memoryBytes, long diskBytes, Placing placing) {

    /**
     * How the launch is to be placed; kept with the instance (as JSON) so a launch waiting for capacity is
     * queued again after a server restart.
     */
    record Placing(java.util.List<String> constraints, String group, String target, boolean force, boolean noQueue) {
        static final Placing ANYWHERE = new Placing(java.util.List.of(), "", "", false, false);
    }

    LaunchSpec(String name, String image, int cpus, long memoryBytes, long diskBytes) {
        this(name, image, cpus, memoryBytes, diskBytes, Placing.ANYWHERE);
    }

    static final int MAX_CPUS = 64;
    static final long MIN_MEMORY = 64 * Sizes.MIB;
    static final long MAX_MEMORY = 4096 * Sizes.GIB;
    static final long DEFAULT_MEMORY = 256 * Sizes.MIB;
    static final long MAX_DISK = 64L * 1024 * Sizes.GIB;

    /** Checks every field; the first bad one is reported by name. A disk of 0 means "the image's size". */
    static LaunchSpec of(LaunchRequest r) {
        var name = Names.check("name", r.name());
        if (r.image() == null || r.image().isBlank()) {
            throw new ApiError.BadInput("image", "must not be empty");
        }
        int cpus = r.cpus() == null || r.cpus() == 0 ? 1 : r.cpus();
        if (cpus < 1 || cpus > MAX_CPUS) {
            throw new ApiError.BadInput("cpus", cpus + " is out of range (1.." + MAX_CPUS + ")");
        }
        long memory = size("memory", r.memory(), DEFAULT_MEMORY);
        if (memory < MIN_MEMORY || memory > MAX_MEMORY) {
            throw new ApiError.BadInput("memory", Sizes.format(memory) + " is out of range ("
                    + Sizes.format(MIN_MEMORY) + ".." + Sizes.format(MAX_MEMORY) + ")");
        }
        long disk = size("disk", r.disk(), 0);
        if (disk > MAX_DISK) {
            throw new ApiError.BadInput("disk", Sizes.format(disk) + " is larger than " + Sizes.format(MAX_DISK));
        }
        var constraints = r.constraints().stream().map(String::strip).toList();
        dev.virga.server.scheduler.Constraint.parseAll(constraints);
        var group = r.group().isBlank() ? "" : Names.check("group", r.group());
        return new LaunchSpec(name, r.image(), cpus, memory, disk, new Placing(constraints, group, r.target().strip(),
                r.force(), r.noQueue()));
    }

    private static long size(String field, String text, long fallback) {
        if (text == null || text.isBlank()) {
            return fallback;
        }
        try {
            long v = Sizes.parse(text);
            return v == 0 ? fallback : v;
        } catch (IllegalArgumentException e) {
            throw new ApiError.BadInput(field, e.getMessage());
        }
    }
}
