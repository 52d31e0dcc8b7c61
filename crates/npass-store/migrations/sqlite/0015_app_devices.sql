-- npass schema 15 (sqlite): the npass app (design note 0015). A passkey the app made is the
-- account's *device*; each device holds at most one app grant: an access token and a rotating
-- refresh token (digests only), the previous refresh digest to spot a replay, and when the
-- device key last unlocked it. Older nodes read neither. Keep in step with
-- ../postgres/0015_app_devices.sql.
ALTER TABLE passkeys ADD COLUMN device INTEGER NOT NULL DEFAULT 0;
CREATE TABLE app_grants (
    credential_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    access_hash TEXT NOT NULL UNIQUE,
    access_expires_at INTEGER NOT NULL,
    refresh_hash TEXT NOT NULL UNIQUE,
    previous_refresh_hash TEXT,
    unlocked_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX app_grants_account ON app_grants (account_id);
CREATE INDEX app_grants_previous ON app_grants (previous_refresh_hash);
-- Requests without scanning: a QR login sent to an account's devices, listed by the app until
-- its challenge expires (then swept with it).
CREATE TABLE app_requests (
    challenge_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX app_requests_account ON app_requests (account_id, expires_at);
-- Web Push: where a device's push service takes its notifications (RFC 8030), and the keys
-- that encrypt them for it (RFC 8291). Deleted with the device.
CREATE TABLE app_push (
    credential_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX app_push_account ON app_push (account_id);
-- Profile pictures: the re-encoded image (JPEG), one per account.
CREATE TABLE account_pictures (
    account_id TEXT PRIMARY KEY,
    image BLOB NOT NULL,
    updated_at INTEGER NOT NULL
);
