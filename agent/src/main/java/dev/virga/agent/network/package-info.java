/** This host's virtual switch: the tenant NICs of its VMs as switch ports (mechanism; the server allocates). */
package dev.virga.agent.network;
