-- npass schema 7 (sqlite): a refresh's audit row stays out of the citizen's history index (design
-- note 0007), so a refresh no longer writes a leaf of that index at random. The history's query
-- repeats the condition. Keep in step with ../postgres/0007_refresh_audit.sql.
DROP INDEX audit_account;
CREATE INDEX audit_account ON audit (account_id, seq) WHERE kind <> 'oidc.tokens-refreshed';
