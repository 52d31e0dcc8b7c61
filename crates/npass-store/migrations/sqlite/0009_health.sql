-- npass schema 9 (sqlite): the readiness probe's row. /readyz commits a write to it, so a node
-- whose database cannot write (disk full, read-only, locked) is not ready. Keep in step with
-- ../postgres/0009_health.sql.
CREATE TABLE npass_health (
    id INTEGER PRIMARY KEY,
    at BIGINT NOT NULL
);
