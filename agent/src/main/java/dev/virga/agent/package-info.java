/** One host: its QEMU processes, its image store, and the endpoint the control plane drives it through. */
package dev.virga.agent;
