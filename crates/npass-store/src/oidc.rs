//! OpenID Connect state. Whole records the core reads at once are JSON text.

use async_trait::async_trait;
use npass_core::error::{Error, Result};
use npass_core::model::AuditEvent;
use npass_core::oidc::jwt::SigningKey;
use npass_core::oidc::{
    AuthCode, AuthRequest, BackchannelNotice, ConsentRecord, EService, Redeemed, RefreshRecord,
    Rotated, TokenRecord, join_scope, split_scope,
};
use npass_core::store::OidcStore;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::Row;

use crate::{SqlStore, append_audit, commit, db, finish};

fn to_json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Internal(e.to_string()))
}

fn from_json<T: DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| Error::Internal(format!("stored record: {e}")))
}

#[async_trait]
impl OidcStore for SqlStore {
    async fn eservice_create(&self, e: &EService, audit: &AuditEvent, now: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        let r = sqlx::query(
            "INSERT INTO eservices (client_id, record, created_at, updated_at) VALUES ($1, $2, $3, $3) \
             ON CONFLICT (client_id) DO NOTHING",
        )
        .bind(&e.client_id)
        .bind(to_json(e)?)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if r.rows_affected() == 0 {
            return Err(Error::Conflict("eservice-exists"));
        }
        finish(tx, audit, None, now).await
    }

    async fn eservice(&self, client_id: &str) -> Result<Option<EService>> {
        let row = sqlx::query("SELECT record FROM eservices WHERE client_id = $1")
            .bind(client_id)
            .fetch_optional(self.pool())
            .await
            .map_err(db)?;
        row.map(|r| from_json(&r.try_get::<String, _>(0).map_err(db)?))
            .transpose()
    }

    async fn eservices(&self) -> Result<Vec<EService>> {
        let rows = sqlx::query("SELECT record FROM eservices ORDER BY created_at, client_id")
            .fetch_all(self.pool())
            .await
            .map_err(db)?;
        rows.iter()
            .map(|r| from_json(&r.try_get::<String, _>(0).map_err(db)?))
            .collect()
    }

    async fn eservice_update(&self, e: &EService, audit: &AuditEvent, now: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        let r =
            sqlx::query("UPDATE eservices SET record = $2, updated_at = $3 WHERE client_id = $1")
                .bind(&e.client_id)
                .bind(to_json(e)?)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        if r.rows_affected() == 0 {
            return Err(Error::NotFound);
        }
        finish(tx, audit, None, now).await
    }

