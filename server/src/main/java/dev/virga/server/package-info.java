/** The control plane process: wires the store, operations, instances, images, hosts and the HTTP API. */
package dev.virga.server;
