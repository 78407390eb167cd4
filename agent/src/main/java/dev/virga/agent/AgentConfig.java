package dev.virga.agent;

import java.nio.file.Path;
import java.util.Map;

/**
 * How to run an agent.
 *
 * @param name        the host's name in the cluster
 * @param dataDir     images/ and instances/ live here
 * @param bindHost    address of the agent's endpoint
 * @param port        0 picks a free port
 * @param token       the bearer token the control plane must present
 * @param accelerator "auto" (probe), "tcg" or "kvm"
 * @param labels      the operator's labels, reported to the control plane for placement constraints
 * @param cpus        CPUs offered to VMs; 0 means the machine's
 * @param memoryBytes memory offered to VMs; 0 means the machine's (VMs still never start beyond the machine's
 *                    real memory)
 */
public record AgentConfig(String name, Path dataDir, String bindHost, int port, String token, String accelerator,
                          Map<String, String> labels, int cpus, long memoryBytes) {
    public AgentConfig {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    public AgentConfig(String name, Path dataDir, String bindHost, int port, String token, String accelerator) {
        this(name, dataDir, bindHost, port, token, accelerator, Map.of(), 0, 0);
    }
}
