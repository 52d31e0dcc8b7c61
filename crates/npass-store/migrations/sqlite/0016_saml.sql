-- npass schema 16 (sqlite): the SAML identity provider (design note 0016). A SAML service's row
-- in eservices carries its entity id in a column of its own, unique, to find it by a message's
-- issuer. Parked AuthnRequests wait for a login like OpenID Connect's; the IDs of requests
-- (and logout requests) seen are kept per issuer until their time window closes, so a replay
-- is refused on every node; the services a session chain answered are kept for single logout.
-- Older nodes read none of it. Keep in step with ../postgres/0016_saml.sql.
ALTER TABLE eservices ADD COLUMN entity_id TEXT;
CREATE UNIQUE INDEX eservices_entity ON eservices (entity_id);
CREATE TABLE saml_requests (
    id TEXT PRIMARY KEY,
    record TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE saml_seen (
    issuer TEXT NOT NULL,
    message_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (issuer, message_id)
);
CREATE INDEX saml_seen_expiry ON saml_seen (expires_at);
CREATE TABLE saml_participants (
    chain TEXT NOT NULL,
    client_id TEXT NOT NULL,
    name_id TEXT NOT NULL,
    session_index TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (chain, client_id)
);
CREATE INDEX saml_participants_created ON saml_participants (created_at);
