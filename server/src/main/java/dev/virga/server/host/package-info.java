/** Hosts: the agents the control plane knows, their last report, and where a new instance goes. */
package dev.virga.server.host;
