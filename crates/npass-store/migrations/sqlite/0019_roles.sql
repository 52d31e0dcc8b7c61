-- npass schema 19 (sqlite): e-service roles (design note 0019). An e-service declares its roles;
-- its administrators (citizens, by account) grant them to citizens, each grant with an optional
-- end date that every query compares with its own "now" (so every node agrees at that instant;
-- nothing is swept into a delete). Withdrawing deletes the grant; its history is the audit
-- trail's. Older nodes read none of it. Keep in step with ../postgres/0019_roles.sql.
CREATE TABLE eservice_roles (
    client_id TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (client_id, role)
);
CREATE TABLE eservice_admins (
    client_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (client_id, account_id)
);
CREATE INDEX eservice_admins_account ON eservice_admins (account_id);
CREATE TABLE role_grants (
    client_id TEXT NOT NULL,
    role TEXT NOT NULL,
    account_id TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    expires_at INTEGER,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (client_id, account_id, role)
);
CREATE INDEX role_grants_account ON role_grants (account_id);
