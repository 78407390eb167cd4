-- Times are epoch milliseconds so the same migration runs on SQLite and PostgreSQL.
CREATE TABLE hosts (
    name               VARCHAR(63) PRIMARY KEY,
    url                TEXT        NOT NULL,
    token              TEXT        NOT NULL,
    state              VARCHAR(16) NOT NULL,
    cpus               INTEGER     NOT NULL DEFAULT 0,
    memory_bytes       BIGINT      NOT NULL DEFAULT 0,
    arch               TEXT        NOT NULL DEFAULT '',
    accelerator        TEXT        NOT NULL DEFAULT '',
    accelerator_reason TEXT        NOT NULL DEFAULT '',
    qemu_version       TEXT        NOT NULL DEFAULT '',
    last_seen          BIGINT      NOT NULL DEFAULT 0
);

CREATE TABLE images (
    name         VARCHAR(63) PRIMARY KEY,
    fingerprint  VARCHAR(64) NOT NULL,
    format       VARCHAR(16) NOT NULL,
    virtual_size BIGINT      NOT NULL,
    file_size    BIGINT      NOT NULL,
    os           TEXT        NOT NULL,
    source       TEXT        NOT NULL,
    boots_kernel BOOLEAN     NOT NULL,
    host         VARCHAR(63) NOT NULL,
    created_at   BIGINT      NOT NULL
);

CREATE TABLE instances (
    name              VARCHAR(63) PRIMARY KEY,
    image             VARCHAR(63) NOT NULL,
    image_fingerprint VARCHAR(64) NOT NULL,
    host              VARCHAR(63) NOT NULL DEFAULT '',
    state             VARCHAR(16) NOT NULL,
    reason            TEXT        NOT NULL DEFAULT '',
    cpus              INTEGER     NOT NULL,
    memory_bytes      BIGINT      NOT NULL,
    disk_bytes        BIGINT      NOT NULL,
    accelerator       TEXT        NOT NULL DEFAULT '',
    launch_ms         BIGINT      NOT NULL DEFAULT 0,
    guest_json        TEXT        NOT NULL DEFAULT '',
    created_at        BIGINT      NOT NULL,
    updated_at        BIGINT      NOT NULL
);

CREATE TABLE operations (
    id          VARCHAR(36) PRIMARY KEY,
    kind        VARCHAR(32) NOT NULL,
    target      TEXT        NOT NULL,
    status      VARCHAR(16) NOT NULL,
    progress    TEXT        NOT NULL DEFAULT '',
    error       TEXT        NOT NULL DEFAULT '',
    result_json TEXT        NOT NULL DEFAULT '{}',
    created_at  BIGINT      NOT NULL,
    updated_at  BIGINT      NOT NULL
);
CREATE INDEX operations_target ON operations (target, status);

CREATE TABLE events (
    id           BIGINT PRIMARY KEY,
    at           BIGINT      NOT NULL,
    type         VARCHAR(48) NOT NULL,
    target       TEXT        NOT NULL,
    message      TEXT        NOT NULL,
    details_json TEXT        NOT NULL DEFAULT '{}'
);
