-- Cluster placement: host modes and labels, disk and actual memory, placement groups, cluster settings, and one
-- row every placement locks so two servers never hand out the same capacity twice.
ALTER TABLE hosts ADD COLUMN mode VARCHAR(16) NOT NULL DEFAULT 'active';
ALTER TABLE hosts ADD COLUMN labels_json TEXT NOT NULL DEFAULT '{}';
ALTER TABLE hosts ADD COLUMN disk_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE hosts ADD COLUMN disk_free_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE hosts ADD COLUMN memory_available_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE instances ADD COLUMN group_name VARCHAR(63) NOT NULL DEFAULT '';
ALTER TABLE instances ADD COLUMN placement_json TEXT NOT NULL DEFAULT '{}';
-- the host a cold move is copying the instance to (it holds resources there too until the move ends)
ALTER TABLE instances ADD COLUMN moving_to VARCHAR(63) NOT NULL DEFAULT '';
CREATE TABLE placement_groups (
    name       VARCHAR(63) PRIMARY KEY,
    policy     VARCHAR(16) NOT NULL,
    created_at BIGINT      NOT NULL
);
CREATE TABLE settings (
    name          VARCHAR(63) PRIMARY KEY,
    setting_value TEXT        NOT NULL
);
CREATE TABLE placement_lock (
    id      INTEGER PRIMARY KEY,
    version BIGINT  NOT NULL
);
INSERT INTO placement_lock (id, version) VALUES (1, 0);
