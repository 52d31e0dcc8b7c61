-- npass schema 21 (sqlite): mandates and the contexts citizens chose at login (design note 0019).
-- A mandate lets its representative log in for its mandator at the e-services it names (space
-- separated client ids) until expires_at, compared with "now" in every query; it is offered,
-- then accepted by the representative; ending deletes it (its history is the audit trail's).
-- acting_choices remembers, per citizen and e-service, whom they last logged in for. The
-- context a parked request, code or grant carries is inside their JSON records. Older nodes
-- read none of it. Keep in step with ../postgres/0021_mandates.sql.
CREATE TABLE mandates (
    id TEXT PRIMARY KEY,
    mandator TEXT NOT NULL,
    representative TEXT NOT NULL,
    services TEXT NOT NULL,
    state TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX mandates_mandator ON mandates (mandator);
CREATE INDEX mandates_representative ON mandates (representative);
CREATE INDEX mandates_expiry ON mandates (expires_at);
CREATE TABLE acting_choices (
    account_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    choice TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, client_id)
);
