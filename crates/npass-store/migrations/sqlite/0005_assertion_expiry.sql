-- npass schema 5 (sqlite): every private_key_jwt token request forgets the expired client
-- assertions first; without an index that read the whole table, which holds every assertion of
-- the last few minutes. Keep in step with ../postgres/0005_assertion_expiry.sql.
CREATE INDEX client_assertions_expiry ON client_assertions (expires_at);
