package dev.virga.agent;

import java.nio.file.Path;

/**
 * How to run an agent.
 *
 * @param name        the host's name in the cluster
 * @param dataDir     images/ and instances/ live here
 * @param bindHost    address of the agent's endpoint
 * @param port        0 picks a free port
 * @param token       the bearer token the control plane must present
 * @param accelerator "auto" (probe), "tcg" or "kvm"
 */
public record AgentConfig(String name, Path dataDir, String bindHost, int port, String token, String accelerator) {
}
