//! OpenID Connect state. Whole records the core reads at once are JSON text.

use async_trait::async_trait;
use npass_core::acting::Acting;
use npass_core::error::{Error, Result};
use npass_core::model::{Amr, AuditEvent, Level};
use npass_core::oidc::jwt::SigningKey;
use npass_core::oidc::{
    AuthCode, AuthRequest, BackchannelNotice, ConsentRecord, GrantRecord, Redeemed, RefreshRecord,
    Rotated, join_scope, split_scope,
};
use npass_core::relying::{EService, SigningAlg};
use npass_core::store::{
    AuthRequestStore, BackchannelStore, ConsentStore, GrantStore, RelyingPartyStore,
    SigningKeyStore,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::db::Row;
use crate::relying::EServiceRecord;
use crate::{SqlStore, append_audit, args, commit, finish, finish_all};

/// Forgets the client assertions that expired (by the expiry index: the table holds every
/// assertion of the last few minutes).
pub(crate) const ASSERTIONS_EXPIRED: &str = "DELETE FROM client_assertions WHERE expires_at < $1";

/// Leases the logout notice that has been due longest, in the due-time index's order (see
/// `MAIL_CLAIM`).
pub(crate) const BACKCHANNEL_CLAIM: &str = "UPDATE backchannel_outbox SET claimed_until = $2, attempts = attempts + 1 WHERE id = \
     (SELECT id FROM backchannel_outbox WHERE next_attempt_at <= $1 AND claimed_until <= $1 \
      ORDER BY next_attempt_at LIMIT 1) AND claimed_until <= $1 \
     RETURNING id, client_id, uri, logout_token, attempts";

/// Spends a refresh token: only once, and only while its grant stands. The grant is looked up
/// by its key (an `IN (SELECT …)` would list every unrevoked grant at each refresh).
pub(crate) const SPEND_REFRESH: &str = "UPDATE grant_tokens SET used_at = $2 WHERE token_hash = $1 \
     AND used_at IS NULL AND EXISTS (SELECT 1 FROM grants g WHERE g.id = grant_tokens.grant_id \
     AND g.revoked_at IS NULL) RETURNING grant_id";

/// A refresh token with its grant's terms (design note 0006), in the order `refresh_view` reads.
macro_rules! token_view {
    () => {
        "SELECT t.token_hash, t.grant_id, g.client_id, g.account_id, g.session_hash, g.terms, \
         t.idle_expires_at, g.expires_at FROM grant_tokens t JOIN grants g ON g.id = t.grant_id \
         WHERE t.token_hash = $1"
    };
}

/// A live refresh token (unspent, its grant unrevoked and unexpired), as `token_view`.
pub(crate) const LIVE_TOKEN: &str = concat!(
    token_view!(),
    " AND t.used_at IS NULL AND g.expires_at > $2 AND g.revoked_at IS NULL"
);

/// What every refresh token of a grant shares, stored once with the grant (`grants.terms`).
/// Schema 5 records carried over hold these among other fields, which are ignored.
#[derive(Serialize, Deserialize)]
struct Terms {
    scope: Vec<String>,
    auth_time: i64,
    level: Level,
    amr: Vec<Amr>,
    /// Whom the grant acts for (schema 21; absent: the person themselves).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    acting: Option<Acting>,
}

/// The refresh record of a `token_view` row; `None` for a grant without terms.
fn refresh_view(r: &Row) -> Result<Option<RefreshRecord>> {
    let Some(terms) = r.col::<Option<String>>("terms")? else {
        return Ok(None);
    };
    let t: Terms = from_json(&terms)?;
    Ok(Some(RefreshRecord {
        token_hash: r.col("token_hash")?,
        family: r.col("grant_id")?,
        client_id: r.col("client_id")?,
        account_id: r.col("account_id")?,
        session_hash: r.col("session_hash")?,
        scope: t.scope,
        auth_time: t.auth_time,
        level: t.level,
        amr: t.amr,
        nonce: String::new(),
        idle_expires_at: r.col("idle_expires_at")?,
        expires_at: r.col("expires_at")?,
        acting: t.acting,
    }))
}

pub(crate) fn to_json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Internal(e.to_string()))
}

