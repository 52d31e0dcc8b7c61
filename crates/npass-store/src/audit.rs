//! Audit trail, throttle counters and the mail outbox.

use async_trait::async_trait;
use npass_core::error::{Error, Result};
use npass_core::model::{AuditEvent, AuditRecord, Mail, Throttle};
use npass_core::store::{AuditStore, MailStore, ThrottleStore, ThrottleTake};

use crate::db::Row;
use crate::{SqlStore, args, commit, finish};

fn record(r: &Row) -> Result<AuditRecord> {
    let detail: String = r.col("detail")?;
    Ok(AuditRecord {
        seq: r.col("seq")?,
        at: r.col("at")?,
        event: AuditEvent {
            kind: r.col("kind")?,
            account_id: r.col("account_id")?,
            ip: r.col("ip")?,
            detail: serde_json::from_str(&detail).map_err(|e| Error::Internal(e.to_string()))?,
        },
        prev_hash: r.col("prev_hash")?,
        hash: r.col("hash")?,
    })
}

/// A citizen's history, newest first. Refreshes are not history (design note 0007): the
/// condition is the partial index's own, so the read goes through `audit_account`.
pub(crate) const HISTORY: &str = "SELECT seq, at, kind, account_id, ip, detail, prev_hash, hash \
    FROM audit WHERE account_id = $1 AND kind <> 'oidc.tokens-refreshed' ORDER BY seq DESC LIMIT $2";

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
        let rows = self
            .pool()
            .all(
                HISTORY,
                args![account_id, limit.saturating_mul(4).min(2000)],
            )
            .await?;
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
        let rows = self
            .pool()
            .all(
                "SELECT seq, at, kind, account_id, ip, detail, prev_hash, hash FROM audit \
             WHERE seq > $1 ORDER BY seq LIMIT $2",
                args![after_seq, limit],
            )
            .await?;
        rows.iter().map(record).collect()
    }
}

#[async_trait]
impl ThrottleStore for SqlStore {
    async fn throttle(&self, key: &str) -> Result<Throttle> {
        let row = self
            .pool()
            .opt(
                "SELECT failures, last_failure_at FROM throttles WHERE throttle_key = $1",
                args![key],
            )
            .await?;
        match row {
            Some(r) => Ok(Throttle {
                failures: r.col("failures")?,
                last_failure_at: r.col("last_failure_at")?,
            }),
            None => Ok(Throttle::default()),
        }
    }

    async fn throttle_take(
        &self,
        takes: &[ThrottleTake<'_>],
        releases: &[&str],
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        for t in takes {
            // An absent row reads as zero failures at time zero: only an attempt that saw it so
            // may insert, and an existing row changes only if it still reads `seen`.
            // PostgreSQL evaluates the guard on the row's newest version under its lock; SQLite
            // has one writer.
            let taken = if t.seen == Throttle::default() {
                tx.exec(
                    "INSERT INTO throttles (throttle_key, failures, last_failure_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (throttle_key) DO UPDATE SET failures = $2, last_failure_at = $3 \
                     WHERE throttles.failures = 0 AND throttles.last_failure_at = 0",
                    args![t.key, t.failures, now],
                )
                .await?
            } else {
                tx.exec(
                    "UPDATE throttles SET failures = $2, last_failure_at = $3 \
                     WHERE throttle_key = $1 AND failures = $4 AND last_failure_at = $5",
                    args![
                        t.key,
                        t.failures,
                        now,
                        t.seen.failures,
                        t.seen.last_failure_at
                    ],
                )
                .await?
            };
            if taken != 1 {
                // Dropped uncommitted: nothing of this round is written.
                return Ok(false);
            }
        }
        for key in releases {
            release(&mut tx, key).await?;
        }
        commit(tx).await?;
        Ok(true)
    }

    async fn throttle_release(&self, key: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        release(&mut tx, key).await?;
        commit(tx).await
    }

    async fn throttle_reset(&self, key: &str) -> Result<()> {
        self.pool()
            .exec("DELETE FROM throttles WHERE throttle_key = $1", args![key])
            .await?;
        Ok(())
    }

    async fn throttles_sweep(&self, prefixes: &[&str], before: i64) -> Result<u64> {
        let mut tx = self.begin().await?;
        let mut n = 0;
        for prefix in prefixes {
            n += tx
                .exec(
                    "DELETE FROM throttles WHERE throttle_key LIKE $1 || '%' \
                     AND last_failure_at < $2",
                    args![*prefix, before],
                )
                .await?;
        }
        crate::commit(tx).await?;
        Ok(n)
    }
}

/// Gives back one attempt on `key` (never below zero).
pub(crate) async fn release(tx: &mut crate::Tx, key: &str) -> Result<()> {
    tx.exec(
        "UPDATE throttles SET failures = failures - 1 WHERE throttle_key = $1 AND failures > 0",
        args![key],
    )
    .await?;
    Ok(())
}

/// Leases the mail that has been due longest. The order is the due-time index's own, so a claim
/// reads a few index entries however long the queue has grown (ordering by creation time had
/// SQLite sort every due mail at each claim: draining a backlog cost its square, on the
/// connection every request shares).
pub(crate) const MAIL_CLAIM: &str = "UPDATE mail_outbox SET claimed_until = $2, attempts = attempts + 1 WHERE id = \
     (SELECT id FROM mail_outbox WHERE next_attempt_at <= $1 AND claimed_until <= $1 \
      ORDER BY next_attempt_at LIMIT 1) AND claimed_until <= $1 \
     RETURNING id, to_addr, language, kind, params";

#[async_trait]
impl MailStore for SqlStore {
    async fn mail_claim(&self, now: i64, lease_ms: i64) -> Result<Option<Mail>> {
        let row = self
            .pool()
            .opt(MAIL_CLAIM, args![now, now + lease_ms])
            .await?;
        let Some(r) = row else { return Ok(None) };
        let params: String = r.col("params")?;
        Ok(Some(Mail {
            id: r.col("id")?,
            to: r.col("to_addr")?,
            language: r.col("language")?,
            kind: r.col("kind")?,
            params: serde_json::from_str(&params).map_err(|e| Error::Internal(e.to_string()))?,
        }))
    }

    async fn mail_done(&self, id: &str) -> Result<()> {
        self.pool()
            .exec("DELETE FROM mail_outbox WHERE id = $1", args![id])
            .await?;
        Ok(())
    }

    async fn mail_retry(&self, id: &str, at: i64) -> Result<()> {
        self.pool()
            .exec(
                "UPDATE mail_outbox SET next_attempt_at = $2, claimed_until = 0 WHERE id = $1",
                args![id, at],
            )
            .await?;
        Ok(())
    }
}