    async fn signing_keys(&self) -> Result<Vec<SigningKey>> {
        let rows = sqlx::query(
            "SELECT kid, alg, sealed_private, public_jwk, created_at, retire_at FROM signing_keys ORDER BY created_at",
        )
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(SigningKey {
                    kid: r.try_get(0).map_err(db)?,
                    alg: r.try_get(1).map_err(db)?,
                    sealed_private: r.try_get(2).map_err(db)?,
                    public_jwk: from_json(&r.try_get::<String, _>(3).map_err(db)?)?,
                    created_at: r.try_get(4).map_err(db)?,
                    retire_at: r.try_get(5).map_err(db)?,
                })
            })
            .collect()
    }

    async fn signing_key_add(&self, k: &SigningKey, audit: &AuditEvent, now: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO signing_keys (kid, alg, sealed_private, public_jwk, created_at, retire_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&k.kid)
        .bind(&k.alg)
        .bind(k.sealed_private.clone())
        .bind(k.public_jwk.to_string())
        .bind(k.created_at)
        .bind(k.retire_at)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        finish(tx, audit, None, now).await
    }

    async fn signing_key_retire(
        &self,
        kid: &str,
        at: i64,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let r = sqlx::query("UPDATE signing_keys SET retire_at = $2 WHERE kid = $1")
            .bind(kid)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        if r.rows_affected() == 0 {
            return Err(Error::NotFound);
        }
        finish(tx, audit, None, now).await
    }

    async fn auth_request_put(&self, r: &AuthRequest) -> Result<()> {
        sqlx::query("INSERT INTO auth_requests (id, record, expires_at) VALUES ($1, $2, $3)")
            .bind(&r.id)
            .bind(to_json(r)?)
            .bind(r.expires_at)
            .execute(self.pool())
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn auth_request(&self, id: &str) -> Result<Option<AuthRequest>> {
        let row = sqlx::query("SELECT record FROM auth_requests WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .map_err(db)?;
        row.map(|r| from_json(&r.try_get::<String, _>(0).map_err(db)?))
            .transpose()
    }

    async fn auth_request_delete(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM auth_requests WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn code_put(&self, c: &AuthCode, audit: &AuditEvent, now: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO auth_codes (code_hash, record, expires_at, used_at) VALUES ($1, $2, $3, NULL)")
            .bind(&c.code_hash)
            .bind(to_json(c)?)
            .bind(c.expires_at)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        finish(tx, audit, None, now).await
    }

    async fn code_redeem(&self, code_hash: &str, now: i64) -> Result<Redeemed> {
        let mut tx = self.begin().await?;
        let fresh = sqlx::query("UPDATE auth_codes SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL RETURNING record")
            .bind(code_hash)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        if let Some(r) = fresh {
            let code: AuthCode = from_json(&r.try_get::<String, _>(0).map_err(db)?)?;
            commit(tx).await?;
            return Ok(Redeemed::Fresh(Box::new(code)));
        }
        let seen = sqlx::query("SELECT code_hash FROM auth_codes WHERE code_hash = $1")
            .bind(code_hash)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        if seen.is_none() {
            return Ok(Redeemed::Unknown);
        }
        // A replayed code: whoever holds it may be an attacker; every token it gave is revoked.
        let revoked = revoke(&mut tx, Revoke::Family, code_hash, now).await?;
        let ev = npass_core::audit::event(
            "oidc.code-replayed",
            None,
            None,
            serde_json::json!({"revoked_tokens": revoked}),
        );
        append_audit(&mut tx, &ev, now).await?;
        commit(tx).await?;
        Ok(Redeemed::Replayed)
    }

    async fn token_put(
        &self,
        t: &TokenRecord,
        refresh: Option<&RefreshRecord>,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        insert_tokens(&mut tx, t, refresh).await?;
        finish(tx, audit, None, now).await
    }

    async fn refresh_exchange(
        &self,
        old: &str,
        access: &TokenRecord,
        refresh: &RefreshRecord,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let spent = sqlx::query(
            "UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL",
        )
        .bind(old)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if spent.rows_affected() != 1 {
            return Ok(false);
        }
        insert_tokens(&mut tx, access, Some(refresh)).await?;
        finish(tx, audit, None, now).await?;
        Ok(true)
    }

    async fn refresh_rotate(&self, token_hash: &str, now: i64) -> Result<Rotated> {
        let mut tx = self.begin().await?;
        let fresh = sqlx::query(
            "UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL \
             RETURNING record",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        if let Some(r) = fresh {
            let rec: RefreshRecord = from_json(&r.try_get::<String, _>(0).map_err(db)?)?;
            commit(tx).await?;
            return Ok(Rotated::Fresh(Box::new(rec)));
        }
        let seen = sqlx::query("SELECT family FROM refresh_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        let Some(row) = seen else {
            return Ok(Rotated::Unknown);
        };
        let family: String = row.try_get(0).map_err(db)?;
        revoke(&mut tx, Revoke::Family, &family, now).await?;
        let ev = npass_core::audit::event(
            "oidc.refresh-reused",
            None,
            None,
            serde_json::json!({"family": family}),
        );
        append_audit(&mut tx, &ev, now).await?;
        commit(tx).await?;
        Ok(Rotated::Reused)
    }

    async fn refresh(&self, token_hash: &str, now: i64) -> Result<Option<RefreshRecord>> {
        let row = sqlx::query(
            "SELECT record FROM refresh_tokens WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL \
             AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        row.map(|r| from_json(&r.try_get::<String, _>(0).map_err(db)?))
            .transpose()
    }

    async fn revoke_family(&self, family: &str, audit: &AuditEvent, now: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        revoke(&mut tx, Revoke::Family, family, now).await?;
        finish(tx, audit, None, now).await
    }

    async fn revoke_access_token(&self, jti: &str, audit: &AuditEvent, now: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE access_tokens SET revoked_at = $2 WHERE jti = $1 AND revoked_at IS NULL",
        )
        .bind(jti)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        finish(tx, audit, None, now).await
    }

    async fn token(&self, jti: &str, now: i64) -> Result<Option<TokenRecord>> {
        let row = sqlx::query(
            "SELECT record FROM access_tokens WHERE jti = $1 AND revoked_at IS NULL AND expires_at > $2",
        )
        .bind(jti)
        .bind(now)
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        row.map(|r| from_json(&r.try_get::<String, _>(0).map_err(db)?))
            .transpose()
    }

    async fn consent(&self, account_id: &str, client_id: &str) -> Result<Option<Vec<String>>> {
        let row =
            sqlx::query("SELECT scope FROM consents WHERE account_id = $1 AND client_id = $2")
                .bind(account_id)
                .bind(client_id)
                .fetch_optional(self.pool())
                .await
                .map_err(db)?;
        row.map(|r| Ok(split_scope(&r.try_get::<String, _>(0).map_err(db)?)))
            .transpose()
    }

    async fn assertion_jti_use(
        &self,
        client_id: &str,
        jti: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        // Forget assertions that expired: their jti can no longer be replayed anyway.
        sqlx::query("DELETE FROM client_assertions WHERE expires_at < $1")
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let r = sqlx::query(
            "INSERT INTO client_assertions (client_id, jti, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (client_id, jti) DO NOTHING",
        )
        .bind(client_id)
        .bind(jti)
        .bind(expires_at)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        commit(tx).await?;
        Ok(r.rows_affected() == 1)
    }

    async fn consents_for_account(&self, account_id: &str) -> Result<Vec<ConsentRecord>> {
        let rows = sqlx::query(
            "SELECT client_id, scope, created_at FROM consents WHERE account_id = $1 ORDER BY created_at, client_id",
        )
        .bind(account_id)
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(ConsentRecord {
                    client_id: r.try_get(0).map_err(db)?,
                    scope: split_scope(&r.try_get::<String, _>(1).map_err(db)?),
                    created_at: r.try_get(2).map_err(db)?,
                })
            })
            .collect()
    }

    async fn consent_withdraw(
        &self,
        account_id: &str,
        client_id: &str,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let r = sqlx::query("DELETE FROM consents WHERE account_id = $1 AND client_id = $2")
            .bind(account_id)
            .bind(client_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        if r.rows_affected() == 0 {
            return Err(Error::NotFound);
        }
        for sql in [
            "UPDATE access_tokens SET revoked_at = $3 WHERE account_id = $1 AND client_id = $2 AND revoked_at IS NULL",
            "UPDATE refresh_tokens SET revoked_at = $3 WHERE account_id = $1 AND client_id = $2 AND revoked_at IS NULL",
        ] {
            sqlx::query(sql)
                .bind(account_id)
                .bind(client_id)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        finish(tx, audit, None, now).await
    }

    async fn session_clients(&self, session_hash: &str) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT client_id FROM access_tokens WHERE session_hash = $1 \
             UNION SELECT client_id FROM refresh_tokens WHERE session_hash = $1",
        )
        .bind(session_hash)
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| r.try_get::<String, _>(0).map_err(db))
            .collect()
    }

    async fn backchannel_enqueue(&self, notices: &[BackchannelNotice], now: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        for n in notices {
            sqlx::query(
                "INSERT INTO backchannel_outbox (id, client_id, uri, logout_token, attempts, next_attempt_at, \
                 claimed_until, created_at) VALUES ($1, $2, $3, $4, 0, $5, 0, $5)",
            )
            .bind(&n.id)
            .bind(&n.client_id)
            .bind(&n.uri)
            .bind(&n.logout_token)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        commit(tx).await
    }

    async fn backchannel_claim(
        &self,
        now: i64,
        lease_ms: i64,
    ) -> Result<Option<BackchannelNotice>> {
        let row = sqlx::query(
            "UPDATE backchannel_outbox SET claimed_until = $2, attempts = attempts + 1 WHERE id = \
             (SELECT id FROM backchannel_outbox WHERE next_attempt_at <= $1 AND claimed_until <= $1 \
              ORDER BY created_at, id LIMIT 1) AND claimed_until <= $1 \
             RETURNING id, client_id, uri, logout_token, attempts",
        )
        .bind(now)
        .bind(now + lease_ms)
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        row.map(|r| {
            Ok(BackchannelNotice {
                id: r.try_get(0).map_err(db)?,
                client_id: r.try_get(1).map_err(db)?,
                uri: r.try_get(2).map_err(db)?,
                logout_token: r.try_get(3).map_err(db)?,
                attempts: r.try_get(4).map_err(db)?,
            })
        })
        .transpose()
    }

    async fn backchannel_done(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM backchannel_outbox WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn backchannel_retry(&self, id: &str, at: i64) -> Result<()> {
        sqlx::query(
            "UPDATE backchannel_outbox SET next_attempt_at = $2, claimed_until = 0 WHERE id = $1",
        )
        .bind(id)
        .bind(at)
        .execute(self.pool())
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn consent_put(
        &self,
        account_id: &str,
        client_id: &str,
        scope: &[String],
        audit: &AuditEvent,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO consents (account_id, client_id, scope, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (account_id, client_id) DO UPDATE SET scope = $3, created_at = $4",
        )
        .bind(account_id)
        .bind(client_id)
        .bind(join_scope(scope))
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        finish(tx, audit, None, now).await
    }
}

/// Which tokens a revocation covers.
#[derive(Clone, Copy)]
pub(crate) enum Revoke {
    /// Every token of one grant (its family: the digest of the code that started it).
    Family,
    /// Every token a session's logins gave (logout).
    Session,
    /// Every token of an account (locked by an operator).
    Account,
}

/// Revokes the access and refresh tokens `by` selects, inside `tx`; returns how many.
pub(crate) async fn revoke(tx: &mut crate::Tx, by: Revoke, value: &str, now: i64) -> Result<u64> {
    let statements: [&'static str; 2] = match by {
        Revoke::Family => [
            "UPDATE access_tokens SET revoked_at = $2 WHERE code_hash = $1 AND revoked_at IS NULL",
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE family = $1 AND revoked_at IS NULL",
        ],
        Revoke::Session => [
            "UPDATE access_tokens SET revoked_at = $2 WHERE session_hash = $1 AND revoked_at IS NULL",
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE session_hash = $1 AND revoked_at IS NULL",
        ],
        Revoke::Account => [
            "UPDATE access_tokens SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL",
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL",
        ],
    };
    let mut n = 0;
    for sql in statements {
        n += sqlx::query(sql)
            .bind(value)
            .bind(now)
            .execute(&mut **tx)
            .await
            .map_err(db)?
            .rows_affected();
    }
    Ok(n)
}

/// Inserts an access-token record and, when given, a refresh-token record, inside `tx`.
async fn insert_tokens(
    tx: &mut crate::Tx,
    t: &TokenRecord,
    refresh: Option<&RefreshRecord>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO access_tokens (jti, code_hash, client_id, account_id, session_hash, record, expires_at, \
         revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)",
    )
    .bind(&t.jti)
    .bind(&t.code_hash)
    .bind(&t.client_id)
    .bind(&t.account_id)
    .bind(&t.session_hash)
    .bind(to_json(t)?)
    .bind(t.expires_at)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    if let Some(r) = refresh {
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, family, client_id, account_id, session_hash, record, \
             expires_at, used_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL)",
        )
        .bind(&r.token_hash)
        .bind(&r.family)
        .bind(&r.client_id)
        .bind(&r.account_id)
        .bind(&r.session_hash)
        .bind(to_json(r)?)
        .bind(r.expires_at)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    }
    Ok(())
}
