-- npass schema 13 (postgres): passkeys (WebAuthn credentials, design note 0014): the library's
-- serialised credential with what the pages show (name, authenticator model, backup state) and
-- what the rules need (attested, signature counter, last use). Older nodes do not read it.
-- Keep in step with ../sqlite/0013_passkeys.sql.
CREATE TABLE passkeys (
    credential_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    passkey TEXT NOT NULL,
    aaguid TEXT NOT NULL,
    attested BIGINT NOT NULL,
    backup_eligible BIGINT NOT NULL,
    backed_up BIGINT NOT NULL,
    sign_count BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX passkeys_account ON passkeys (account_id);
