-- npass schema 1 (PostgreSQL). Keep in step with ../sqlite/0001_init.sql.
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    national_id TEXT NOT NULL UNIQUE,
    scheme TEXT NOT NULL,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT NOT NULL,
    language TEXT NOT NULL,
    assurance TEXT NOT NULL,
    status TEXT NOT NULL,
    password_hash TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE email_tokens (
    token_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX email_tokens_account ON email_tokens (account_id);
CREATE TABLE totp_credentials (
    account_id TEXT PRIMARY KEY,
    sealed_secret BYTEA NOT NULL,
    last_step BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE totp_pending (
    account_id TEXT PRIMARY KEY,
    sealed_secret BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE recovery_codes (
    account_id TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (account_id, code_hash)
);
CREATE TABLE throttles (
    throttle_key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL
);
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    level TEXT NOT NULL,
    amr TEXT NOT NULL,
    auth_time BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    idle_expires_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
CREATE TABLE audit (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    account_id TEXT,
    ip TEXT,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_account ON audit (account_id, seq);
CREATE TABLE mail_outbox (
    id TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    to_addr TEXT NOT NULL,
    language TEXT NOT NULL,
    kind TEXT NOT NULL,
    params TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    claimed_until BIGINT NOT NULL
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at);
