-- npass schema 11 (sqlite): a signing key's public part also as a self-signed X.509 certificate
-- (DER), for protocols that publish keys so (SAML metadata). Empty for keys made before; they get
-- one on first need. Older nodes do not read it. Keep in step with
-- ../postgres/0011_key_certificates.sql.
ALTER TABLE signing_keys ADD COLUMN certificate BLOB;
