-- npass schema 1 (SQLite). Keep in step with ../postgres/0001_init.sql.
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
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE email_tokens (
    token_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX email_tokens_account ON email_tokens (account_id);
CREATE TABLE totp_credentials (
    account_id TEXT PRIMARY KEY,
    sealed_secret BLOB NOT NULL,
    last_step INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE totp_pending (
    account_id TEXT PRIMARY KEY,
    sealed_secret BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE recovery_codes (
    account_id TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    used_at INTEGER,
    PRIMARY KEY (account_id, code_hash)
);
CREATE TABLE throttles (
    throttle_key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL
);
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    level TEXT NOT NULL,
    amr TEXT NOT NULL,
    auth_time INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    idle_expires_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
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
    created_at INTEGER NOT NULL,
    to_addr TEXT NOT NULL,
    language TEXT NOT NULL,
    kind TEXT NOT NULL,
    params TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    claimed_until INTEGER NOT NULL
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at);
