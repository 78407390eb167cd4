package dev.virga.api;

import java.util.List;

/**
 * Body of {@code POST /1.0/instances}. Sizes are strings such as {@code 256M}, {@code 1GiB} or plain bytes; a field
 * left out (null or empty) means "the default" (1 vCPU, 256 MiB, the image's disk size); zero is refused.
 *
 * @param target      a host to place it on (still checked by the scheduler's filters unless {@code force})
 * @param force       with a target: skip the capacity filters (the host must still be online and hold the image)
 * @param constraints {@code label=value} or {@code label!=value} a host must satisfy ({@code arch} and
 *                    {@code name} are labels every host has)
 * @param group       a placement group (affinity or anti-affinity) the instance joins
 * @param noQueue     fail at once when no host fits instead of waiting as {@code pending}
 * @param networks    tenant networks to attach, one NIC each in this order: {@code NAME} (an address from the
 *                    network's pool) or {@code NAME:IP} (that address)
 * @param publish     host ports forwarded to guest ports through the provider NIC, each
 *                    {@code [ADDRESS:]HOSTPORT:GUESTPORT[/tcp|/udp]} (see {@link PublishedPort#parse})
 * @param cold        boot, even if the image has a warm state this VM could resume
 */
public record LaunchRequest(String name, String image, Integer cpus, String memory, String disk, String target,
                            boolean force, List<String> constraints, String group, boolean noQueue,
                            List<String> networks, List<String> publish, boolean cold) {

    public LaunchRequest {
        target = target == null ? "" : target;
        constraints = constraints == null ? List.of() : List.copyOf(constraints);
        group = group == null ? "" : group;
        networks = networks == null ? List.of() : List.copyOf(networks);
        publish = publish == null ? List.of() : List.copyOf(publish);
    }

    public LaunchRequest(String name, String image, Integer cpus, String memory, String disk, String target,
                         boolean force, List<String> constraints, String group, boolean noQueue,
                         List<String> networks, List<String> publish) {
        this(name, image, cpus, memory, disk, target, force, constraints, group, noQueue, networks, publish, false);
    }

    public LaunchRequest(String name, String image, Integer cpus, String memory, String disk, String target,
                         boolean force, List<String> constraints, String group, boolean noQueue,
                         List<String> networks) {
        this(name, image, cpus, memory, disk, target, force, constraints, group, noQueue, networks, List.of());
    }

    public LaunchRequest(String name, String image, Integer cpus, String memory, String disk, String target,
                         boolean force, List<String> constraints, String group, boolean noQueue) {
        this(name, image, cpus, memory, disk, target, force, constraints, group, noQueue, List.of());
    }

    public LaunchRequest(String name, String image, Integer cpus, String memory, String disk, String target,
                         boolean force) {
        this(name, image, cpus, memory, disk, target, force, List.of(), "", false);
    }

    public LaunchRequest(String name, String image, Integer cpus, String memory, String disk) {
        this(name, image, cpus, memory, disk, "", false);
    }
}
