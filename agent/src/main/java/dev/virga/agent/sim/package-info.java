/**
 * Simulated hosts: a test and planning tool, never a way to run VMs. One process answers the agent endpoint
 * ({@code /agent/1.0}) for N hosts at once, each under its own path prefix and bearer token, with the capacity it
 * is given and VMs that are only records (no QEMU, no disk, no guest). It lets the scheduler and the control plane
 * be measured at thousands of hosts on one machine; every report says {@code simulated} as its accelerator.
 */
package dev.virga.agent.sim;
