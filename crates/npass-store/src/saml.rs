//! The SAML identity provider's tables (schema 16): parked requests, seen message IDs and the
//! services each session chain answered.

use async_trait::async_trait;
use npass_core::error::{Error, Result};
use npass_core::ids::ClientId;
use npass_core::model::AuditEvent;
use npass_core::saml::logout::{Delivery, LogoutNotice, LogoutStage, Outcome, SamlLogout};
use npass_core::saml::{Participant, SamlRequest};
use npass_core::store::SamlStore;
use serde::{Deserialize, Serialize};

use crate::db::Row;
use crate::oidc::{from_json, put_consent, to_json};
use crate::{SqlStore, append_audit, args, commit, finish_all};

/// What a notice's `record` holds besides its columns.
#[derive(Serialize, Deserialize)]
struct NoticeRecord {
    service: String,
    delivery: Delivery,
}

/// A query of notices: the columns `notice` reads, then `$tail`.
macro_rules! notices_where {
    ($tail:literal) => {
        concat!(
            "SELECT request_id, logout_id, client_id, position, outcome, record, expires_at \
             FROM saml_logout_notices WHERE ",
            $tail
        )
    };
}

fn notice(r: &Row) -> Result<LogoutNotice> {
    let rec: NoticeRecord = from_json(&r.col::<String>("record")?)?;
    let outcome: String = r.col("outcome")?;
    Ok(LogoutNotice {
        request_id: r.col("request_id")?,
        logout_id: r.col("logout_id")?,
        client_id: r.col::<String>("client_id")?.into(),
        position: r.col("position")?,
        outcome: Outcome::parse(&outcome)
            .ok_or_else(|| Error::Internal(format!("logout notice outcome {outcome}")))?,
        service: rec.service,
        delivery: rec.delivery,
        expires_at: r.col("expires_at")?,
    })
}

#[async_trait]
impl SamlStore for SqlStore {
    async fn saml_seen_once(
        &self,
        issuer: &str,
        message_id: &str,
        until: i64,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        // An expired row is as good as none: its window has closed, so the message would be
        // refused for its time anyway; taking it over keeps the key free of the sweep's timing.
        tx.exec(
            "DELETE FROM saml_seen WHERE issuer = $1 AND message_id = $2 AND expires_at < $3",
            args![issuer, message_id, now],
        )
        .await?;
        let n = tx
            .exec(
                "INSERT INTO saml_seen (issuer, message_id, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (issuer, message_id) DO NOTHING",
                args![issuer, message_id, until],
            )
            .await?;
        commit(tx).await?;
        Ok(n == 1)
    }

    async fn saml_request_put(&self, r: &SamlRequest) -> Result<()> {
        self.pool()
            .exec(
                "INSERT INTO saml_requests (id, record, expires_at) VALUES ($1, $2, $3)",
                args![&r.id, to_json(r)?, r.expires_at],
            )
            .await?;
        Ok(())
    }

    async fn saml_request_update(&self, r: &SamlRequest) -> Result<bool> {
        let n = self
            .pool()
            .exec(
                "UPDATE saml_requests SET record = $2 WHERE id = $1",
                args![&r.id, to_json(r)?],
            )
            .await?;
        Ok(n == 1)
    }

    async fn saml_request(&self, id: &str) -> Result<Option<SamlRequest>> {
        let row = self
            .pool()
            .opt("SELECT record FROM saml_requests WHERE id = $1", args![id])
            .await?;
        row.map(|r| from_json(&r.get::<String>(0)?)).transpose()
    }

    async fn saml_request_take(&self, id: &str) -> Result<()> {
        let n = self
            .pool()
            .exec("DELETE FROM saml_requests WHERE id = $1", args![id])
            .await?;
        if n == 1 { Ok(()) } else { Err(Error::NotFound) }
    }

    async fn saml_answered(
        &self,
        request_id: &str,
        p: &Participant,
        consent: Option<(&str, &[String], &AuditEvent)>,
        audit: &[AuditEvent],
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let consumed = tx
            .exec("DELETE FROM saml_requests WHERE id = $1", args![request_id])
            .await?;
        if consumed != 1 {
            return Err(Error::NotFound);
        }
        if let Some((account_id, scope, ev)) = consent {
            put_consent(&mut tx, account_id, &p.client_id, scope, now).await?;
            append_audit(&mut tx, ev, now).await?;
        }
        tx.exec(
            "INSERT INTO saml_participants (chain, client_id, name_id, session_index, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (chain, client_id) \
             DO UPDATE SET name_id = $3, session_index = $4, created_at = $5",
            args![
                &p.chain,
                &p.client_id,
                &p.name_id,
                &p.session_index,
                p.created_at
            ],
        )
        .await?;
        finish_all(tx, audit, now).await
    }

