//! E-service roles (schema 19, design note 0019): declared roles, administrators and grants.
//! A grant or withdrawal is written only while its author administers the e-service, decided
//! by the statement itself, so an administrator removed meanwhile changes nothing.

use async_trait::async_trait;
use npass_core::error::Result;
use npass_core::ids::ClientId;
use npass_core::model::AuditEvent;
use npass_core::roles::RoleGrant;
use npass_core::store::RoleStore;

use crate::db::Row;
use crate::{SqlStore, append_audit, args, finish};

/// The grants of declared roles standing at `$2` (unexpired) that match `$where` (on `g`), in
/// `$order`.
macro_rules! standing {
    ($where:literal, $order:literal) => {
        concat!(
            "SELECT g.client_id, g.role, g.account_id, g.granted_by, g.expires_at, g.created_at \
             FROM role_grants g JOIN eservice_roles d \
             ON d.client_id = g.client_id AND d.role = g.role WHERE ",
            $where,
            " AND (g.expires_at IS NULL OR g.expires_at > $2) ORDER BY ",
            $order
        )
    };
}

#[async_trait]
impl RoleStore for SqlStore {
    async fn roles_declare(
        &self,
        client_id: &str,
        roles: &[String],
        audit: &AuditEvent,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        for role in roles {
            let new = tx
                .exec(
                    "INSERT INTO eservice_roles (client_id, role, created_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (client_id, role) DO NOTHING",
                    args![client_id, role, now],
                )
                .await?;
            if new == 1 {
                // A grant that raced a retirement of this name is not revived.
                tx.exec(
                    "DELETE FROM role_grants WHERE client_id = $1 AND role = $2",
                    args![client_id, role],
                )
                .await?;
            }
        }
        finish(tx, audit, None, now).await
    }

