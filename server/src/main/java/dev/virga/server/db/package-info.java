/**
 * The state store: opens the database (SQLite embedded, PostgreSQL in production, pooled with HikariCP) and applies
 * the Flyway migrations ({@code db/migration} on both, plus {@code db/postgresql} on PostgreSQL only).
 */
package dev.virga.server.db;
