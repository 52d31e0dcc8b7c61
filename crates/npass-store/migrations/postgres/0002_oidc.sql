-- npass schema 2 (PostgreSQL): OpenID Connect. Keep in step with ../sqlite/0002_oidc.sql.
-- Records the core reads whole are kept as JSON text; the columns beside them are the ones
-- queries select or update on.
CREATE TABLE eservices (
    client_id TEXT PRIMARY KEY,
    record TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    sealed_private BYTEA NOT NULL,
    public_jwk TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retire_at BIGINT
);
CREATE TABLE auth_requests (
    id TEXT PRIMARY KEY,
    record TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE TABLE auth_codes (
    code_hash TEXT PRIMARY KEY,
    record TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE TABLE access_tokens (
    jti TEXT PRIMARY KEY,
    code_hash TEXT NOT NULL,
    client_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    session_hash TEXT NOT NULL,
    record TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
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
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_hash);
CREATE INDEX refresh_tokens_account ON refresh_tokens (account_id);
CREATE INDEX access_tokens_account ON access_tokens (account_id);
CREATE TABLE consents (
    account_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, client_id)
);
CREATE TABLE backchannel_outbox (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    uri TEXT NOT NULL,
    logout_token TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    claimed_until BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX backchannel_outbox_due ON backchannel_outbox (next_attempt_at);
CREATE TABLE client_assertions (
    client_id TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (client_id, jti)
);