    async fn role_retire(
        &self,
        client_id: &str,
        role: &str,
        holder: &(dyn for<'a> Fn(&'a str) -> AuditEvent + Send + Sync),
        audit: &AuditEvent,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let declared = tx
            .exec(
                "DELETE FROM eservice_roles WHERE client_id = $1 AND role = $2",
                args![client_id, role],
            )
            .await?;
        if declared == 0 {
            return Ok(false);
        }
        let held = tx
            .all(
                "DELETE FROM role_grants WHERE client_id = $1 AND role = $2 \
                 RETURNING account_id, expires_at",
                args![client_id, role],
            )
            .await?;
        for r in &held {
            let until: Option<i64> = r.col("expires_at")?;
            if until.is_none_or(|u| u > now) {
                let account_id: String = r.col("account_id")?;
                append_audit(&mut tx, &holder(&account_id), now).await?;
            }
        }
        finish(tx, audit, None, now).await?;
        Ok(true)
    }

    async fn roles_declared(&self, client_id: &str) -> Result<Vec<String>> {
        self.pool()
            .all(
                "SELECT role FROM eservice_roles WHERE client_id = $1 ORDER BY role",
                args![client_id],
            )
            .await?
            .iter()
            .map(|r| r.col("role"))
            .collect()
    }

    async fn service_admin_add(
        &self,
        client_id: &str,
        account_id: &str,
        granted_by: Option<&str>,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<bool> {
        self.exec_one(
            "INSERT INTO eservice_admins (client_id, account_id, granted_by, created_at) \
             SELECT $1, $2, $3, $4 \
             WHERE ($5 = 1 OR EXISTS (SELECT 1 FROM eservice_admins \
             WHERE client_id = $1 AND account_id = $3)) \
             ON CONFLICT (client_id, account_id) DO NOTHING",
            args![
                client_id,
                account_id,
                granted_by.unwrap_or(npass_core::roles::OPERATOR),
                now,
                i64::from(granted_by.is_none())
            ],
            std::slice::from_ref(audit),
            now,
        )
        .await
    }

    async fn service_admin_remove(
        &self,
        client_id: &str,
        account_id: &str,
        by: Option<&str>,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<bool> {
        self.exec_one(
            "DELETE FROM eservice_admins WHERE client_id = $1 AND account_id = $2 \
             AND ($4 = 1 OR ($3 <> $2 AND EXISTS (SELECT 1 FROM eservice_admins a \
             WHERE a.client_id = $1 AND a.account_id = $3)))",
            args![
                client_id,
                account_id,
                by.unwrap_or(""),
                i64::from(by.is_none())
            ],
            std::slice::from_ref(audit),
            now,
        )
        .await
    }

    async fn service_admins(&self, client_id: &str) -> Result<Vec<String>> {
        self.pool()
            .all(
                "SELECT account_id FROM eservice_admins WHERE client_id = $1 \
                 ORDER BY created_at, account_id",
                args![client_id],
            )
            .await?
            .iter()
            .map(|r| r.col("account_id"))
            .collect()
    }

    async fn services_administered(&self, account_id: &str) -> Result<Vec<ClientId>> {
        self.pool()
            .all(
                "SELECT client_id FROM eservice_admins WHERE account_id = $1 ORDER BY client_id",
                args![account_id],
            )
            .await?
            .iter()
            .map(|r| Ok(r.col::<String>("client_id")?.into()))
            .collect()
    }

    async fn role_grant(
        &self,
        g: &RoleGrant,
        by_operator: bool,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<bool> {
        self.exec_one(
            "INSERT INTO role_grants \
             (client_id, role, account_id, granted_by, expires_at, created_at) \
             SELECT $1, $2, $3, $4, $5, $6 \
             WHERE ($7 = 1 OR EXISTS (SELECT 1 FROM eservice_admins \
             WHERE client_id = $1 AND account_id = $4)) \
             AND EXISTS (SELECT 1 FROM eservice_roles WHERE client_id = $1 AND role = $2) \
             ON CONFLICT (client_id, account_id, role) DO UPDATE SET \
             granted_by = excluded.granted_by, expires_at = excluded.expires_at, \
             created_at = excluded.created_at",
            args![
                &g.client_id,
                &g.role,
                &g.account_id,
                &g.granted_by,
                g.expires_at,
                g.created_at,
                i64::from(by_operator)
            ],
            std::slice::from_ref(audit),
            now,
        )
        .await
    }

    async fn role_withdraw(
        &self,
        client_id: &str,
        role: &str,
        account_id: &str,
        by: Option<&str>,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<bool> {
        self.exec_one(
            "DELETE FROM role_grants WHERE client_id = $1 AND role = $2 AND account_id = $3 \
             AND ($5 = 1 OR EXISTS (SELECT 1 FROM eservice_admins \
             WHERE client_id = $1 AND account_id = $4))",
            args![
                client_id,
                role,
                account_id,
                by.unwrap_or(""),
                i64::from(by.is_none())
            ],
            std::slice::from_ref(audit),
            now,
        )
        .await
    }

    async fn roles_of(&self, client_id: &str, account_id: &str, now: i64) -> Result<Vec<String>> {
        self.pool()
            .all(
                "SELECT g.role FROM role_grants g JOIN eservice_roles d \
                 ON d.client_id = g.client_id AND d.role = g.role \
                 WHERE g.client_id = $1 AND g.account_id = $2 \
                 AND (g.expires_at IS NULL OR g.expires_at > $3) ORDER BY g.role",
                args![client_id, account_id, now],
            )
            .await?
            .iter()
            .map(|r| r.col("role"))
            .collect()
    }

    async fn role_grants(&self, client_id: &str, now: i64) -> Result<Vec<RoleGrant>> {
        let sql = standing!("g.client_id = $1", "g.account_id, g.role");
        let rows = self.pool().all(sql, args![client_id, now]).await?;
        rows.iter().map(grant).collect()
    }

    async fn roles_held(&self, account_id: &str, now: i64) -> Result<Vec<RoleGrant>> {
        let sql = standing!("g.account_id = $1", "g.client_id, g.role");
        let rows = self.pool().all(sql, args![account_id, now]).await?;
        rows.iter().map(grant).collect()
    }
}

fn grant(r: &Row) -> Result<RoleGrant> {
    Ok(RoleGrant {
        client_id: r.col::<String>("client_id")?.into(),
        role: r.col("role")?,
        account_id: r.col::<String>("account_id")?.into(),
        granted_by: r.col("granted_by")?,
        expires_at: r.col("expires_at")?,
        created_at: r.col("created_at")?,
    })
}
