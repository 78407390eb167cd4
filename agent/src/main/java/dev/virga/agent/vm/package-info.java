/**
 * The VMs of this host: making their disks, spawning QEMU (in its own session, so it outlives the agent), driving it
 * over QMP and the guest agent, noticing when it dies and why, and adopting running QEMUs after an agent restart.
 */
package dev.virga.agent.vm;
