-- npass schema 8 (sqlite): a session names the chain its e-service grants are filed under (the first
-- session of the browser's run of logins by one citizen), so a re-login or step-up in the same
-- browser keeps the earlier e-services for logout. Empty: the session's own id_hash (rows of
-- older nodes). Keep in step with ../postgres/0008_session_chain.sql.
ALTER TABLE sessions ADD COLUMN chain TEXT NOT NULL DEFAULT '';
