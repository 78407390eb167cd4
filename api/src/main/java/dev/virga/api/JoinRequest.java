package dev.virga.api;

/**
 * An agent asking to join ({@code POST /1.0/hosts/join}) with a one-use {@code token}, or to come back after a
 * restart ({@code POST /1.0/hosts/{name}/rejoin}) with the {@code secret} it got when it joined.
 *
 * @param url        where the agent's endpoint listens
 * @param agentToken the bearer token the control plane must present to that endpoint
 */
public record JoinRequest(String name, String token, String secret, String url, String agentToken) {
}
