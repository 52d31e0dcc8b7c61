//! Cross-device challenges and the login transactions they serve (design note 0010).

use async_trait::async_trait;
use npass_core::challenge::{Challenge, ChallengeKind, ChallengeState};
use npass_core::error::{Error, Result};
use npass_core::model::AuditEvent;
use npass_core::store::{ChallengeStore, LoginStore, StoredLogin};

use crate::db::Row;
use crate::{SqlStore, args, finish};

/// The columns `challenge` reads, in its order.
macro_rules! challenge_columns {
    () => {
        "id, kind, nonce_hash, browser_hash, login, state, detail, expires_at, settled_at"
    };
}

fn challenge(r: &Row) -> Result<Challenge> {
    let kind: String = r.col("kind")?;
    let state: String = r.col("state")?;
    Ok(Challenge {
        id: r.col("id")?,
        kind: ChallengeKind::parse(&kind)
            .ok_or_else(|| Error::Internal(format!("challenge kind {kind}")))?,
        nonce_hash: r.col("nonce_hash")?,
        browser_hash: r.col("browser_hash")?,
        login: r.col("login")?,
        state: ChallengeState::from_parts(&state, r.col("detail")?)
            .ok_or_else(|| Error::Internal(format!("challenge state {state}")))?,
        expires_at: r.col("expires_at")?,
        settled_at: r.col("settled_at")?,
    })
}

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Internal(e.to_string()))
}

fn unjson<T: serde::de::DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| Error::Internal(format!("stored login: {e}")))
}

#[async_trait]
impl ChallengeStore for SqlStore {
    async fn challenge_put(&self, c: &Challenge) -> Result<()> {
        let (state, detail) = c.state.parts();
        self.pool()
            .exec(
                "INSERT INTO challenges (id, kind, nonce_hash, browser_hash, login, state, \
                 detail, expires_at, settled_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                args![
                    &c.id,
                    c.kind.as_str(),
                    &c.nonce_hash,
                    &c.browser_hash,
                    &c.login,
                    state,
                    detail,
                    c.expires_at,
                    c.settled_at
                ],
            )
            .await
            .map(|_| ())
    }

    async fn challenge(&self, id: &str) -> Result<Option<Challenge>> {
        const SQL: &str = concat!(
            "SELECT ",
            challenge_columns!(),
            " FROM challenges WHERE id = $1"
        );
        let row = self.pool().opt(SQL, args![id]).await?;
        row.as_ref().map(challenge).transpose()
    }

    async fn challenge_settle(
        &self,
        id: &str,
        to: &ChallengeState,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<bool> {
        let (state, detail) = to.parts();
        if !matches!(state, "verified" | "refused") {
            return Err(Error::Internal(format!(
                "a challenge is not settled as {state}"
            )));
        }
        let mut tx = self.begin().await?;
        let n = tx
            .exec(
                "UPDATE challenges SET state = $2, detail = $3, settled_at = $4 \
                 WHERE id = $1 AND state = 'waiting' AND expires_at > $4",
                args![id, state, detail, now],
            )
            .await?;
        if n != 1 {
            return Ok(false);
        }
        finish(tx, audit, None, now).await?;
        Ok(true)
    }

    async fn challenge_take(&self, id: &str, browser_hash: &str) -> Result<Option<Challenge>> {
        const SQL: &str = concat!(
            "UPDATE challenges SET state = 'taken' ",
            "WHERE id = $1 AND browser_hash = $2 AND state = 'verified' RETURNING ",
            challenge_columns!()
        );
        let row = self.pool().opt(SQL, args![id, browser_hash]).await?;
        row.as_ref().map(challenge).transpose()
    }

    async fn challenges_sweep(&self, before: i64) -> Result<u64> {
        let mut tx = self.begin().await?;
        let mut n = 0;
        for sql in [
            "DELETE FROM challenges WHERE expires_at < $1",
            "DELETE FROM login_transactions WHERE expires_at < $1",
            "DELETE FROM webauthn_ceremonies WHERE expires_at < $1",
            "DELETE FROM app_requests WHERE expires_at < $1",
        ] {
            n += tx.exec(sql, args![before]).await?;
        }
        crate::commit(tx).await?;
        Ok(n)
    }
}

#[async_trait]
impl LoginStore for SqlStore {
    async fn login_put(&self, l: &StoredLogin) -> Result<()> {
        self.pool()
            .exec(
                "INSERT INTO login_transactions (id_hash, browser_hash, account_id, factors, \
                 settle, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                args![
                    &l.key,
                    &l.browser_hash,
                    l.account_id.as_deref(),
                    json(&l.factors)?,
                    json(&l.settle)?,
                    l.expires_at
                ],
            )
            .await
            .map(|_| ())
    }

    async fn login(&self, key: &str) -> Result<Option<StoredLogin>> {
        let row = self
            .pool()
            .opt(
                "SELECT id_hash, browser_hash, account_id, factors, settle, expires_at \
                 FROM login_transactions WHERE id_hash = $1",
                args![key],
            )
            .await?;
        let Some(r) = row else { return Ok(None) };
        let factors: String = r.col("factors")?;
        let settle: String = r.col("settle")?;
        Ok(Some(StoredLogin {
            key: r.col("id_hash")?,
            browser_hash: r.col("browser_hash")?,
            account_id: r.col("account_id")?,
            factors: unjson(&factors)?,
            settle: unjson(&settle)?,
            expires_at: r.col("expires_at")?,
        }))
    }
}
