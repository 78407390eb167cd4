package dev.virga.api;

/**
 * Body of {@code POST /1.0/instances}. Sizes are strings such as {@code 256M}, {@code 1GiB} or plain bytes;
 * an empty or zero value means "the default".
 */
public record LaunchRequest(String name, String image, Integer cpus, String memory, String disk) {
}
