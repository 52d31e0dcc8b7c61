use async_trait::async_trait;
use npass_core::error::{Error, Result};
use npass_core::model::{Account, AccountStatus, Assurance, AuditEvent, Mail, Profile};
use npass_core::national_id::{NationalId, Scheme};
use npass_core::store::{AccountStore, ResetStore};

use crate::db::Row;
use crate::{SqlStore, append_audit, args, commit, enqueue_mail, finish, finish_all};

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
        let (row, replacement) = match row {
            Some(r) => (r, None),
            None => {
                let r = tx
                    .opt(
                        "DELETE FROM registration_replacements WHERE token_hash = $1 \
                         RETURNING account_id, expires_at, profile, password_hash",
                        args![token_hash],
                    )
                    .await?;
                let Some(r) = r else {
                    return Err(Error::NotFound);
                };
                let profile: String = r.col("profile")?;
                let profile: Profile = serde_json::from_str(&profile)
                    .map_err(|e| Error::Internal(format!("replacement profile: {e}")))?;
                let hash: String = r.col("password_hash")?;
                (r, Some((profile, hash)))
            }
        };
        let account_id: String = row.col("account_id")?;
        let expires: i64 = row.col("expires_at")?;
        if expires <= now {
            // Keep the token spent: commit the delete, then say it expired.
            commit(tx).await?;
            return Err(Error::Expired("email-token"));
        }
        let is_replacement = replacement.is_some();
        let activated = match replacement {
            None => {
                tx.exec("UPDATE accounts SET status = 'active', updated_at = $2 WHERE id = $1 AND status = 'pending'", args![&account_id, now]).await?
            }
            Some((p, hash)) => {
                tx.exec("UPDATE accounts SET given_name = $2, family_name = $3, birth_date = $4, email = $5, phone = $6, \
                     language = $7, password_hash = $8, status = 'active', updated_at = $9 WHERE id = $1 AND status = 'pending'",
                    args![&account_id, &p.given_name, &p.family_name, &p.birth_date, &p.email, &p.phone, &p.language, hash, now]).await?
            }
        };
        if activated == 1 {
            // The account has its owner now: no other link of it may change it.
            tx.exec(
                "DELETE FROM email_tokens WHERE account_id = $1",
                args![&account_id],
            )
            .await?;
            tx.exec(
                "DELETE FROM registration_replacements WHERE account_id = $1",
                args![&account_id],
            )
            .await?;
        } else if is_replacement {
            // A replacement for an account someone else confirmed first: nothing to confirm.
            commit(tx).await?;
            return Err(Error::NotFound);
        }
        let mut ev = audit.clone();
        ev.account_id = Some(account_id.clone());
        append_audit(&mut tx, &ev, now).await?;
        commit(tx).await?;
        Ok(account_id)
    }

    async fn email_token_add(
        &self,
        account_id: &str,
        token_hash: &str,
        expires_at: i64,
        audit: &AuditEvent,
        mail: &Mail,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.exec(
            "INSERT INTO email_tokens (token_hash, account_id, expires_at) VALUES ($1, $2, $3)",
            args![token_hash, account_id, expires_at],
        )
        .await?;
        finish(tx, audit, Some(mail), now).await
    }

    async fn registration_replace(
        &self,
        account_id: &str,
        token_hash: &str,
        profile: &Profile,
        password_hash: &str,
        expires_at: i64,
        audit: &AuditEvent,
        mail: &Mail,
        now: i64,
    ) -> Result<()> {
        let profile = serde_json::to_string(profile)
            .map_err(|e| Error::Internal(format!("replacement profile: {e}")))?;
        let mut tx = self.begin().await?;
        tx.exec(
            "INSERT INTO registration_replacements (token_hash, account_id, profile, \
             password_hash, expires_at) VALUES ($1, $2, $3, $4, $5)",
            args![token_hash, account_id, profile, password_hash, expires_at],
        )
        .await?;
        finish(tx, audit, Some(mail), now).await
    }

    async fn profile_update(
        &self,
        account_id: &str,
        phone: &str,
        language: &str,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let r = tx
            .exec(
                "UPDATE accounts SET phone = $2, language = $3, updated_at = $4 WHERE id = $1",
                args![account_id, phone, language, now],
            )
            .await?;
        if r == 0 {
            return Err(Error::NotFound);
        }
        finish(tx, audit, None, now).await
    }

    async fn email_change_put(
        &self,
        account_id: &str,
        token_hash: &str,
        new_email: &str,
        expires_at: i64,
        audit: &AuditEvent,
        mails: &[Mail],
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        // One change waits at a time: a new request replaces the one before.
        tx.exec(
            "DELETE FROM email_changes WHERE account_id = $1 OR expires_at <= $2",
            args![account_id, now],
        )
        .await?;
        tx.exec(
            "INSERT INTO email_changes (token_hash, account_id, new_email, expires_at) \
             VALUES ($1, $2, $3, $4)",
            args![token_hash, account_id, new_email, expires_at],
        )
        .await?;
        for m in mails {
            crate::enqueue_mail(&mut tx, Some(m), now).await?;
        }
        finish(tx, audit, None, now).await
    }

    async fn email_change(&self, token_hash: &str, now: i64) -> Result<Option<(String, String)>> {
        let row = self
            .pool()
            .opt(
                "SELECT account_id, new_email FROM email_changes \
                 WHERE token_hash = $1 AND expires_at > $2",
                args![token_hash, now],
            )
            .await?;
        row.map(|r| Ok((r.col("account_id")?, r.col("new_email")?)))
            .transpose()
    }

    async fn email_change_apply(
        &self,
        token_hash: &str,
        account_id: &str,
        audit: &AuditEvent,
        mail: &Mail,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let row = tx
            .opt(
                "DELETE FROM email_changes WHERE token_hash = $1 AND account_id = $2 \
                 AND expires_at > $3 RETURNING new_email",
                args![token_hash, account_id, now],
            )
            .await?;
        let Some(row) = row else {
            return Ok(false);
        };
        let email: String = row.col("new_email")?;
        tx.exec(
            "UPDATE accounts SET email = $2, updated_at = $3 WHERE id = $1",
            args![account_id, email, now],
        )
        .await?;
        finish(tx, audit, Some(mail), now).await?;
        Ok(true)
    }

    async fn account_delete(
        &self,
        account: &Account,
        audit: &[AuditEvent],
        mail: &Mail,
        now: i64,
    ) -> Result<()> {
        let id = account.id.as_str();
        let nid = account.national_id.value.as_str();
        let mut tx = self.begin().await?;
        crate::oidc::revoke(&mut tx, crate::oidc::Revoke::Account, id, now).await?;
        for sql in [
            "DELETE FROM sessions WHERE account_id = $1",
            "DELETE FROM consents WHERE account_id = $1",
            "DELETE FROM totp_credentials WHERE account_id = $1",
            "DELETE FROM totp_pending WHERE account_id = $1",
            "DELETE FROM recovery_codes WHERE account_id = $1",
            "DELETE FROM email_tokens WHERE account_id = $1",
            "DELETE FROM reset_tokens WHERE account_id = $1",
            "DELETE FROM registration_replacements WHERE account_id = $1",
            "DELETE FROM email_changes WHERE account_id = $1",
            "DELETE FROM login_transactions WHERE account_id = $1",
            "DELETE FROM passkeys WHERE account_id = $1",
            "DELETE FROM app_grants WHERE account_id = $1",
            "DELETE FROM app_requests WHERE account_id = $1",
            "DELETE FROM app_push WHERE account_id = $1",
            "DELETE FROM account_pictures WHERE account_id = $1",
            // Access control (design note 0019): what was granted to the account, and the
            // mandates it gave or held, end with it.
            "DELETE FROM role_grants WHERE account_id = $1",
            "DELETE FROM eservice_admins WHERE account_id = $1",
            "DELETE FROM org_members WHERE account_id = $1",
            "DELETE FROM mandates WHERE mandator = $1 OR representative = $1",
            "DELETE FROM acting_choices WHERE account_id = $1",
        ] {
            tx.exec(sql, args![id]).await?;
        }
        // The counters named by the identifier or the account.
        for key in [
            format!("pwd:{nid}"),
            format!("otp:{nid}"),
            format!("enrol:{id}"),
            format!("register-attempt:{id}"),
            format!("reset-mail:{nid}"),
            format!("resend:{id}"),
        ] {
            tx.exec("DELETE FROM throttles WHERE throttle_key = $1", args![key])
                .await?;
        }
        let r = tx
            .exec("DELETE FROM accounts WHERE id = $1", args![id])
            .await?;
        if r == 0 {
            return Err(Error::NotFound);
        }
        enqueue_mail(&mut tx, Some(mail), now).await?;
        finish_all(tx, audit, now).await
    }

    async fn purge_unconfirmed(&self, created_before: i64) -> Result<u64> {
        let mut tx = self.begin().await?;
        let gone = tx
            .all(
                "DELETE FROM accounts WHERE status = 'pending' AND created_at < $1 RETURNING id",
                args![created_before],
            )
            .await?;
        for r in &gone {
            let id: String = r.col("id")?;
            for sql in [
                "DELETE FROM email_tokens WHERE account_id = $1",
                "DELETE FROM registration_replacements WHERE account_id = $1",
            ] {
                tx.exec(sql, args![&id]).await?;
            }
        }
        commit(tx).await?;
        Ok(gone.len() as u64)
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
        keep_session: &str,
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
        tx.exec(
            "DELETE FROM sessions WHERE account_id = $1 AND id_hash <> $2",
            args![account_id, keep_session],
        )
        .await?;
        // A new password ends what e-services hold from before it (SECURITY.md, refresh tokens).
        crate::oidc::revoke(&mut tx, crate::oidc::Revoke::Account, account_id, now).await?;
        finish(tx, audit, mail, now).await
    }
}

