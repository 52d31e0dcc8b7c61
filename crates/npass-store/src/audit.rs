//! Audit trail, throttle counters and the mail outbox.

use async_trait::async_trait;
use npass_core::error::{Error, Result};
use npass_core::model::{AuditEvent, AuditRecord, Mail, Throttle};
use npass_core::store::{AuditStore, MailStore, ThrottleStore};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{SqlStore, append_audit, commit, db, finish};

fn record(r: &AnyRow) -> Result<AuditRecord> {
    let detail: String = r.try_get(5).map_err(db)?;
    Ok(AuditRecord {
        seq: r.try_get(0).map_err(db)?,
        at: r.try_get(1).map_err(db)?,
        event: AuditEvent {
            kind: r.try_get(2).map_err(db)?,
            account_id: r.try_get(3).map_err(db)?,
            ip: r.try_get(4).map_err(db)?,
            detail: serde_json::from_str(&detail).map_err(|e| Error::Internal(e.to_string()))?,
        },
        prev_hash: r.try_get(6).map_err(db)?,
        hash: r.try_get(7).map_err(db)?,
    })
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn audit_append(&self, event: &AuditEvent, mail: Option<&Mail>, now: i64) -> Result<()> {
        finish(self.begin().await?, event, mail, now).await
    }

    async fn audit_for_account(
        &self,
        account_id: &str,
        prefixes: &[&str],
        limit: i64,
    ) -> Result<Vec<AuditRecord>> {
        // Read newest first and filter the kinds here: a handful of prefixes, a bounded scan.
        let rows = sqlx::query(
            "SELECT seq, at, kind, account_id, ip, detail, prev_hash, hash FROM audit \
             WHERE account_id = $1 ORDER BY seq DESC LIMIT $2",
        )
        .bind(account_id)
        .bind(limit.saturating_mul(4).min(2000))
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        let mut out = Vec::new();
        for r in &rows {
            let rec = record(r)?;
            if prefixes.is_empty() || prefixes.iter().any(|p| rec.event.kind.starts_with(p)) {
                out.push(rec);
            }
            if out.len() as i64 >= limit {
                break;
            }
        }
        Ok(out)
    }

    async fn audit_range(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditRecord>> {
        let rows = sqlx::query(
            "SELECT seq, at, kind, account_id, ip, detail, prev_hash, hash FROM audit \
             WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after_seq)
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows.iter().map(record).collect()
    }
}

#[async_trait]
impl ThrottleStore for SqlStore {
    async fn throttle(&self, key: &str) -> Result<Throttle> {
        let row =
            sqlx::query("SELECT failures, last_failure_at FROM throttles WHERE throttle_key = $1")
                .bind(key)
                .fetch_optional(self.pool())
                .await
                .map_err(db)?;
        match row {
            Some(r) => Ok(Throttle {
                failures: r.try_get(0).map_err(db)?,
                last_failure_at: r.try_get(1).map_err(db)?,
            }),
            None => Ok(Throttle::default()),
        }
    }

    async fn record_failure(
        &self,
        keys: &[&str],
        audit: &AuditEvent,
        now: i64,
    ) -> Result<Vec<i64>> {
        let mut tx = self.begin().await?;
        let mut counts = Vec::with_capacity(keys.len());
        for key in keys {
            let row = sqlx::query(
                "INSERT INTO throttles (throttle_key, failures, last_failure_at) VALUES ($1, 1, $2) \
                 ON CONFLICT (throttle_key) DO UPDATE SET failures = throttles.failures + 1, last_failure_at = $2 \
                 RETURNING failures",
            )
            .bind(*key)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
            counts.push(row.try_get::<i64, _>(0).map_err(db)?);
        }
        append_audit(&mut tx, audit, now).await?;
        commit(tx).await?;
        Ok(counts)
    }

    async fn throttle_reset(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM throttles WHERE throttle_key = $1")
            .bind(key)
            .execute(self.pool())
            .await
            .map_err(db)?;
        Ok(())
    }
}

#[async_trait]
impl MailStore for SqlStore {
    async fn mail_claim(&self, now: i64, lease_ms: i64) -> Result<Option<Mail>> {
        let row = sqlx::query(
            "UPDATE mail_outbox SET claimed_until = $2, attempts = attempts + 1 WHERE id = \
             (SELECT id FROM mail_outbox WHERE next_attempt_at <= $1 AND claimed_until <= $1 \
              ORDER BY created_at, id LIMIT 1) AND claimed_until <= $1 \
             RETURNING id, to_addr, language, kind, params",
        )
        .bind(now)
        .bind(now + lease_ms)
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        let Some(r) = row else { return Ok(None) };
        let params: String = r.try_get(4).map_err(db)?;
        Ok(Some(Mail {
            id: r.try_get(0).map_err(db)?,
            to: r.try_get(1).map_err(db)?,
            language: r.try_get(2).map_err(db)?,
            kind: r.try_get(3).map_err(db)?,
            params: serde_json::from_str(&params).map_err(|e| Error::Internal(e.to_string()))?,
        }))
    }

    async fn mail_done(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM mail_outbox WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn mail_retry(&self, id: &str, at: i64) -> Result<()> {
        sqlx::query("UPDATE mail_outbox SET next_attempt_at = $2, claimed_until = 0 WHERE id = $1")
            .bind(id)
            .bind(at)
            .execute(self.pool())
            .await
            .map_err(db)?;
        Ok(())
    }
}
