-- One-use tokens a new host presents to join, and the secret each joined host re-registers with.
CREATE TABLE join_tokens (
    token_hash VARCHAR(64) PRIMARY KEY,
    created_at BIGINT      NOT NULL,
    expires_at BIGINT      NOT NULL,
    used_by    VARCHAR(63) NOT NULL DEFAULT ''
);
ALTER TABLE hosts ADD COLUMN secret_hash VARCHAR(64) NOT NULL DEFAULT '';
