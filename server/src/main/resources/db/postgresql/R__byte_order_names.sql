-- PostgreSQL only (Flyway location db/postgresql), re-applied whenever this file changes.
-- Names are listed ORDER BY name. SQLite compares bytes; a PostgreSQL database compares with its collation, and a
-- libc locale such as en_US.UTF-8 ignores '-' ('vm1' before 'vm-2'). The "C" collation on the name columns makes
-- PostgreSQL list exactly as SQLite does, whatever locale the database was created with.
-- A later migration that adds a name column listed in order should add it here.
ALTER TABLE hosts ALTER COLUMN name TYPE VARCHAR(63) COLLATE "C";
ALTER TABLE images ALTER COLUMN name TYPE VARCHAR(63) COLLATE "C";
ALTER TABLE instances ALTER COLUMN name TYPE VARCHAR(63) COLLATE "C";
ALTER TABLE placement_groups ALTER COLUMN name TYPE VARCHAR(63) COLLATE "C";
ALTER TABLE settings ALTER COLUMN name TYPE VARCHAR(63) COLLATE "C";
