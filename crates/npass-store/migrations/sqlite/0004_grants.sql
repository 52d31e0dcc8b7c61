-- npass schema 4 (sqlite): revocation by grant (design note 0005). Keep in step with
-- ../postgres/0004_grants.sql.
-- A grant is what one code redemption started; only it is indexed by session and account.
CREATE TABLE grants (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    session_hash TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX grants_session ON grants (session_hash);
CREATE INDEX grants_account ON grants (account_id, client_id);
-- Refresh tokens: keys are time-ordered, so new rows append; no secondary index.
CREATE TABLE grant_refresh (
    token_hash TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL,
    record TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
-- Access tokens are not stored; one revoked on its own (RFC 7009) is listed until it expires.
CREATE TABLE revoked_access (
    jti TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
-- The live grants of schema 2 carry over (refresh_tokens is left as it is, unused).
INSERT INTO grants (id, client_id, account_id, session_hash, expires_at, revoked_at)
    SELECT family, MIN(client_id), MIN(account_id), MIN(session_hash), MAX(expires_at), NULL
    FROM refresh_tokens WHERE revoked_at IS NULL GROUP BY family;
INSERT INTO grant_refresh (token_hash, grant_id, record, expires_at, used_at)
    SELECT token_hash, family, record, expires_at, used_at
    FROM refresh_tokens WHERE revoked_at IS NULL;