pub(crate) fn from_json<T: DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| Error::Internal(format!("stored record: {e}")))
}

#[async_trait]
impl RelyingPartyStore for SqlStore {
    async fn eservice_create(&self, e: &EService, audit: &AuditEvent, now: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        let record = EServiceRecord::from(e);
        if let Some(entity) = record.entity_id()
            && tx
                .opt(
                    "SELECT client_id FROM eservices WHERE entity_id = $1",
                    args![entity],
                )
                .await?
                .is_some()
        {
            return Err(Error::Conflict("entity-exists"));
        }
        let r = tx.exec("INSERT INTO eservices (client_id, record, created_at, updated_at, entity_id) VALUES ($1, $2, $3, $3, $4) \
             ON CONFLICT (client_id) DO NOTHING", args![&e.client_id, to_json(&record)?, now, record.entity_id()]).await?;
        if r == 0 {
            return Err(Error::Conflict("eservice-exists"));
        }
        finish(tx, audit, None, now).await
    }

    async fn eservice(&self, client_id: &str) -> Result<Option<EService>> {
        self.record::<EServiceRecord>(
            "SELECT record FROM eservices WHERE client_id = $1",
            args![client_id],
        )
        .await?
        .map(EServiceRecord::into_eservice)
        .transpose()
    }

    async fn eservice_by_entity(&self, entity_id: &str) -> Result<Option<EService>> {
        self.record::<EServiceRecord>(
            "SELECT record FROM eservices WHERE entity_id = $1",
            args![entity_id],
        )
        .await?
        .map(EServiceRecord::into_eservice)
        .transpose()
    }

    async fn eservices(&self) -> Result<Vec<EService>> {
        let rows = self
            .pool()
            .all(
                "SELECT record FROM eservices ORDER BY created_at, client_id",
                args![],
            )
            .await?;
        rows.iter()
            .map(|r| from_json::<EServiceRecord>(&r.get::<String>(0)?)?.into_eservice())
            .collect()
    }

    async fn eservice_update(&self, e: &EService, audit: &AuditEvent, now: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        let r = tx
            .exec(
                "UPDATE eservices SET record = $2, updated_at = $3 WHERE client_id = $1",
                args![&e.client_id, to_json(&EServiceRecord::from(e))?, now],
            )
            .await?;
        if r == 0 {
            return Err(Error::NotFound);
        }
        finish(tx, audit, None, now).await
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
        tx.exec(ASSERTIONS_EXPIRED, args![now]).await?;
        let r = tx
            .exec(
                "INSERT INTO client_assertions (client_id, jti, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (client_id, jti) DO NOTHING",
                args![client_id, jti, expires_at],
            )
            .await?;
        commit(tx).await?;
        Ok(r == 1)
    }
}

#[async_trait]
impl SigningKeyStore for SqlStore {
    async fn signing_keys(&self) -> Result<Vec<SigningKey>> {
        let rows = self.pool().all("SELECT kid, alg, sealed_private, public_jwk, created_at, retire_at, certificate FROM signing_keys ORDER BY created_at", args![]).await?;
        rows.iter()
            .map(|r| {
                Ok(SigningKey {
                    kid: r.col("kid")?,
                    alg: {
                        let alg = r.col::<String>("alg")?;
                        SigningAlg::parse(&alg).ok_or_else(|| {
                            Error::Internal(format!("signing key of unknown algorithm {alg}"))
                        })?
                    },
                    sealed_private: r.col("sealed_private")?,
                    public_jwk: from_json(&r.col::<String>("public_jwk")?)?,
                    created_at: r.col("created_at")?,
                    retire_at: r.col("retire_at")?,
                    certificate: r.col("certificate")?,
                })
            })
            .collect()
    }

    async fn signing_key_add(&self, k: &SigningKey, audit: &AuditEvent, now: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.exec("INSERT INTO signing_keys (kid, alg, sealed_private, public_jwk, created_at, retire_at, certificate) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)", args![&k.kid, k.alg.as_str(), k.sealed_private.clone(), k.public_jwk.to_string(), k.created_at, k.retire_at, k.certificate.as_deref()]).await?;
        finish(tx, audit, None, now).await
    }

