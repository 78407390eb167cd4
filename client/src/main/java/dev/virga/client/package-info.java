/** Java clients of Virga's HTTP endpoints: the public REST API and the agent's host endpoint. */
package dev.virga.client;
