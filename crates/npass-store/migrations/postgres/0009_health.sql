-- npass schema 9 (postgres): the readiness probe's row. /readyz commits a write to it, so a node
-- whose database cannot write (disk full, read-only, locked) is not ready. Keep in step with
-- ../sqlite/0009_health.sql.
CREATE TABLE npass_health (
    id BIGINT PRIMARY KEY,
    at BIGINT NOT NULL
);