    async fn signing_key_certify(&self, kid: &str, certificate: &[u8]) -> Result<bool> {
        let n = self
            .pool()
            .exec(
                "UPDATE signing_keys SET certificate = $2 WHERE kid = $1 AND certificate IS NULL",
                args![kid, certificate],
            )
            .await?;
        Ok(n == 1)
    }

    async fn signing_key_retire(
        &self,
        kid: &str,
        at: i64,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let r = tx
            .exec(
                "UPDATE signing_keys SET retire_at = $2 WHERE kid = $1",
                args![kid, at],
            )
            .await?;
        if r == 0 {
            return Err(Error::NotFound);
        }
        finish(tx, audit, None, now).await
    }
}

#[async_trait]
impl AuthRequestStore for SqlStore {
    async fn auth_request_put(&self, r: &AuthRequest) -> Result<()> {
        self.pool()
            .exec(
                "INSERT INTO auth_requests (id, record, expires_at) VALUES ($1, $2, $3)",
                args![&r.id, to_json(r)?, r.expires_at],
            )
            .await?;
        Ok(())
    }

    async fn auth_request_update(&self, r: &AuthRequest) -> Result<bool> {
        let n = self
            .pool()
            .exec(
                "UPDATE auth_requests SET record = $2 WHERE id = $1",
                args![&r.id, to_json(r)?],
            )
            .await?;
        Ok(n == 1)
    }

    async fn auth_request(&self, id: &str) -> Result<Option<AuthRequest>> {
        self.record("SELECT record FROM auth_requests WHERE id = $1", args![id])
            .await
    }

    async fn auth_request_delete(&self, id: &str) -> Result<()> {
        self.pool()
            .exec("DELETE FROM auth_requests WHERE id = $1", args![id])
            .await?;
        Ok(())
    }

    async fn code_put(
        &self,
        c: &AuthCode,
        request_id: &str,
        consent: Option<&AuditEvent>,
        audit: &[AuditEvent],
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let consumed = tx
            .exec("DELETE FROM auth_requests WHERE id = $1", args![request_id])
            .await?;
        if consumed != 1 {
            return Err(Error::NotFound);
        }
        if let Some(ev) = consent {
            put_consent(&mut tx, &c.account_id, &c.client_id, &c.scope, now).await?;
            append_audit(&mut tx, ev, now).await?;
        }
        tx.exec("INSERT INTO auth_codes (code_hash, record, expires_at, used_at) VALUES ($1, $2, $3, NULL)", args![&c.code_hash, to_json(c)?, c.expires_at]).await?;
        finish_all(tx, audit, now).await
    }

    async fn code(&self, code_hash: &str) -> Result<Option<AuthCode>> {
        self.record(
            "SELECT record FROM auth_codes WHERE code_hash = $1 AND used_at IS NULL",
            args![code_hash],
        )
        .await
    }

    async fn code_redeem(&self, code_hash: &str, now: i64) -> Result<Redeemed> {
        let mut tx = self.begin().await?;
        let fresh = tx.opt("UPDATE auth_codes SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL RETURNING record", args![code_hash, now]).await?;
        if let Some(r) = fresh {
            let code: AuthCode = from_json(&r.get::<String>(0)?)?;
            commit(tx).await?;
            return Ok(Redeemed::Fresh(Box::new(code)));
        }
        let seen = tx
            .opt(
                "SELECT code_hash FROM auth_codes WHERE code_hash = $1",
                args![code_hash],
            )
            .await?;
        if seen.is_none() {
            return Ok(Redeemed::Unknown);
        }
        // A replayed code: whoever holds it may be an attacker; every token it gave is revoked.
        let revoked = revoke(&mut tx, Revoke::Family, code_hash, now).await?;
        let ev = npass_core::audit::event(
            "oidc.code-replayed",
            None,
            None,
            serde_json::json!({"revoked_grants": revoked}),
        );
        append_audit(&mut tx, &ev, now).await?;
        commit(tx).await?;
        Ok(Redeemed::Replayed)
    }
}

