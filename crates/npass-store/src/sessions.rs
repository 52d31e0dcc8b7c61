use async_trait::async_trait;
use npass_core::error::{Error, Result};
use npass_core::model::{Amr, AuditEvent, Level, Session};
use npass_core::store::{SessionStore, Settle};

use crate::{SqlStore, append_audit, args, commit};

macro_rules! SELECT_SESSION {
    () => {
        "SELECT id_hash, account_id, level, amr, auth_time, created_at, last_seen_at, \
         idle_expires_at, expires_at, chain, user_agent, ip, organization FROM sessions"
    };
}

#[async_trait]
impl SessionStore for SqlStore {
    async fn session_start(
        &self,
        s: &Session,
        replaces: Option<&str>,
        throttles: Settle<'_>,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        if let Some(step) = throttles.totp_step
            && tx
                .exec(crate::credentials::SPEND_STEP, args![&s.account_id, step])
                .await?
                != 1
        {
            // Dropped uncommitted: nothing of this login is written.
            return Ok(false);
        }
        if let Some(login) = throttles.login
            && tx
                .exec(
                    "DELETE FROM login_transactions WHERE id_hash = $1 AND expires_at > $2",
                    args![login, now],
                )
                .await?
                != 1
        {
            // Spent by another request, or expired: this one starts nothing.
            return Ok(false);
        }
        let organization = s
            .organization
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| Error::Internal(format!("session organisation: {e}")))?;
        tx.exec("INSERT INTO sessions (id_hash, account_id, level, amr, auth_time, created_at, last_seen_at, \
             idle_expires_at, expires_at, chain, user_agent, ip, organization) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)", args![&s.id_hash, &s.account_id, s.level.as_str(), Amr::join(&s.amr), s.auth_time, s.created_at, s.last_seen_at, s.idle_expires_at, s.expires_at, &s.chain, &s.user_agent, &s.ip, organization]).await?;
        if let Some(old) = replaces {
            tx.exec("DELETE FROM sessions WHERE id_hash = $1", args![old])
                .await?;
        }
        for key in throttles.resets {
            tx.exec("DELETE FROM throttles WHERE throttle_key = $1", args![key])
                .await?;
        }
        for key in throttles.releases {
            crate::audit::release(&mut tx, key).await?;
        }
        append_audit(&mut tx, audit, now).await?;
        commit(tx).await?;
        Ok(true)
    }

    async fn session(&self, id_hash: &str) -> Result<Option<Session>> {
        let row = self
            .pool()
            .opt(
                concat!(SELECT_SESSION!(), " WHERE id_hash = $1"),
                args![id_hash],
            )
            .await?;
        row.as_ref().map(session_of).transpose()
    }

    async fn sessions_for_account(&self, account_id: &str, now: i64) -> Result<Vec<Session>> {
        let rows = self
            .pool()
            .all(
                concat!(
                    SELECT_SESSION!(),
                    " WHERE account_id = $1 AND expires_at > $2 AND idle_expires_at > $2 \
                     ORDER BY created_at DESC"
                ),
                args![account_id, now],
            )
            .await?;
        rows.iter().map(session_of).collect()
    }

    async fn session_end_of_account(
        &self,
        account_id: &str,
        id_hash: &str,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<Option<String>> {
        let mut tx = self.begin().await?;
        let gone = tx
            .opt(
                "DELETE FROM sessions WHERE id_hash = $1 AND account_id = $2 RETURNING chain",
                args![id_hash, account_id],
            )
            .await?;
        let Some(r) = gone else {
            return Ok(None);
        };
        let chain = chain_of(r.col("chain")?, id_hash.to_owned());
        crate::oidc::revoke(&mut tx, crate::oidc::Revoke::Session, &chain, now).await?;
        append_audit(&mut tx, audit, now).await?;
        commit(tx).await?;
        Ok(Some(chain))
    }

    async fn session_touch(&self, id_hash: &str, now: i64, idle_expires_at: i64) -> Result<()> {
        self.pool()
            .exec(
                "UPDATE sessions SET last_seen_at = $2, idle_expires_at = $3 WHERE id_hash = $1",
                args![id_hash, now, idle_expires_at],
            )
            .await?;
        Ok(())
    }

    async fn session_end(&self, id_hash: &str, audit: Option<&AuditEvent>, now: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        let gone = tx
            .opt(
                "DELETE FROM sessions WHERE id_hash = $1 RETURNING chain",
                args![id_hash],
            )
            .await?;
        // An explicit logout (it comes with its audit row) also revokes what the session (and
        // the ones it replaced, filed under its chain) gave e-services; an idle or expired
        // session leaves their tokens to their own limits.
        if let Some(ev) = audit {
            let chain = match gone {
                Some(r) => chain_of(r.get(0)?, id_hash.to_owned()),
                None => id_hash.to_owned(),
            };
            crate::oidc::revoke(&mut tx, crate::oidc::Revoke::Session, &chain, now).await?;
            append_audit(&mut tx, ev, now).await?;
        }
        commit(tx).await
    }

    async fn sessions_end_for_account(&self, account_id: &str, now: i64) -> Result<u64> {
        let mut tx = self.begin().await?;
        let r = tx
            .exec(
                "DELETE FROM sessions WHERE account_id = $1",
                args![account_id],
            )
            .await?;
        crate::oidc::revoke(&mut tx, crate::oidc::Revoke::Account, account_id, now).await?;
        commit(tx).await?;
        Ok(r)
    }
}

fn session_of(r: &crate::db::Row) -> Result<Session> {
    let level: String = r.col("level")?;
    let amr: String = r.col("amr")?;
    Ok(Session {
        id_hash: r.col("id_hash")?,
        account_id: r.col("account_id")?,
        level: Level::parse(&level).ok_or_else(|| Error::Internal("session level".into()))?,
        amr: Amr::split(&amr),
        auth_time: r.col("auth_time")?,
        created_at: r.col("created_at")?,
        last_seen_at: r.col("last_seen_at")?,
        idle_expires_at: r.col("idle_expires_at")?,
        expires_at: r.col("expires_at")?,
        chain: chain_of(r.col("chain")?, r.col("id_hash")?),
        user_agent: r.col("user_agent")?,
        ip: r.col("ip")?,
        organization: r
            .col::<Option<String>>("organization")?
            .map(|j| serde_json::from_str(&j))
            .transpose()
            .map_err(|e| Error::Internal(format!("session organisation: {e}")))?,
    })
}

/// A session row's chain: empty in rows written before schema 8, which are their own.
fn chain_of(chain: String, id_hash: String) -> String {
    if chain.is_empty() { id_hash } else { chain }
}
