/**
 * Which of several servers on one store runs the background work (reconcile loop, operations) and takes writes:
 * on PostgreSQL the holder of a session-level advisory lock, on SQLite always the one server. The leader's URL is
 * recorded in the store so that standbys can name it.
 */
package dev.virga.server.leader;
