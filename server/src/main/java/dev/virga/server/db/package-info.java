/** The state store: opens the database (SQLite embedded, PostgreSQL later), applies Flyway migrations. */
package dev.virga.server.db;
