/**
 * The state store: opens the database (SQLite embedded, PostgreSQL in production, pooled with HikariCP) and applies
 * the Flyway migrations ({@code db/migration} on both, plus {@code db/postgresql} on PostgreSQL only and
 * {@code db/sqlite} on SQLite only, where the two dialects differ: triggers).
 */
package dev.virga.server.db;
