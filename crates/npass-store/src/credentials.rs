use async_trait::async_trait;
use npass_core::error::Result;
use npass_core::model::{AuditEvent, Mail, TotpCredential};
use npass_core::store::{RecoveryStore, TotpStore};

use crate::{SqlStore, args, finish};

/// Spends an Authenticator step: only a later step than the last one used can be.
pub(crate) const SPEND_STEP: &str =
    "UPDATE totp_credentials SET last_step = $2 WHERE account_id = $1 AND last_step < $2";

#[allow(clippy::too_many_arguments)]
#[async_trait]
impl TotpStore for SqlStore {
    async fn totp(&self, account_id: &str) -> Result<Option<TotpCredential>> {
        let row = self.pool().opt("SELECT sealed_secret, last_step, created_at FROM totp_credentials WHERE account_id = $1", args![account_id]).await?;
        row.map(|r| {
            Ok(TotpCredential {
                sealed_secret: r.col("sealed_secret")?,
                last_step: r.col("last_step")?,
                created_at: r.col("created_at")?,
            })
        })
        .transpose()
    }

    async fn totp_use_step(&self, account_id: &str, step: i64) -> Result<bool> {
        let r = self
            .pool()
            .exec(SPEND_STEP, args![account_id, step])
            .await?;
        Ok(r == 1)
    }

    async fn totp_pending(&self, account_id: &str) -> Result<Option<(Vec<u8>, i64)>> {
        let row = self
            .pool()
            .opt(
                "SELECT sealed_secret, created_at FROM totp_pending WHERE account_id = $1",
                args![account_id],
            )
            .await?;
        row.map(|r| Ok((r.col("sealed_secret")?, r.col("created_at")?)))
            .transpose()
    }

    async fn totp_pending_put(&self, account_id: &str, sealed: &[u8], now: i64) -> Result<()> {
        self.pool().exec("INSERT INTO totp_pending (account_id, sealed_secret, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (account_id) DO UPDATE SET sealed_secret = $2, created_at = $3", args![account_id, sealed.to_vec(), now]).await?;
        Ok(())
    }

    async fn totp_activate(
        &self,
        account_id: &str,
        sealed: &[u8],
        used_step: i64,
        recovery_hashes: &[String],
        audit: &AuditEvent,
        mail: Option<&Mail>,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        // Only the enrolment that was confirmed may become the authenticator.
        let r = tx
            .exec(
                "DELETE FROM totp_pending WHERE account_id = $1 AND sealed_secret = $2",
                args![account_id, sealed.to_vec()],
            )
            .await?;
        if r != 1 {
            return Err(npass_core::Error::Conflict("enrolment-changed"));
        }
        tx.exec("INSERT INTO totp_credentials (account_id, sealed_secret, last_step, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (account_id) DO UPDATE SET sealed_secret = $2, last_step = $3, created_at = $4", args![account_id, sealed.to_vec(), used_step, now]).await?;
        replace_codes(&mut tx, account_id, recovery_hashes).await?;
        finish(tx, audit, mail, now).await
    }

    async fn totp_remove(
        &self,
        account_id: &str,
        audit: &AuditEvent,
        mail: Option<&Mail>,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        for sql in [
            "DELETE FROM totp_credentials WHERE account_id = $1",
            "DELETE FROM totp_pending WHERE account_id = $1",
            "DELETE FROM recovery_codes WHERE account_id = $1",
        ] {
            tx.exec(sql, args![account_id]).await?;
        }
        finish(tx, audit, mail, now).await
    }
}

#[allow(clippy::too_many_arguments)]
#[async_trait]
impl RecoveryStore for SqlStore {
    async fn recovery_replace(
        &self,
        account_id: &str,
        hashes: &[String],
        audit: &AuditEvent,
        mail: Option<&Mail>,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        replace_codes(&mut tx, account_id, hashes).await?;
        finish(tx, audit, mail, now).await
    }

    async fn recovery_use(
        &self,
        account_id: &str,
        hash: &str,
        audit: &AuditEvent,
        mail: Option<&Mail>,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let r = tx.exec("UPDATE recovery_codes SET used_at = $3 WHERE account_id = $1 AND code_hash = $2 AND used_at IS NULL", args![account_id, hash, now]).await?;
        if r != 1 {
            return Ok(false);
        }
        finish(tx, audit, mail, now).await?;
        Ok(true)
    }

    async fn recovery_left(&self, account_id: &str) -> Result<i64> {
        let row = self
            .pool()
            .one(
                "SELECT COUNT(*) FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL",
                args![account_id],
            )
            .await?;
        row.get::<i64>(0)
    }
}

async fn replace_codes(tx: &mut crate::Tx, account_id: &str, hashes: &[String]) -> Result<()> {
    tx.exec(
        "DELETE FROM recovery_codes WHERE account_id = $1",
        args![account_id],
    )
    .await?;
    for h in hashes {
        tx.exec(
            "INSERT INTO recovery_codes (account_id, code_hash, used_at) VALUES ($1, $2, NULL)",
            args![account_id, h],
        )
        .await?;
    }
    Ok(())
}
