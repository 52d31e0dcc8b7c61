-- npass schema 3 (sqlite): e-signature login challenges (design note 0004). Keep in step with
-- ../postgres/0003_esign.sql.
CREATE TABLE esign_challenges (
    id TEXT PRIMARY KEY,
    nonce_hash TEXT NOT NULL,
    browser_hash TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    outcome TEXT NOT NULL,
    settled_at INTEGER
);
