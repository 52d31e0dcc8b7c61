-- npass schema 10 (sqlite): login transactions kept between requests, and the cross-device
-- challenge that any method's other device answers (design note 0010). The e-signature
-- challenges of schema 3 move here; their old table stays for nodes still on schema 9 during a
-- rolling upgrade (their waiting challenges live two minutes) and goes in a later schema. Keep in
-- step with ../postgres/0010_login_transactions.sql.
CREATE TABLE login_transactions (
    id_hash TEXT PRIMARY KEY,
    browser_hash TEXT NOT NULL,
    account_id TEXT,
    factors TEXT NOT NULL,
    settle TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX login_transactions_expiry ON login_transactions (expires_at);
CREATE TABLE challenges (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    nonce_hash TEXT NOT NULL,
    browser_hash TEXT NOT NULL,
    login TEXT NOT NULL,
    state TEXT NOT NULL,
    detail TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    settled_at BIGINT
);
CREATE INDEX challenges_expiry ON challenges (expires_at);
