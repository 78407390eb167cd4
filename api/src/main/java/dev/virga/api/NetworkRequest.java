package dev.virga.api;

/**
 * Body of {@code POST /1.0/networks}.
 *
 * @param subnet  IPv4 CIDR such as {@code 10.20.0.0/24} (prefix 8..30)
 * @param gateway optional router address inside the subnet; empty for a network without a router
 * @param project the project (tenant) owning it; empty means {@code default}. Subnets may overlap only across
 *                projects
 */
public record NetworkRequest(String name, String subnet, String gateway, String project) {
    public NetworkRequest {
        gateway = gateway == null ? "" : gateway;
        project = project == null ? "" : project;
    }
}
