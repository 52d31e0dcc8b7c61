//! Passkeys (design note 0014).

use async_trait::async_trait;
use npass_core::error::{Error, Result};
use npass_core::model::{AuditEvent, Mail};
use npass_core::store::{
    AppGrant, AppGrantStore, PasskeyRecord, PasskeyStore, PictureStore, PushSubscription, Rotate,
    Rotation, StoredCeremony,
};

use crate::db::Row;
use crate::{SqlStore, args, commit, finish};

macro_rules! select_passkeys {
    ($where:literal) => {
        concat!(
            "SELECT credential_id, account_id, name, passkey, aaguid, attested, backup_eligible, ",
            "backed_up, sign_count, created_at, last_used_at, device FROM passkeys ",
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
        device: flag("device")?,
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
                 backup_eligible, backed_up, sign_count, created_at, last_used_at, device) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, $11) \
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
                    now,
                    i64::from(p.device)
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
        for sql in [
            "DELETE FROM app_grants WHERE credential_id = $1",
            "DELETE FROM app_push WHERE credential_id = $1",
        ] {
            tx.exec(sql, args![credential_id]).await?;
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

fn grant(r: &Row) -> Result<AppGrant> {
    Ok(AppGrant {
        credential_id: r.col("credential_id")?,
        account_id: r.col("account_id")?,
        access_hash: r.col("access_hash")?,
        access_expires_at: r.col("access_expires_at")?,
        refresh_hash: r.col("refresh_hash")?,
        unlocked_at: r.col("unlocked_at")?,
        created_at: r.col("created_at")?,
    })
}

#[async_trait]
impl AppGrantStore for SqlStore {
    async fn app_grant_put(&self, g: &AppGrant, audit: &AuditEvent, now: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        // Only for a device that is still there: a revocation racing an unlock wins.
        let r = tx
            .exec(
                "INSERT INTO app_grants (credential_id, account_id, access_hash, access_expires_at, \
                 refresh_hash, previous_refresh_hash, unlocked_at, created_at) \
                 SELECT $1, $2, $3, CAST($4 AS BIGINT), $5, NULL, CAST($6 AS BIGINT), \
                 CAST($7 AS BIGINT) FROM passkeys \
                 WHERE credential_id = $1 AND account_id = $2 AND device <> 0 \
                 ON CONFLICT (credential_id) DO UPDATE SET access_hash = $3, \
                 access_expires_at = $4, refresh_hash = $5, previous_refresh_hash = NULL, \
                 unlocked_at = $6",
                args![
                    &g.credential_id,
                    &g.account_id,
                    &g.access_hash,
                    g.access_expires_at,
                    &g.refresh_hash,
                    g.unlocked_at,
                    g.created_at
                ],
            )
            .await?;
        if r == 0 {
            return Err(Error::NotFound);
        }
        finish(tx, audit, None, now).await
    }

    async fn app_grant_by_access(&self, access_hash: &str) -> Result<Option<AppGrant>> {
        let row = self
            .pool()
            .opt(
                "SELECT g.credential_id, g.account_id, g.access_hash, g.access_expires_at, \
                 g.refresh_hash, g.unlocked_at, g.created_at FROM app_grants g \
                 JOIN passkeys p ON p.credential_id = g.credential_id \
                 AND p.account_id = g.account_id AND p.device <> 0 \
                 WHERE g.access_hash = $1",
                args![access_hash],
            )
            .await?;
        row.as_ref().map(grant).transpose()
    }

    async fn app_grant_rotate(
        &self,
        rot: &Rotate<'_>,
        reuse: &AuditEvent,
        now: i64,
    ) -> Result<Rotation> {
        let refresh_hash = rot.refresh_hash;
        let mut tx = self.begin().await?;
        let row = tx
            .opt(
                "UPDATE app_grants SET access_hash = $2, access_expires_at = $3, \
                 refresh_hash = $4, previous_refresh_hash = $1 \
                 WHERE refresh_hash = $1 AND access_expires_at >= $5 AND unlocked_at >= $6 \
                 RETURNING credential_id, account_id, access_hash, access_expires_at, \
                 refresh_hash, unlocked_at, created_at",
                args![
                    refresh_hash,
                    rot.access_hash,
                    rot.access_expires_at,
                    rot.new_refresh_hash,
                    rot.used_after,
                    rot.unlocked_after
                ],
            )
            .await?;
        if let Some(r) = row {
            let g = grant(&r)?;
            commit(tx).await?;
            return Ok(Rotation::Rotated(g));
        }
        let current = tx
            .opt(
                "SELECT credential_id FROM app_grants WHERE refresh_hash = $1",
                args![refresh_hash],
            )
            .await?;
        if current.is_some() {
            return Ok(Rotation::Locked);
        }
        let spent = tx
            .opt(
                "DELETE FROM app_grants WHERE previous_refresh_hash = $1 \
                 RETURNING credential_id, account_id",
                args![refresh_hash],
            )
            .await?;
        let Some(r) = spent else {
            return Ok(Rotation::Unknown);
        };
        let account_id: String = r.col("account_id")?;
        let credential_id: String = r.col("credential_id")?;
        let mut ev = reuse.clone();
        ev.account_id = Some(account_id.clone());
        if let Some(d) = ev.detail.as_object_mut() {
            d.insert("device".into(), credential_id.clone().into());
        }
        finish(tx, &ev, None, now).await?;
        Ok(Rotation::Reused {
            account_id: account_id.into(),
            credential_id,
        })
    }

    async fn app_grant_end(&self, credential_id: &str) -> Result<bool> {
        let r = self
            .pool()
            .exec(
                "DELETE FROM app_grants WHERE credential_id = $1",
                args![credential_id],
            )
            .await?;
        Ok(r > 0)
    }

    async fn app_request_put(
        &self,
        challenge_id: &str,
        account_id: &str,
        expires_at: i64,
    ) -> Result<()> {
        self.pool()
            .exec(
                "INSERT INTO app_requests (challenge_id, account_id, expires_at) \
                 VALUES ($1, $2, $3)",
                args![challenge_id, account_id, expires_at],
            )
            .await
            .map(|_| ())
    }

    async fn app_requests_of(&self, account_id: &str, now: i64) -> Result<Vec<String>> {
        let rows = self
            .pool()
            .all(
                "SELECT challenge_id FROM app_requests WHERE account_id = $1 AND expires_at > $2 \
                 ORDER BY expires_at DESC LIMIT 20",
                args![account_id, now],
            )
            .await?;
        rows.iter().map(|r| r.col("challenge_id")).collect()
    }

    async fn app_push_put(&self, p: &PushSubscription, now: i64) -> Result<()> {
        let r = self
            .pool()
            .exec(
                "INSERT INTO app_push (credential_id, account_id, endpoint, p256dh, auth, \
                 created_at) SELECT $1, $2, $3, $4, $5, CAST($6 AS BIGINT) FROM passkeys \
                 WHERE credential_id = $1 AND account_id = $2 AND device <> 0 \
                 ON CONFLICT (credential_id) DO UPDATE SET endpoint = $3, p256dh = $4, \
                 auth = $5, created_at = $6",
                args![
                    &p.credential_id,
                    &p.account_id,
                    &p.endpoint,
                    &p.p256dh,
                    &p.auth,
                    now
                ],
            )
            .await?;
        if r == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    async fn app_push_of(&self, account_id: &str) -> Result<Vec<PushSubscription>> {
        let rows = self
            .pool()
            .all(
                "SELECT credential_id, account_id, endpoint, p256dh, auth FROM app_push \
                 WHERE account_id = $1 ORDER BY created_at",
                args![account_id],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(PushSubscription {
                    credential_id: r.col("credential_id")?,
                    account_id: r.col("account_id")?,
                    endpoint: r.col("endpoint")?,
                    p256dh: r.col("p256dh")?,
                    auth: r.col("auth")?,
                })
            })
            .collect()
    }

    async fn app_push_end(&self, credential_id: &str) -> Result<bool> {
        let r = self
            .pool()
            .exec(
                "DELETE FROM app_push WHERE credential_id = $1",
                args![credential_id],
            )
            .await?;
        Ok(r > 0)
    }
}

#[async_trait]
impl PictureStore for SqlStore {
    async fn picture_put(
        &self,
        account_id: &str,
        jpeg: &[u8],
        audit: &AuditEvent,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.exec(
            "INSERT INTO account_pictures (account_id, image, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (account_id) DO UPDATE SET image = $2, updated_at = $3",
            args![account_id, jpeg.to_vec(), now],
        )
        .await?;
        finish(tx, audit, None, now).await
    }

    async fn picture(&self, account_id: &str) -> Result<Option<Vec<u8>>> {
        let row = self
            .pool()
            .opt(
                "SELECT image FROM account_pictures WHERE account_id = $1",
                args![account_id],
            )
            .await?;
        row.map(|r| r.col("image")).transpose()
    }

    async fn picture_remove(&self, account_id: &str, audit: &AuditEvent, now: i64) -> Result<bool> {
        let mut tx = self.begin().await?;
        let r = tx
            .exec(
                "DELETE FROM account_pictures WHERE account_id = $1",
                args![account_id],
            )
            .await?;
        if r == 0 {
            return Ok(false);
        }
        finish(tx, audit, None, now).await?;
        Ok(true)
    }
}
