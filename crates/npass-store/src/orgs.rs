//! Organisations and their members (schema 20, design note 0019).

use async_trait::async_trait;
use npass_core::error::{Error, Result};
use npass_core::model::AuditEvent;
use npass_core::orgs::{MemberKind, Membership, OrgEntry};
use npass_core::store::OrgStore;

use crate::db::Row;
use crate::oidc::{from_json, to_json};
use crate::{SqlStore, args, finish};

fn entry(r: &Row) -> Result<OrgEntry> {
    Ok(OrgEntry {
        id: r.col("id")?,
        number: r.col("number")?,
        name: r.col("name")?,
        source: r.col("source")?,
        created_at: r.col("created_at")?,
    })
}

fn member(r: &Row) -> Result<Membership> {
    let kind: String = r.col("kind")?;
    Ok(Membership {
        org_id: r.col("org_id")?,
        account_id: r.col::<String>("account_id")?.into(),
        kind: MemberKind::parse(&kind)
            .ok_or_else(|| Error::Internal(format!("member kind {kind}")))?,
        roles: from_json(&r.col::<String>("roles")?)?,
        granted_by: r.col("granted_by")?,
        expires_at: r.col("expires_at")?,
        created_at: r.col("member_since")?,
    })
}

#[async_trait]
impl OrgStore for SqlStore {
    async fn orgs_upsert(&self, entries: &[OrgEntry], audit: &AuditEvent, now: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        for e in entries {
            tx.exec(
                "INSERT INTO organizations (id, number, name, source, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $5) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at",
                args![&e.id, &e.number, &e.name, &e.source, now],
            )
            .await?;
        }
        finish(tx, audit, None, now).await
    }

    async fn org(&self, id: &str) -> Result<Option<OrgEntry>> {
        self.pool()
            .opt(
                "SELECT id, number, name, source, created_at FROM organizations WHERE id = $1",
                args![id],
            )
            .await?
            .as_ref()
            .map(entry)
            .transpose()
    }

    async fn org_member_put(
        &self,
        m: &Membership,
        by_operator: bool,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<bool> {
        self.exec_one(
            "INSERT INTO org_members \
             (org_id, account_id, kind, roles, granted_by, expires_at, created_at) \
             SELECT $1, $2, $3, $4, $5, $6, $7 \
             WHERE ($8 = 1 OR EXISTS (SELECT 1 FROM org_members WHERE org_id = $1 \
             AND account_id = $5 AND kind = 'admin' \
             AND (expires_at IS NULL OR expires_at > $7))) \
             ON CONFLICT (org_id, account_id) DO UPDATE SET kind = excluded.kind, \
             roles = excluded.roles, granted_by = excluded.granted_by, \
             expires_at = excluded.expires_at, created_at = excluded.created_at \
             WHERE $8 = 1 OR org_members.kind = 'representative'",
            args![
                &m.org_id,
                &m.account_id,
                m.kind.as_str(),
                to_json(&m.roles)?,
                &m.granted_by,
                m.expires_at,
                m.created_at,
                i64::from(by_operator)
            ],
            std::slice::from_ref(audit),
            now,
        )
        .await
    }

    async fn org_member_remove(
        &self,
        org_id: &str,
        account_id: &str,
        by: Option<&str>,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<bool> {
        self.exec_one(
            "DELETE FROM org_members WHERE org_id = $1 AND account_id = $2 \
             AND ($4 = 1 OR kind = 'representative') AND ($4 = 1 OR EXISTS (SELECT 1 FROM org_members a WHERE a.org_id = $1 \
             AND a.account_id = $3 AND a.kind = 'admin' \
             AND (a.expires_at IS NULL OR a.expires_at > $5)))",
            args![
                    org_id,
                    account_id,
                    by.unwrap_or(""),
                    i64::from(by.is_none()),
                    now
                ],
            std::slice::from_ref(audit),
            now,
        )
        .await
    }

    async fn org_members(&self, org_id: &str, now: i64) -> Result<Vec<Membership>> {
        self.pool()
            .all(
                "SELECT org_id, account_id, kind, roles, granted_by, expires_at, \
                 created_at AS member_since FROM org_members WHERE org_id = $1 \
                 AND (expires_at IS NULL OR expires_at > $2) ORDER BY kind, account_id",
                args![org_id, now],
            )
            .await?
            .iter()
            .map(member)
            .collect()
    }

    async fn memberships_of(
        &self,
        account_id: &str,
        now: i64,
    ) -> Result<Vec<(OrgEntry, Membership)>> {
        self.pool()
            .all(
                "SELECT o.id, o.number, o.name, o.source, o.created_at, m.org_id, m.account_id, \
                 m.kind, m.roles, m.granted_by, m.expires_at, m.created_at AS member_since \
                 FROM org_members m JOIN organizations o ON o.id = m.org_id \
                 WHERE m.account_id = $1 AND (m.expires_at IS NULL OR m.expires_at > $2) \
                 ORDER BY o.name, o.id",
                args![account_id, now],
            )
            .await?
            .iter()
            .map(|r| Ok((entry(r)?, member(r)?)))
            .collect()
    }
}
