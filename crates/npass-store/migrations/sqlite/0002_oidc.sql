-- npass schema 2 (SQLite): OpenID Connect. Keep in step with ../postgres/0002_oidc.sql.
-- Records the core reads whole are kept as JSON text; the columns beside them are the ones
-- queries select or update on.
CREATE TABLE eservices (
    client_id TEXT PRIMARY KEY,
    record TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    sealed_private BLOB NOT NULL,
    public_jwk TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    retire_at INTEGER
);
CREATE TABLE auth_requests (
    id TEXT PRIMARY KEY,
    record TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE auth_codes (
    code_hash TEXT PRIMARY KEY,
    record TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE TABLE access_tokens (
    jti TEXT PRIMARY KEY,
    code_hash TEXT NOT NULL,
    client_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    session_hash TEXT NOT NULL,
    record TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX access_tokens_code ON access_tokens (code_hash);
CREATE INDEX access_tokens_session ON access_tokens (session_hash);
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family TEXT NOT NULL,
    client_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    session_hash TEXT NOT NULL,
    record TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    revoked_at INTEGER
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_hash);
CREATE INDEX refresh_tokens_account ON refresh_tokens (account_id);
CREATE INDEX access_tokens_account ON access_tokens (account_id);
CREATE TABLE consents (
    account_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, client_id)
);
CREATE TABLE backchannel_outbox (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    uri TEXT NOT NULL,
    logout_token TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    claimed_until INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX backchannel_outbox_due ON backchannel_outbox (next_attempt_at);
CREATE TABLE client_assertions (
    client_id TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (client_id, jti)
);
