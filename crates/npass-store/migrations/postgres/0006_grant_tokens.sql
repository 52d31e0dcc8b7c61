-- npass schema 6 (postgres): a refresh token's row holds only the token; what every token of a
-- grant shares is stored once with the grant (design note 0006). Keep in step with
-- ../sqlite/0006_grant_tokens.sql.
ALTER TABLE grants ADD COLUMN terms TEXT;
CREATE TABLE grant_tokens (
    token_hash TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL,
    idle_expires_at BIGINT NOT NULL,
    used_at BIGINT
);
-- A schema 5 record holds the terms among other fields (the newest token's record). The index
-- lasts only this migration: without it each grant's lookup would read the whole table.
CREATE INDEX grant_refresh_by_grant ON grant_refresh (grant_id, token_hash);
UPDATE grants SET terms = (SELECT r.record FROM grant_refresh r WHERE r.grant_id = grants.id
    ORDER BY r.token_hash DESC LIMIT 1);
DROP INDEX grant_refresh_by_grant;
-- Spent tokens too, so presenting one again still revokes its grant.
INSERT INTO grant_tokens (token_hash, grant_id, idle_expires_at, used_at)
-- dialect: the next line reads JSON in this database's own way.
    SELECT token_hash, grant_id, (record::jsonb ->> 'idle_expires_at')::BIGINT, used_at
    FROM grant_refresh;
DELETE FROM grant_refresh;