#[async_trait]
impl GrantStore for SqlStore {
    async fn grant_put(
        &self,
        g: &GrantRecord,
        first: &RefreshRecord,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<bool> {
        let terms = Terms {
            scope: first.scope.clone(),
            auth_time: first.auth_time,
            level: first.level,
            amr: first.amr.clone(),
            acting: first.acting.clone(),
        };
        let mut tx = self.begin().await?;
        let spent = tx
            .exec(
                "UPDATE auth_codes SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL",
                args![&g.id, now],
            )
            .await?;
        if spent != 1 {
            return Ok(false);
        }
        insert_grant(&mut tx, g, &to_json(&terms)?).await?;
        insert_token(&mut tx, &first.token_hash, &g.id, first.idle_expires_at).await?;
        finish(tx, audit, None, now).await?;
        Ok(true)
    }

    async fn refresh_exchange(
        &self,
        old: &str,
        new_hash: &str,
        idle_expires_at: i64,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let Some(spent) = tx.opt(SPEND_REFRESH, args![old, now]).await? else {
            return Ok(false);
        };
        let grant: String = spent.get(0)?;
        insert_token(&mut tx, new_hash, &grant, idle_expires_at).await?;
        finish(tx, audit, None, now).await?;
        Ok(true)
    }

    async fn refresh_rotate(&self, token_hash: &str, now: i64) -> Result<Rotated> {
        let mut tx = self.begin().await?;
        if tx
            .opt(SPEND_REFRESH, args![token_hash, now])
            .await?
            .is_some()
        {
            let row = tx.one(token_view!(), args![token_hash]).await?;
            commit(tx).await?;
            return Ok(match refresh_view(&row)? {
                Some(rec) => Rotated::Fresh(Box::new(rec)),
                None => Rotated::Unknown,
            });
        }
        let seen = tx
            .opt(
                "SELECT grant_id FROM grant_tokens WHERE token_hash = $1",
                args![token_hash],
            )
            .await?;
        let Some(row) = seen else {
            return Ok(Rotated::Unknown);
        };
        let family: String = row.get(0)?;
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
        let row = self.pool().opt(LIVE_TOKEN, args![token_hash, now]).await?;
        Ok(row.as_ref().map(refresh_view).transpose()?.flatten())
    }

    async fn revoke_family(&self, family: &str, audit: &AuditEvent, now: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        revoke(&mut tx, Revoke::Family, family, now).await?;
        finish(tx, audit, None, now).await
    }

    async fn revoke_access_token(
        &self,
        jti: &str,
        expires_at: i64,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.exec(
            "INSERT INTO revoked_access (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING",
            args![jti, expires_at],
        )
        .await?;
        finish(tx, audit, None, now).await
    }

    async fn oidc_sweep(
        &self,
        requests_before: &str,
        grants_before: &str,
        now: i64,
    ) -> Result<u64> {
        // Keys lead with their time, so each delete walks only the old end of its primary key;
        // the expiry test keeps anything still valid (and keys made before that scheme).
        let mut tx = self.begin().await?;
        let mut n = 0;
        for (sql, before) in [
            (
                "DELETE FROM auth_requests WHERE id < $1 AND expires_at < $2",
                requests_before,
            ),
            (
                "DELETE FROM auth_codes WHERE code_hash < $1 AND expires_at < $2",
                requests_before,
            ),
            (
                "DELETE FROM grant_tokens WHERE token_hash < $1 AND idle_expires_at < $2",
                grants_before,
            ),
            (
                "DELETE FROM grants WHERE id < $1 AND expires_at < $2",
                grants_before,
            ),
        ] {
            n += tx.exec(sql, args![before, now]).await?;
        }
        n += tx
            .exec(
                "DELETE FROM revoked_access WHERE expires_at < $1",
                args![now],
            )
            .await?;
        commit(tx).await?;
        Ok(n)
    }

    async fn access_grant(
        &self,
        grant_id: &str,
        jti: &str,
        now: i64,
    ) -> Result<Option<GrantRecord>> {
        let row = self
            .pool()
            .opt(
                "SELECT id, client_id, account_id, session_hash, expires_at FROM grants \
                 WHERE id = $1 AND revoked_at IS NULL AND expires_at > $3 \
                 AND NOT EXISTS (SELECT 1 FROM revoked_access WHERE jti = $2)",
                args![grant_id, jti, now],
            )
            .await?;
        row.map(|r| {
            Ok(GrantRecord {
                id: r.col("id")?,
                client_id: r.col("client_id")?,
                account_id: r.col("account_id")?,
                session_hash: r.col("session_hash")?,
                expires_at: r.col("expires_at")?,
            })
        })
        .transpose()
    }

    async fn session_clients(&self, session_hash: &str) -> Result<Vec<String>> {
        let rows = self
            .pool()
            .all(
                "SELECT DISTINCT client_id FROM grants WHERE session_hash = $1",
                args![session_hash],
            )
            .await?;
        rows.iter().map(|r| r.get::<String>(0)).collect()
    }
}

#[async_trait]
impl ConsentStore for SqlStore {
    async fn consent(&self, account_id: &str, client_id: &str) -> Result<Option<Vec<String>>> {
        let row = self
            .pool()
            .opt(
                "SELECT scope FROM consents WHERE account_id = $1 AND client_id = $2",
                args![account_id, client_id],
            )
            .await?;
        row.map(|r| Ok(split_scope(&r.get::<String>(0)?)))
            .transpose()
    }

