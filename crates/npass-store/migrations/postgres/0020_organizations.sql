-- npass schema 20 (postgres): organisations and the people who act for them (design note 0019).
-- An organisation is known by its ETSI organizationIdentifier (NTRMD-<IDNO>), the same string an
-- organisation's certificate carries; its members are administrators (who name the others) and
-- representatives (with roles in the organisation and an optional end, compared with "now" in
-- every query). Withdrawing deletes the row; its history is the audit trail's. Older nodes read
-- none of it. Keep in step with ../sqlite/0020_organizations.sql.
CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL,
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE org_members (
    org_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    roles TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    expires_at BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, account_id)
);
CREATE INDEX org_members_account ON org_members (account_id);
