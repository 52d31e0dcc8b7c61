use async_trait::async_trait;
use npass_core::error::{Error, Result};
use npass_core::model::{Account, AccountStatus, Assurance, AuditEvent, Mail, Profile};
use npass_core::national_id::{NationalId, Scheme};
use npass_core::store::AccountStore;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{SqlStore, append_audit, commit, db, finish};

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

fn account(r: &AnyRow) -> Result<Account> {
    let get = |i: usize| r.try_get::<String, _>(i).map_err(db);
    let scheme = get(2)?;
    Ok(Account {
        id: get(0)?,
        national_id: NationalId {
            value: get(1)?,
            scheme: Scheme::parse(&scheme)
                .ok_or_else(|| Error::Internal(format!("scheme {scheme}")))?,
        },
        profile: Profile {
            given_name: get(3)?,
            family_name: get(4)?,
            birth_date: get(5)?,
            email: get(6)?,
            phone: get(7)?,
            language: get(8)?,
        },
        assurance: Assurance::parse(&get(9)?).ok_or_else(|| Error::Internal("assurance".into()))?,
        status: AccountStatus::parse(&get(10)?).ok_or_else(|| Error::Internal("status".into()))?,
        password_hash: r.try_get::<Option<String>, _>(11).map_err(db)?,
        created_at: r.try_get::<i64, _>(12).map_err(db)?,
    })
}

impl SqlStore {
    async fn account_where(&self, sql: &'static str, value: &str) -> Result<Option<Account>> {
        let row = sqlx::query(sql)
            .bind(value)
            .fetch_optional(self.pool())
            .await
            .map_err(db)?;
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
        let inserted = sqlx::query(
            "INSERT INTO accounts (id, national_id, scheme, given_name, family_name, birth_date, email, \
             phone, language, assurance, status, password_hash, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) \
             ON CONFLICT (national_id) DO NOTHING",
        )
        .bind(&a.id)
        .bind(&a.national_id.value)
        .bind(a.national_id.scheme.as_str())
        .bind(&a.profile.given_name)
        .bind(&a.profile.family_name)
        .bind(&a.profile.birth_date)
        .bind(&a.profile.email)
        .bind(&a.profile.phone)
        .bind(&a.profile.language)
        .bind(a.assurance.as_str())
        .bind(a.status.as_str())
        .bind(a.password_hash.clone())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if inserted.rows_affected() == 0 {
            return Err(Error::Conflict("account-exists"));
        }
        if let Some((hash, expires)) = email_token {
            sqlx::query(
                "INSERT INTO email_tokens (token_hash, account_id, expires_at) VALUES ($1, $2, $3)",
            )
            .bind(hash)
            .bind(&a.id)
            .bind(expires)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
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
        let row = sqlx::query(
            "DELETE FROM email_tokens WHERE token_hash = $1 RETURNING account_id, expires_at",
        )
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let Some(row) = row else {
            return Err(Error::NotFound);
        };
        let account_id: String = row.try_get(0).map_err(db)?;
        let expires: i64 = row.try_get(1).map_err(db)?;
        if expires <= now {
            // Keep the token spent: commit the delete, then say it expired.
            commit(tx).await?;
            return Err(Error::Expired("email-token"));
        }
        sqlx::query("UPDATE accounts SET status = 'active', updated_at = $2 WHERE id = $1 AND status = 'pending'")
            .bind(&account_id)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
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
        let r = sqlx::query("UPDATE accounts SET status = $2, updated_at = $3 WHERE id = $1")
            .bind(account_id)
            .bind(status.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        if r.rows_affected() == 0 {
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
        let r =
            sqlx::query("UPDATE accounts SET password_hash = $2, updated_at = $3 WHERE id = $1")
                .bind(account_id)
                .bind(password_hash)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        if r.rows_affected() == 0 {
            return Err(Error::NotFound);
        }
        finish(tx, audit, mail, now).await
    }
}
