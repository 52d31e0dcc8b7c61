use async_trait::async_trait;
use npass_core::error::Result;
use npass_core::model::{AuditEvent, Mail, TotpCredential};
use npass_core::store::CredentialStore;
use sqlx::Row;

use crate::{SqlStore, db, finish};

#[allow(clippy::too_many_arguments)]
#[async_trait]
impl CredentialStore for SqlStore {
    async fn totp(&self, account_id: &str) -> Result<Option<TotpCredential>> {
        let row = sqlx::query("SELECT sealed_secret, last_step, created_at FROM totp_credentials WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(self.pool())
            .await
            .map_err(db)?;
        row.map(|r| {
            Ok(TotpCredential {
                sealed_secret: r.try_get(0).map_err(db)?,
                last_step: r.try_get(1).map_err(db)?,
                created_at: r.try_get(2).map_err(db)?,
            })
        })
        .transpose()
    }

    async fn totp_use_step(&self, account_id: &str, step: i64) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE totp_credentials SET last_step = $2 WHERE account_id = $1 AND last_step < $2",
        )
        .bind(account_id)
        .bind(step)
        .execute(self.pool())
        .await
        .map_err(db)?;
        Ok(r.rows_affected() == 1)
    }

    async fn totp_pending(&self, account_id: &str) -> Result<Option<(Vec<u8>, i64)>> {
        let row =
            sqlx::query("SELECT sealed_secret, created_at FROM totp_pending WHERE account_id = $1")
                .bind(account_id)
                .fetch_optional(self.pool())
                .await
                .map_err(db)?;
        row.map(|r| Ok((r.try_get(0).map_err(db)?, r.try_get(1).map_err(db)?)))
            .transpose()
    }

    async fn totp_pending_put(&self, account_id: &str, sealed: &[u8], now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO totp_pending (account_id, sealed_secret, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (account_id) DO UPDATE SET sealed_secret = $2, created_at = $3",
        )
        .bind(account_id)
        .bind(sealed.to_vec())
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(db)?;
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
        let r =
            sqlx::query("DELETE FROM totp_pending WHERE account_id = $1 AND sealed_secret = $2")
                .bind(account_id)
                .bind(sealed.to_vec())
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        if r.rows_affected() != 1 {
            return Err(npass_core::Error::Conflict("enrolment-changed"));
        }
        sqlx::query(
            "INSERT INTO totp_credentials (account_id, sealed_secret, last_step, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (account_id) DO UPDATE SET sealed_secret = $2, last_step = $3, created_at = $4",
        )
        .bind(account_id)
        .bind(sealed.to_vec())
        .bind(used_step)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
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
            sqlx::query(sql)
                .bind(account_id)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        finish(tx, audit, mail, now).await
    }

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
        let r = sqlx::query(
            "UPDATE recovery_codes SET used_at = $3 WHERE account_id = $1 AND code_hash = $2 AND used_at IS NULL",
        )
        .bind(account_id)
        .bind(hash)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if r.rows_affected() != 1 {
            return Ok(false);
        }
        finish(tx, audit, mail, now).await?;
        Ok(true)
    }

    async fn recovery_left(&self, account_id: &str) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL",
        )
        .bind(account_id)
        .fetch_one(self.pool())
        .await
        .map_err(db)?;
        row.try_get::<i64, _>(0).map_err(db)
    }
}

async fn replace_codes(tx: &mut crate::Tx, account_id: &str, hashes: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    for h in hashes {
        sqlx::query(
            "INSERT INTO recovery_codes (account_id, code_hash, used_at) VALUES ($1, $2, NULL)",
        )
        .bind(account_id)
        .bind(h)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    }
    Ok(())
}
