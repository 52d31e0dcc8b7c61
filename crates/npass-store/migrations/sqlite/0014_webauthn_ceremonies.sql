-- npass schema 14 (sqlite): WebAuthn ceremonies under way (design note 0014): the challenge and
-- what the finish checks, bound to the browser (and to the account for a registration or a
-- second factor); deleted by the finish that reads them, or by the sweep once expired.
-- Keep in step with ../postgres/0014_webauthn_ceremonies.sql.
CREATE TABLE webauthn_ceremonies (
    id_hash TEXT PRIMARY KEY,
    browser_hash TEXT NOT NULL,
    account_id TEXT,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX webauthn_ceremonies_expiry ON webauthn_ceremonies (expires_at);