    async fn consents_for_account(&self, account_id: &str) -> Result<Vec<ConsentRecord>> {
        let rows = self.pool().all("SELECT client_id, scope, created_at FROM consents WHERE account_id = $1 ORDER BY created_at, client_id", args![account_id]).await?;
        rows.iter()
            .map(|r| {
                Ok(ConsentRecord {
                    client_id: r.col("client_id")?,
                    scope: split_scope(&r.col::<String>("scope")?),
                    created_at: r.col("created_at")?,
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
        let r = tx
            .exec(
                "DELETE FROM consents WHERE account_id = $1 AND client_id = $2",
                args![account_id, client_id],
            )
            .await?;
        if r == 0 {
            return Err(Error::NotFound);
        }
        tx.exec("UPDATE grants SET revoked_at = $3 WHERE account_id = $1 AND client_id = $2 AND revoked_at IS NULL", args![account_id, client_id, now]).await?;
        finish(tx, audit, None, now).await
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
        put_consent(&mut tx, account_id, client_id, scope, now).await?;
        finish(tx, audit, None, now).await
    }
}

#[async_trait]
impl BackchannelStore for SqlStore {
    async fn backchannel_enqueue(&self, notices: &[BackchannelNotice], now: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        for n in notices {
            tx.exec("INSERT INTO backchannel_outbox (id, client_id, uri, logout_token, attempts, next_attempt_at, \
                 claimed_until, created_at) VALUES ($1, $2, $3, $4, 0, $5, 0, $5)", args![&n.id, &n.client_id, &n.uri, &n.logout_token, now]).await?;
        }
        commit(tx).await
    }

    async fn backchannel_claim(
        &self,
        now: i64,
        lease_ms: i64,
    ) -> Result<Option<BackchannelNotice>> {
        let row = self
            .pool()
            .opt(BACKCHANNEL_CLAIM, args![now, now + lease_ms])
            .await?;
        row.map(|r| {
            Ok(BackchannelNotice {
                id: r.col("id")?,
                client_id: r.col("client_id")?,
                uri: r.col("uri")?,
                logout_token: r.col("logout_token")?,
                attempts: r.col("attempts")?,
            })
        })
        .transpose()
    }

    async fn backchannel_done(&self, id: &str) -> Result<()> {
        self.pool()
            .exec("DELETE FROM backchannel_outbox WHERE id = $1", args![id])
            .await?;
        Ok(())
    }

    async fn backchannel_retry(&self, id: &str, at: i64) -> Result<()> {
        self.pool().exec("UPDATE backchannel_outbox SET next_attempt_at = $2, claimed_until = 0 WHERE id = $1", args![id, at]).await?;
        Ok(())
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

/// Revokes the grants `by` selects (and so all their tokens), inside `tx`; returns how many.
pub(crate) async fn revoke(tx: &mut crate::Tx, by: Revoke, value: &str, now: i64) -> Result<u64> {
    let sql = match by {
        Revoke::Family => "UPDATE grants SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        Revoke::Session => {
            "UPDATE grants SET revoked_at = $2 WHERE session_hash = $1 AND revoked_at IS NULL"
        }
        Revoke::Account => {
            "UPDATE grants SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL"
        }
    };
    if matches!(by, Revoke::Account) {
        // The account's devices stay, but each must unlock the app again.
        tx.exec("DELETE FROM app_grants WHERE account_id = $1", args![value])
            .await?;
    }
    tx.exec(sql, args![value, now]).await
}

/// Records (or widens) a consent inside `tx`.
pub(crate) async fn put_consent(
    tx: &mut crate::Tx,
    account_id: &str,
    client_id: &str,
    scope: &[String],
    now: i64,
) -> Result<()> {
    tx.exec(
        "INSERT INTO consents (account_id, client_id, scope, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (account_id, client_id) DO UPDATE SET scope = $3, created_at = $4",
        args![account_id, client_id, join_scope(scope), now],
    )
    .await?;
    Ok(())
}

impl SqlStore {
    /// The JSON record (first column) of the row `sql` finds, if any.
    async fn record<T: DeserializeOwned>(
        &self,
        sql: &'static str,
        args: &[crate::db::Arg<'_>],
    ) -> Result<Option<T>> {
        let row = self.pool().opt(sql, args).await?;
        row.map(|r| from_json(&r.get::<String>(0)?)).transpose()
    }

    /// For the load harness: adds `n` live grants of other citizens to e-service `client_id`,
    /// each with one unspent refresh token, made one millisecond apart up to `last` (ms) and
    /// living their full 30 days, so refreshes are measured on tables of a deployment's size.
    /// One transaction; through the core each grant would take three.
    pub async fn seed_grants(&self, n: usize, client_id: &str, last: i64) -> Result<()> {
        const DAY: i64 = 86_400_000;
        let terms = to_json(&Terms {
            scope: vec!["openid".into(), "profile".into()],
            auth_time: last,
            level: Level::Substantial,
            amr: vec![Amr::Pwd, Amr::Otp],
            acting: None,
        })?;
        let mut tx = self.begin().await?;
        for i in 0..n {
            let made = last - i as i64;
            let g = GrantRecord {
                id: format!("{made:012x}{i:064x}"),
                client_id: client_id.into(),
                account_id: format!("seeded-account-{i}").into(),
                session_hash: format!("{i:064x}"),
                expires_at: made + 30 * DAY,
            };
            insert_grant(&mut tx, &g, &terms).await?;
            let token = format!("{made:012x}{:064x}", n + i);
            insert_token(&mut tx, &token, &g.id, last + DAY).await?;
        }
        commit(tx).await
    }
}

/// Starts grant `g` inside `tx`, with the terms (JSON) all its refresh tokens share.
async fn insert_grant(tx: &mut crate::Tx, g: &GrantRecord, terms: &str) -> Result<()> {
    tx.exec(
        "INSERT INTO grants (id, client_id, account_id, session_hash, expires_at, revoked_at, \
         terms) VALUES ($1, $2, $3, $4, $5, NULL, $6)",
        args![
            &g.id,
            &g.client_id,
            &g.account_id,
            &g.session_hash,
            g.expires_at,
            terms
        ],
    )
    .await?;
    Ok(())
}

/// Appends a refresh token of grant `grant_id` inside `tx`.
async fn insert_token(
    tx: &mut crate::Tx,
    token_hash: &str,
    grant_id: &str,
    idle_expires_at: i64,
) -> Result<()> {
    tx.exec(
        "INSERT INTO grant_tokens (token_hash, grant_id, idle_expires_at, used_at) \
         VALUES ($1, $2, $3, NULL)",
        args![token_hash, grant_id, idle_expires_at],
    )
    .await?;
    Ok(())
}
