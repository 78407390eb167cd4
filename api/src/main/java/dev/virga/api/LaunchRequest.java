package dev.virga.api;

/**
 * Body of {@code POST /1.0/instances}. Sizes are strings such as {@code 256M}, {@code 1GiB} or plain bytes;
 * an empty or zero value means "the default".
 *
 * @param target a host to place it on (still checked by the scheduler's filters unless {@code force})
 * @param force  with a target: skip the capacity filters (the host must still be online and hold the image)
 */
public record LaunchRequest(String name, String image, Integer cpus, String memory, String disk, String target,
                            boolean force) {

    public LaunchRequest(String name, String image, Integer cpus, String memory, String disk) {
        this(name, image, cpus, memory, disk, "", false);
    }
}
