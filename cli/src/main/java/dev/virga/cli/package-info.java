/** The {@code virga} command. Speaks only the public REST API; {@code up} wires server and agent in one JVM. */
package dev.virga.cli;
