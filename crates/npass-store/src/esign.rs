use async_trait::async_trait;
use npass_core::error::Result;
use npass_core::model::AuditEvent;
use npass_core::store::{EsignChallenge, EsignStore};

use crate::db::Row;
use crate::{SqlStore, args, finish};

fn challenge(r: &Row) -> Result<EsignChallenge> {
    Ok(EsignChallenge {
        id: r.get(0)?,
        nonce_hash: r.get(1)?,
        browser_hash: r.get(2)?,
        expires_at: r.get(3)?,
        status: r.get(4)?,
        outcome: r.get(5)?,
        settled_at: r.get(6)?,
    })
}

#[async_trait]
impl EsignStore for SqlStore {
    async fn esign_challenge_put(&self, c: &EsignChallenge) -> Result<()> {
        self.pool()
            .exec(
                "INSERT INTO esign_challenges (id, nonce_hash, browser_hash, expires_at, status, \
                 outcome, settled_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                args![
                    &c.id,
                    &c.nonce_hash,
                    &c.browser_hash,
                    c.expires_at,
                    &c.status,
                    &c.outcome,
                    c.settled_at
                ],
            )
            .await
            .map(|_| ())
    }

    async fn esign_challenge(&self, id: &str) -> Result<Option<EsignChallenge>> {
        let row = self
            .pool()
            .opt(
                "SELECT id, nonce_hash, browser_hash, expires_at, status, outcome, settled_at \
                 FROM esign_challenges WHERE id = $1",
                args![id],
            )
            .await?;
        row.as_ref().map(challenge).transpose()
    }

    async fn esign_challenge_settle(
        &self,
        id: &str,
        status: &str,
        outcome: &str,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let n = tx
            .exec(
                "UPDATE esign_challenges SET status = $2, outcome = $3, settled_at = $4 \
                 WHERE id = $1 AND status = 'waiting' AND expires_at > $4",
                args![id, status, outcome, now],
            )
            .await?;
        if n != 1 {
            return Ok(false);
        }
        finish(tx, audit, None, now).await?;
        Ok(true)
    }

    async fn esign_challenges_sweep(&self, before: i64) -> Result<u64> {
        self.pool()
            .exec(
                "DELETE FROM esign_challenges WHERE expires_at < $1",
                args![before],
            )
            .await
    }

    async fn esign_challenge_take(&self, id: &str, browser_hash: &str) -> Result<Option<String>> {
        let row = self
            .pool()
            .opt(
                "UPDATE esign_challenges SET status = 'taken' \
                 WHERE id = $1 AND browser_hash = $2 AND status = 'verified' RETURNING outcome",
                args![id, browser_hash],
            )
            .await?;
        row.map(|r| r.get(0)).transpose()
    }
}
