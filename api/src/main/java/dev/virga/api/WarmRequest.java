package dev.virga.api;

/**
 * Body of {@code POST /1.0/images/{name}/warm}: the shape of VMs that will resume the warm state instead of
 * booting. Omitted fields are a launch's defaults (1 vCPU, 256 MiB).
 *
 * @param memory a size such as {@code 256M} or {@code 1GiB}
 */
public record WarmRequest(Integer cpus, String memory) {
}
