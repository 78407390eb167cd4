-- Backup repositories (a directory the hosts reach at the same path) and, per backup this Virga made, what the
-- backed-up instance looked like, so a backup can be restored as a new instance after its instance is gone. The
-- list of backups itself is the repository's (its indexes): it survives the loss of this control plane.
CREATE TABLE backup_repos (
    name       VARCHAR(63) PRIMARY KEY,
    path       TEXT        NOT NULL,
    created_at BIGINT      NOT NULL
);

CREATE TABLE backup_sources (
    backup_id    VARCHAR(128) PRIMARY KEY,
    repo         VARCHAR(63)  NOT NULL,
    instance     VARCHAR(63)  NOT NULL,
    image        VARCHAR(63)  NOT NULL,
    cpus         INTEGER      NOT NULL,
    memory_bytes BIGINT       NOT NULL,
    disk_bytes   BIGINT       NOT NULL,
    created_at   BIGINT       NOT NULL
);

-- Scheduled backups: one schedule per instance; the leader starts a backup when next_at has passed.
CREATE TABLE backup_schedules (
    instance      VARCHAR(63) PRIMARY KEY,
    repo          VARCHAR(63) NOT NULL,
    every_seconds BIGINT      NOT NULL,
    keep_last     INTEGER     NOT NULL,
    next_at       BIGINT      NOT NULL,
    last_result   TEXT        NOT NULL
);
