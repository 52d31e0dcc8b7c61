-- npass schema 18 (postgres): the organisation an e-signature login's organisation certificate
-- names (its organizationIdentifier and name, as JSON), kept with the session so SAML services
-- receive MPass's IDNO and CompanyName. Older nodes neither write nor read it: their sessions
-- carry no organisation. Keep in step with ../sqlite/0018_session_organization.sql.
ALTER TABLE sessions ADD COLUMN organization TEXT;
