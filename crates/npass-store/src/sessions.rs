use async_trait::async_trait;
use npass_core::error::{Error, Result};
use npass_core::model::{Amr, AuditEvent, Level, Session};
use npass_core::store::SessionStore;
use sqlx::Row;

use crate::{SqlStore, append_audit, commit, db};

#[async_trait]
impl SessionStore for SqlStore {
    async fn session_start(
        &self,
        s: &Session,
        replaces: Option<&str>,
        throttle_resets: &[String],
        audit: &AuditEvent,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO sessions (id_hash, account_id, level, amr, auth_time, created_at, last_seen_at, \
             idle_expires_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&s.id_hash)
        .bind(&s.account_id)
        .bind(s.level.as_str())
        .bind(Amr::join(&s.amr))
        .bind(s.auth_time)
        .bind(s.created_at)
        .bind(s.last_seen_at)
        .bind(s.idle_expires_at)
        .bind(s.expires_at)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if let Some(old) = replaces {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(old)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        for key in throttle_resets {
            sqlx::query("DELETE FROM throttles WHERE throttle_key = $1")
                .bind(key)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        append_audit(&mut tx, audit, now).await?;
        commit(tx).await
    }

    async fn session(&self, id_hash: &str) -> Result<Option<Session>> {
        let row = sqlx::query(
            "SELECT id_hash, account_id, level, amr, auth_time, created_at, last_seen_at, idle_expires_at, \
             expires_at FROM sessions WHERE id_hash = $1",
        )
        .bind(id_hash)
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        let Some(r) = row else { return Ok(None) };
        let level: String = r.try_get(2).map_err(db)?;
        let amr: String = r.try_get(3).map_err(db)?;
        Ok(Some(Session {
            id_hash: r.try_get(0).map_err(db)?,
            account_id: r.try_get(1).map_err(db)?,
            level: Level::parse(&level).ok_or_else(|| Error::Internal("session level".into()))?,
            amr: Amr::split(&amr),
            auth_time: r.try_get(4).map_err(db)?,
            created_at: r.try_get(5).map_err(db)?,
            last_seen_at: r.try_get(6).map_err(db)?,
            idle_expires_at: r.try_get(7).map_err(db)?,
            expires_at: r.try_get(8).map_err(db)?,
        }))
    }

    async fn session_touch(&self, id_hash: &str, now: i64, idle_expires_at: i64) -> Result<()> {
        sqlx::query(
            "UPDATE sessions SET last_seen_at = $2, idle_expires_at = $3 WHERE id_hash = $1",
        )
        .bind(id_hash)
        .bind(now)
        .bind(idle_expires_at)
        .execute(self.pool())
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn session_end(&self, id_hash: &str, audit: Option<&AuditEvent>, now: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        // An explicit logout (it comes with its audit row) also revokes what the session gave
        // e-services; an idle or expired session leaves their tokens to their own limits.
        if let Some(ev) = audit {
            crate::oidc::revoke(&mut tx, crate::oidc::Revoke::Session, id_hash, now).await?;
            append_audit(&mut tx, ev, now).await?;
        }
        commit(tx).await
    }

    async fn sessions_end_for_account(&self, account_id: &str, now: i64) -> Result<u64> {
        let mut tx = self.begin().await?;
        let r = sqlx::query("DELETE FROM sessions WHERE account_id = $1")
            .bind(account_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        crate::oidc::revoke(&mut tx, crate::oidc::Revoke::Account, account_id, now).await?;
        commit(tx).await?;
        Ok(r.rows_affected())
    }
}
