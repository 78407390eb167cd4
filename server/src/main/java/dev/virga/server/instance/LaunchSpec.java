package dev.virga.server.instance;

import dev.virga.api.LaunchRequest;
import dev.virga.api.Sizes;
import dev.virga.server.http.ApiError;

/** A launch request after validation: every field present and in range. */
record LaunchSpec(String name, String image, int cpus, long memoryBytes, long diskBytes, Placing placing) {

    /**
     * How the launch is to be placed and started; kept with the instance (as JSON) so a launch waiting for capacity
     * is queued again after a server restart.
     *
     * @param cold boot even where the image has a warm state the instance could resume
     */
    record Placing(java.util.List<String> constraints, String group, String target, boolean force, boolean noQueue,
                   boolean cold) {
        static final Placing ANYWHERE = new Placing(java.util.List.of(), "", "", false, false, false);

        Placing(java.util.List<String> constraints, String group, String target, boolean force, boolean noQueue) {
            this(constraints, group, target, force, noQueue, false);
        }
    }

    LaunchSpec(String name, String image, int cpus, long memoryBytes, long diskBytes) {
        this(name, image, cpus, memoryBytes, diskBytes, Placing.ANYWHERE);
    }

    static final int MAX_CPUS = 64;
    static final long MIN_MEMORY = 64 * Sizes.MIB;
    static final long MAX_MEMORY = 4096 * Sizes.GIB;
    static final long DEFAULT_MEMORY = 256 * Sizes.MIB;
    static final long MAX_DISK = 64L * 1024 * Sizes.GIB;

    /**
     * Checks every field; the first bad one is reported by name. A field left out (null or blank) takes its default
     * (1 vCPU, 256 MiB, the image's disk size); a zero is refused like any other value out of range, never replaced.
     */
    static LaunchSpec of(LaunchRequest r) {
        var name = Names.check("name", r.name());
        if (r.image() == null || r.image().isBlank()) {
            throw new ApiError.BadInput("image", "must not be empty");
        }
        int cpus = r.cpus() == null ? 1 : r.cpus();
        if (cpus < 1 || cpus > MAX_CPUS) {
            throw new ApiError.BadInput("cpus", cpus + " is out of range (1.." + MAX_CPUS + ")");
        }
        long memory = size("memory", r.memory(), DEFAULT_MEMORY);
        if (memory < MIN_MEMORY || memory > MAX_MEMORY) {
            throw new ApiError.BadInput("memory", Sizes.format(memory) + " is out of range ("
                    + Sizes.format(MIN_MEMORY) + ".." + Sizes.format(MAX_MEMORY) + ")");
        }
        long disk = size("disk", r.disk(), 0);
        if (r.disk() != null && !r.disk().isBlank() && disk == 0) {
            throw new ApiError.BadInput("disk", "0 bytes is no disk size (leave it out for the image's size)");
        }
        if (disk > MAX_DISK) {
            throw new ApiError.BadInput("disk", Sizes.format(disk) + " is larger than " + Sizes.format(MAX_DISK));
        }
        var constraints = r.constraints().stream().map(String::strip).toList();
        dev.virga.server.scheduler.Constraint.parseAll(constraints);
        var group = r.group().isBlank() ? "" : Names.check("group", r.group());
        return new LaunchSpec(name, r.image(), cpus, memory, disk, new Placing(constraints, group, r.target().strip(),
                r.force(), r.noQueue(), r.cold()));
    }

    private static long size(String field, String text, long fallback) {
        if (text == null || text.isBlank()) {
            return fallback;
        }
        try {
            return Sizes.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ApiError.BadInput(field, e.getMessage());
        }
    }
}
