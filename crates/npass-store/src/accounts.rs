use async_trait::async_trait;
use npass_core::error::{Error, Result};
use npass_core::model::{Account, AccountStatus, Assurance, AuditEvent, Mail, Profile};
use npass_core::national_id::{NationalId, Scheme};
use npass_core::store::AccountStore;

use crate::db::Row;
use crate::{SqlStore, append_audit, args, commit, finish};

macro_rules! select_account {
    ($column:literal) => {
        concat!(
            "SELECT id, national_id, scheme, given_name, family_name, birth_date, email, phone, \
             language, assurance, status, password_hash, created_at FROM accounts WHERE ",
            $column,
            " = $1"
        )
    };
}

fn account(r: &Row) -> Result<Account> {
    let get = |c: &str| r.col::<String>(c);
    let scheme = get("scheme")?;
    Ok(Account {
        id: get("id")?.into(),
        national_id: NationalId {
            value: get("national_id")?,
            scheme: Scheme::parse(&scheme)
                .ok_or_else(|| Error::Internal(format!("scheme {scheme}")))?,
        },
        profile: Profile {
            given_name: get("given_name")?,
            family_name: get("family_name")?,
            birth_date: get("birth_date")?,
            email: get("email")?,
            phone: get("phone")?,
            language: get("language")?,
        },
        assurance: Assurance::parse(&get("assurance")?)
            .ok_or_else(|| Error::Internal("assurance".into()))?,
        status: AccountStatus::parse(&get("status")?)
            .ok_or_else(|| Error::Internal("status".into()))?,
        password_hash: r.col::<Option<String>>("password_hash")?,
        created_at: r.col::<i64>("created_at")?,
    })
}

impl SqlStore {
    async fn account_where(&self, sql: &'static str, value: &str) -> Result<Option<Account>> {
        let row = self.pool().opt(sql, args![value]).await?;
        row.as_ref().map(account).transpose()
    }
}

#[async_trait]
impl AccountStore for SqlStore {
    async fn create_account(
        &self,
        a: &Account,
        email_token: Option<(&str, i64)>,
        mail: Option<&Mail>,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let inserted = tx.exec("INSERT INTO accounts (id, national_id, scheme, given_name, family_name, birth_date, email, \
             phone, language, assurance, status, password_hash, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) \
             ON CONFLICT (national_id) DO NOTHING", args![&a.id, &a.national_id.value, a.national_id.scheme.as_str(), &a.profile.given_name, &a.profile.family_name, &a.profile.birth_date, &a.profile.email, &a.profile.phone, &a.profile.language, a.assurance.as_str(), a.status.as_str(), a.password_hash.clone(), now]).await?;
        if inserted == 0 {
            return Err(Error::Conflict("account-exists"));
        }
        if let Some((hash, expires)) = email_token {
            tx.exec(
                "INSERT INTO email_tokens (token_hash, account_id, expires_at) VALUES ($1, $2, $3)",
                args![hash, &a.id, expires],
            )
            .await?;
        }
        finish(tx, audit, mail, now).await
    }

    async fn account_by_national_id(&self, national_id: &str) -> Result<Option<Account>> {
        self.account_where(select_account!("national_id"), national_id)
            .await
    }

    async fn account_by_id(&self, id: &str) -> Result<Option<Account>> {
        self.account_where(select_account!("id"), id).await
    }

    async fn confirm_email(
        &self,
        token_hash: &str,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<String> {
        let mut tx = self.begin().await?;
        let row = tx
            .opt(
                "DELETE FROM email_tokens WHERE token_hash = $1 RETURNING account_id, expires_at",
                args![token_hash],
            )
            .await?;
        let Some(row) = row else {
            return Err(Error::NotFound);
        };
        let account_id: String = row.col("account_id")?;
        let expires: i64 = row.col("expires_at")?;
        if expires <= now {
            // Keep the token spent: commit the delete, then say it expired.
            commit(tx).await?;
            return Err(Error::Expired("email-token"));
        }
        tx.exec("UPDATE accounts SET status = 'active', updated_at = $2 WHERE id = $1 AND status = 'pending'", args![&account_id, now]).await?;
        let mut ev = audit.clone();
        ev.account_id = Some(account_id.clone());
        append_audit(&mut tx, &ev, now).await?;
        commit(tx).await?;
        Ok(account_id)
    }

    async fn set_status(
        &self,
        account_id: &str,
        status: AccountStatus,
        audit: &AuditEvent,
        mail: Option<&Mail>,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let r = tx
            .exec(
                "UPDATE accounts SET status = $2, updated_at = $3 WHERE id = $1",
                args![account_id, status.as_str(), now],
            )
            .await?;
        if r == 0 {
            return Err(Error::NotFound);
        }
        finish(tx, audit, mail, now).await
    }

    async fn set_password(
        &self,
        account_id: &str,
        password_hash: &str,
        audit: &AuditEvent,
        mail: Option<&Mail>,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let r = tx
            .exec(
                "UPDATE accounts SET password_hash = $2, updated_at = $3 WHERE id = $1",
                args![account_id, password_hash, now],
            )
            .await?;
        if r == 0 {
            return Err(Error::NotFound);
        }
        // A new password ends what e-services hold from before it (SECURITY.md, refresh tokens).
        crate::oidc::revoke(&mut tx, crate::oidc::Revoke::Account, account_id, now).await?;
        finish(tx, audit, mail, now).await
    }
}
