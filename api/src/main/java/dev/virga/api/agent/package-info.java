/**
 * The contract between the control plane and a host's agent ({@code /agent/1.0/...}). Internal: the CLI never
 * speaks it; it is versioned with the server.
 */
package dev.virga.api.agent;