#[async_trait]
impl ResetStore for SqlStore {
    async fn reset_token_put(
        &self,
        account_id: &str,
        token_hash: &str,
        expires_at: i64,
        audit: &AuditEvent,
        mail: &Mail,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        // Expired links of anyone go with each new one, so the table holds only live links.
        tx.exec(
            "DELETE FROM reset_tokens WHERE expires_at <= $1",
            args![now],
        )
        .await?;
        tx.exec(
            "INSERT INTO reset_tokens (token_hash, account_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
            args![token_hash, account_id, now, expires_at],
        )
        .await?;
        finish(tx, audit, Some(mail), now).await
    }

    async fn reset_token(&self, token_hash: &str, now: i64) -> Result<Option<String>> {
        let row = self
            .pool()
            .opt(
                "SELECT account_id FROM reset_tokens WHERE token_hash = $1 AND expires_at > $2",
                args![token_hash, now],
            )
            .await?;
        row.map(|r| r.col::<String>("account_id")).transpose()
    }

    async fn password_reset(
        &self,
        token_hash: &str,
        account_id: &str,
        password_hash: &str,
        audit: &AuditEvent,
        mail: &Mail,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let spent = tx
            .exec(
                "DELETE FROM reset_tokens WHERE token_hash = $1 AND account_id = $2 \
                 AND expires_at > $3",
                args![token_hash, account_id, now],
            )
            .await?;
        if spent != 1 {
            // Dropped uncommitted: spent by another request, or expired.
            return Ok(false);
        }
        let r = tx
            .exec(
                "UPDATE accounts SET password_hash = $2, updated_at = $3 WHERE id = $1",
                args![account_id, password_hash, now],
            )
            .await?;
        if r == 0 {
            return Err(Error::NotFound);
        }
        tx.exec(
            "DELETE FROM reset_tokens WHERE account_id = $1",
            args![account_id],
        )
        .await?;
        // Every session, and every login under way that a proof from before could finish.
        for sql in [
            "DELETE FROM sessions WHERE account_id = $1",
            "DELETE FROM login_transactions WHERE account_id = $1",
        ] {
            tx.exec(sql, args![account_id]).await?;
        }
        crate::oidc::revoke(&mut tx, crate::oidc::Revoke::Account, account_id, now).await?;
        finish(tx, audit, Some(mail), now).await?;
        Ok(true)
    }
}
