//! Passkeys (design note 0014).

use async_trait::async_trait;
use npass_core::error::{Error, Result};
use npass_core::model::{AuditEvent, Mail};
use npass_core::store::{PasskeyRecord, PasskeyStore, StoredCeremony};

use crate::db::Row;
use crate::{SqlStore, args, finish};

macro_rules! select_passkeys {
    ($where:literal) => {
        concat!(
            "SELECT credential_id, account_id, name, passkey, aaguid, attested, backup_eligible, ",
            "backed_up, sign_count, created_at, last_used_at FROM passkeys ",
            $where
        )
    };
}

fn record(r: &Row) -> Result<PasskeyRecord> {
    let flag = |c: &str| r.col::<i64>(c).map(|v| v != 0);
    Ok(PasskeyRecord {
        credential_id: r.col("credential_id")?,
        account_id: r.col("account_id")?,
        name: r.col("name")?,
        passkey: r.col("passkey")?,
        aaguid: r.col("aaguid")?,
        attested: flag("attested")?,
        backup_eligible: flag("backup_eligible")?,
        backed_up: flag("backed_up")?,
        sign_count: r.col("sign_count")?,
        created_at: r.col("created_at")?,
        last_used_at: r.col("last_used_at")?,
    })
}

#[async_trait]
impl PasskeyStore for SqlStore {
    async fn passkey_add(
        &self,
        p: &PasskeyRecord,
        audit: &AuditEvent,
        mail: Option<&Mail>,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let added = tx
            .exec(
                "INSERT INTO passkeys (credential_id, account_id, name, passkey, aaguid, attested, \
                 backup_eligible, backed_up, sign_count, created_at, last_used_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL) \
                 ON CONFLICT (credential_id) DO NOTHING",
                args![
                    &p.credential_id,
                    &p.account_id,
                    &p.name,
                    &p.passkey,
                    &p.aaguid,
                    i64::from(p.attested),
                    i64::from(p.backup_eligible),
                    i64::from(p.backed_up),
                    p.sign_count,
                    now
                ],
            )
            .await?;
        if added == 0 {
            return Err(Error::Conflict("passkey-exists"));
        }
        finish(tx, audit, mail, now).await
    }

    async fn passkeys_of(&self, account_id: &str) -> Result<Vec<PasskeyRecord>> {
        let sql = select_passkeys!("WHERE account_id = $1 ORDER BY created_at, credential_id");
        let rows = self.pool().all(sql, args![account_id]).await?;
        rows.iter().map(record).collect()
    }

    async fn passkey(&self, credential_id: &str) -> Result<Option<PasskeyRecord>> {
        let sql = select_passkeys!("WHERE credential_id = $1");
        let row = self.pool().opt(sql, args![credential_id]).await?;
        row.as_ref().map(record).transpose()
    }

    async fn passkey_rename(
        &self,
        account_id: &str,
        credential_id: &str,
        name: &str,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let r = tx
            .exec(
                "UPDATE passkeys SET name = $3 WHERE account_id = $1 AND credential_id = $2",
                args![account_id, credential_id, name],
            )
            .await?;
        if r == 0 {
            return Ok(false);
        }
        finish(tx, audit, None, now).await?;
        Ok(true)
    }

    async fn passkey_remove(
        &self,
        account_id: &str,
        credential_id: &str,
        audit: &AuditEvent,
        mail: Option<&Mail>,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let r = tx
            .exec(
                "DELETE FROM passkeys WHERE account_id = $1 AND credential_id = $2",
                args![account_id, credential_id],
            )
            .await?;
        if r == 0 {
            return Ok(false);
        }
        finish(tx, audit, mail, now).await?;
        Ok(true)
    }

    async fn passkey_use(
        &self,
        credential_id: &str,
        passkey: &str,
        sign_count: i64,
        backed_up: bool,
        now: i64,
    ) -> Result<bool> {
        let r = self
            .pool()
            .exec(
                "UPDATE passkeys SET passkey = $2, sign_count = $3, backed_up = $4, \
                 last_used_at = $5 WHERE credential_id = $1 \
                 AND (sign_count < $3 OR (sign_count = 0 AND $3 = 0))",
                args![
                    credential_id,
                    passkey,
                    sign_count,
                    i64::from(backed_up),
                    now
                ],
            )
            .await?;
        Ok(r == 1)
    }

    async fn ceremony_put(&self, c: &StoredCeremony) -> Result<()> {
        self.pool()
            .exec(
                "INSERT INTO webauthn_ceremonies (id_hash, browser_hash, account_id, kind, state, \
                 expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                args![
                    &c.key,
                    &c.browser_hash,
                    c.account_id.as_deref(),
                    &c.kind,
                    &c.state,
                    c.expires_at
                ],
            )
            .await
            .map(|_| ())
    }

    async fn ceremony_take(&self, key: &str) -> Result<Option<StoredCeremony>> {
        let row = self
            .pool()
            .opt(
                "DELETE FROM webauthn_ceremonies WHERE id_hash = $1 \
                 RETURNING id_hash, browser_hash, account_id, kind, state, expires_at",
                args![key],
            )
            .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(StoredCeremony {
            key: r.col("id_hash")?,
            browser_hash: r.col("browser_hash")?,
            account_id: r.col("account_id")?,
            kind: r.col("kind")?,
            state: r.col("state")?,
            expires_at: r.col("expires_at")?,
        }))
    }
}