    async fn saml_participants(&self, chain: &str) -> Result<Vec<Participant>> {
        let rows = self
            .pool()
            .all(
                "SELECT chain, client_id, name_id, session_index, created_at FROM saml_participants \
                 WHERE chain = $1 ORDER BY created_at, client_id",
                args![chain],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Participant {
                    chain: r.col("chain")?,
                    client_id: r.col::<String>("client_id")?.into(),
                    name_id: r.col("name_id")?,
                    session_index: r.col("session_index")?,
                    created_at: r.col("created_at")?,
                })
            })
            .collect()
    }

    async fn saml_logout_put(&self, l: &SamlLogout) -> Result<()> {
        self.pool()
            .exec(
                "INSERT INTO saml_logouts (id, stage, record, expires_at) VALUES ($1, $2, $3, $4)",
                args![
                    &l.id,
                    LogoutStage::Asked.as_str(),
                    to_json(l)?,
                    l.expires_at
                ],
            )
            .await?;
        Ok(())
    }

    async fn saml_logout(&self, id: &str) -> Result<Option<(SamlLogout, LogoutStage)>> {
        let Some(r) = self
            .pool()
            .opt(
                "SELECT stage, record FROM saml_logouts WHERE id = $1",
                args![id],
            )
            .await?
        else {
            return Ok(None);
        };
        let stage: String = r.col("stage")?;
        let stage = LogoutStage::parse(&stage)
            .ok_or_else(|| Error::Internal(format!("logout stage {stage}")))?;
        Ok(Some((from_json(&r.col::<String>("record")?)?, stage)))
    }

    async fn saml_logout_run(
        &self,
        l: &SamlLogout,
        chain: &str,
        notices: &[LogoutNotice],
        audit: &AuditEvent,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let moved = tx
            .exec(
                "INSERT INTO saml_logouts (id, stage, record, expires_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (id) DO UPDATE SET stage = $2 WHERE saml_logouts.stage = $5",
                args![
                    &l.id,
                    LogoutStage::Running.as_str(),
                    to_json(l)?,
                    l.expires_at,
                    LogoutStage::Asked.as_str()
                ],
            )
            .await?;
        if moved != 1 {
            return Ok(false);
        }
        for n in notices {
            let rec = NoticeRecord {
                service: n.service.clone(),
                delivery: n.delivery.clone(),
            };
            tx.exec(
                "INSERT INTO saml_logout_notices \
                 (request_id, logout_id, client_id, position, outcome, record, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                args![
                    &n.request_id,
                    &n.logout_id,
                    &n.client_id,
                    n.position,
                    n.outcome.as_str(),
                    to_json(&rec)?,
                    n.expires_at
                ],
            )
            .await?;
        }
        tx.exec(
            "DELETE FROM saml_participants WHERE chain = $1",
            args![chain],
        )
        .await?;
        append_audit(&mut tx, audit, now).await?;
        commit(tx).await?;
        Ok(true)
    }

    async fn saml_logout_notices(&self, logout_id: &str) -> Result<Vec<LogoutNotice>> {
        let rows = self
            .pool()
            .all(
                notices_where!("logout_id = $1 ORDER BY position"),
                args![logout_id],
            )
            .await?;
        rows.iter().map(notice).collect()
    }

    async fn saml_logout_notice(&self, request_id: &str) -> Result<Option<LogoutNotice>> {
        let row = self
            .pool()
            .opt(notices_where!("request_id = $1"), args![request_id])
            .await?;
        row.as_ref().map(notice).transpose()
    }

    async fn saml_logout_answer(
        &self,
        request_id: &str,
        client_id: &ClientId,
        outcome: Outcome,
    ) -> Result<Option<Outcome>> {
        let mut tx = self.begin().await?;
        let n = tx
            .exec(
                "UPDATE saml_logout_notices SET outcome = $1 \
                 WHERE request_id = $2 AND client_id = $3 AND outcome = $4",
                args![
                    outcome.as_str(),
                    request_id,
                    client_id,
                    Outcome::Pending.as_str()
                ],
            )
            .await?;
        let standing = if n == 1 {
            None
        } else {
            let row = tx
                .opt(
                    "SELECT outcome FROM saml_logout_notices WHERE request_id = $1",
                    args![request_id],
                )
                .await?
                .ok_or(Error::NotFound)?;
            let o: String = row.col("outcome")?;
            Some(Outcome::parse(&o).ok_or_else(|| Error::Internal(format!("outcome {o}")))?)
        };
        commit(tx).await?;
        Ok(standing)
    }

    async fn saml_logout_take(&self, id: &str) -> Result<Vec<LogoutNotice>> {
        let mut tx = self.begin().await?;
        let n = tx
            .exec("DELETE FROM saml_logouts WHERE id = $1", args![id])
            .await?;
        if n != 1 {
            return Err(Error::NotFound);
        }
        let rows = tx
            .all(
                notices_where!("logout_id = $1 ORDER BY position"),
                args![id],
            )
            .await?;
        let notices = rows.iter().map(notice).collect::<Result<Vec<_>>>()?;
        tx.exec(
            "DELETE FROM saml_logout_notices WHERE logout_id = $1",
            args![id],
        )
        .await?;
        commit(tx).await?;
        Ok(notices)
    }

    async fn saml_sweep(&self, participants_before: i64, now: i64) -> Result<u64> {
        let mut tx = self.begin().await?;
        let mut n = tx
            .exec(
                "DELETE FROM saml_requests WHERE expires_at < $1",
                args![now],
            )
            .await?;
        n += tx
            .exec("DELETE FROM saml_seen WHERE expires_at < $1", args![now])
            .await?;
        n += tx
            .exec("DELETE FROM saml_logouts WHERE expires_at < $1", args![now])
            .await?;
        n += tx
            .exec(
                "DELETE FROM saml_logout_notices WHERE expires_at < $1",
                args![now],
            )
            .await?;
        n += tx
            .exec(
                "DELETE FROM saml_participants WHERE created_at < $1",
                args![participants_before],
            )
            .await?;
        commit(tx).await?;
        Ok(n)
    }
}
