-- npass schema 12 (postgres): emailed password-reset links (only their SHA-256 is kept); the
-- browser and address a session was started from, for the citizen's list of sessions (design
-- note 0011); a registration that replaces an unconfirmed one once its own email is confirmed
-- (design note 0012); a new email address waiting for its confirmation. Older nodes neither
-- read nor write them (their sessions show no device, and they know no replacement or email
-- change link: it confirms nothing there). Keep in step with ../sqlite/0012_self_service.sql.
CREATE TABLE reset_tokens (
    token_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX reset_tokens_account ON reset_tokens (account_id);
CREATE INDEX reset_tokens_expiry ON reset_tokens (expires_at);
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN ip TEXT NOT NULL DEFAULT '';
CREATE TABLE registration_replacements (
    token_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    profile TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX registration_replacements_account ON registration_replacements (account_id);
CREATE INDEX accounts_pending ON accounts (status, created_at);
CREATE TABLE email_changes (
    token_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    new_email TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX email_changes_account ON email_changes (account_id);
