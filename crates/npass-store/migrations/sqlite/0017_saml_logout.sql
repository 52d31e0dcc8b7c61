-- npass schema 17 (sqlite): SAML single logout (design note 0017). A logout begun by a service's
-- LogoutRequest waits here for the browser's session (stage 'asked'), then runs (stage
-- 'running') while the browser carries npass's LogoutRequests to the session's other services;
-- each of those is a notice, answered once ('pending' -> 'done' or 'failed'). Rows live
-- minutes; older nodes read none of it. Keep in step with ../postgres/0017_saml_logout.sql.
CREATE TABLE saml_logouts (
    id TEXT PRIMARY KEY,
    stage TEXT NOT NULL,
    record TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX saml_logouts_expiry ON saml_logouts (expires_at);
CREATE TABLE saml_logout_notices (
    request_id TEXT PRIMARY KEY,
    logout_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    record TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX saml_logout_notices_logout ON saml_logout_notices (logout_id);
CREATE INDEX saml_logout_notices_expiry ON saml_logout_notices (expires_at);
