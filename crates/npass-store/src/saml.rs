//! The SAML identity provider's tables (schema 16): parked requests, seen message IDs and the
//! services each session chain answered.

use async_trait::async_trait;
use npass_core::error::{Error, Result};
use npass_core::model::AuditEvent;
use npass_core::saml::{Participant, SamlRequest};
use npass_core::store::SamlStore;

use crate::oidc::{from_json, put_consent, to_json};
use crate::{SqlStore, append_audit, args, commit, finish};

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
        audit: &AuditEvent,
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
        finish(tx, audit, None, now).await
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
            .exec(
                "DELETE FROM saml_participants WHERE created_at < $1",
                args![participants_before],
            )
            .await?;
        commit(tx).await?;
        Ok(n)
    }
}
