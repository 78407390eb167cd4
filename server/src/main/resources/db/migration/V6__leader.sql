-- Several servers on one PostgreSQL store: the one holding the leader lock records its URL here, so that the
-- standbys can name it. At most one row (id = 1). (V6, not V5: V5 is taken by other work.)
CREATE TABLE leader (
    id    INTEGER PRIMARY KEY,
    url   TEXT    NOT NULL,
    since BIGINT  NOT NULL
);
