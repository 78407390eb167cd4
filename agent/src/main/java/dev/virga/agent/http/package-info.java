/** The agent's endpoint ({@code /agent/1.0}): what the control plane calls, guarded by the host's token. */
package dev.virga.agent.http;
