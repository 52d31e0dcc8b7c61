//! Mandates and the contexts citizens chose at login (schema 21, design note 0019).

use async_trait::async_trait;
use npass_core::error::{Error, Result};
use npass_core::mandates::{Mandate, MandateState};
use npass_core::model::AuditEvent;
use npass_core::store::MandateStore;

use crate::db::Row;
use crate::{SqlStore, args};

macro_rules! columns {
    () => {
        "id, mandator, representative, services, state, expires_at, created_at"
    };
}

fn mandate(r: &Row) -> Result<Mandate> {
    let state: String = r.col("state")?;
    Ok(Mandate {
        id: r.col("id")?,
        mandator: r.col::<String>("mandator")?.into(),
        representative: r.col::<String>("representative")?.into(),
        services: r
            .col::<String>("services")?
            .split_whitespace()
            .map(|s| s.to_owned().into())
            .collect(),
        state: MandateState::parse(&state)
            .ok_or_else(|| Error::Internal(format!("mandate state {state}")))?,
        expires_at: r.col("expires_at")?,
        created_at: r.col("created_at")?,
    })
}

#[async_trait]
impl MandateStore for SqlStore {
    async fn mandate_put(&self, m: &Mandate, audit: &[AuditEvent], now: i64) -> Result<()> {
        let services: Vec<&str> = m.services.iter().map(|s| s.as_str()).collect();
        let sql = concat!(
            "INSERT INTO mandates (",
            columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7)"
        );
        let params = args![
            &m.id,
            m.mandator.as_str(),
            m.representative.as_str(),
            services.join(" "),
            m.state.as_str(),
            m.expires_at,
            m.created_at
        ];
        if self.exec_one(sql, params, audit, now).await? {
            Ok(())
        } else {
            Err(Error::Conflict("mandate-exists"))
        }
    }

    async fn mandate(&self, id: &str) -> Result<Option<Mandate>> {
        self.pool()
            .opt(
                concat!("SELECT ", columns!(), " FROM mandates WHERE id = $1"),
                args![id],
            )
            .await?
            .as_ref()
            .map(mandate)
            .transpose()
    }

    async fn mandate_accept(
        &self,
        id: &str,
        representative: &str,
        audit: &[AuditEvent],
        now: i64,
    ) -> Result<bool> {
        self.exec_one(
            "UPDATE mandates SET state = 'active' WHERE id = $1 AND representative = $2 \
             AND state = 'offered' AND expires_at > $3",
            args![id, representative, now],
            audit,
            now,
        )
        .await
    }

    async fn mandate_end(
        &self,
        id: &str,
        by: Option<&str>,
        audit: &[AuditEvent],
        now: i64,
    ) -> Result<bool> {
        self.exec_one(
            "DELETE FROM mandates WHERE id = $1 \
             AND ($3 = 1 OR mandator = $2 OR representative = $2)",
            args![id, by.unwrap_or(""), i64::from(by.is_none())],
            audit,
            now,
        )
        .await
    }

    async fn mandates_of(&self, account_id: &str, now: i64) -> Result<Vec<Mandate>> {
        self.pool()
            .all(
                concat!(
                    "SELECT ",
                    columns!(),
                    " FROM mandates WHERE (mandator = $1 OR representative = $1) \
                     AND expires_at > $2 ORDER BY created_at, id"
                ),
                args![account_id, now],
            )
            .await?
            .iter()
            .map(mandate)
            .collect()
    }

    async fn mandates_sweep(&self, now: i64) -> Result<u64> {
        self.pool()
            .exec("DELETE FROM mandates WHERE expires_at <= $1", args![now])
            .await
    }

    async fn acting_choice(&self, account_id: &str, client_id: &str) -> Result<Option<String>> {
        self.pool()
            .opt(
                "SELECT choice FROM acting_choices WHERE account_id = $1 AND client_id = $2",
                args![account_id, client_id],
            )
            .await?
            .map(|r| r.col("choice"))
            .transpose()
    }

    async fn acting_choice_put(
        &self,
        account_id: &str,
        client_id: &str,
        choice: &str,
        now: i64,
    ) -> Result<()> {
        self.pool()
            .exec(
                "INSERT INTO acting_choices (account_id, client_id, choice, updated_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (account_id, client_id) \
                 DO UPDATE SET choice = excluded.choice, updated_at = excluded.updated_at",
                args![account_id, client_id, choice, now],
            )
            .await?;
        Ok(())
    }
}
