//! A citizen's own account: contact details, the preferred language, a new email address
//! (confirmed at the new address, the old one told), and deleting the account (design note
//! 0013).

use std::sync::Arc;

use serde_json::json;

use crate::audit;
use crate::error::{Error, Result};
use crate::login::{Client, SessionEnded};
use crate::model::{Account, Session};
use crate::register::{check_email, check_phone};
use crate::rng;
use crate::service::{Env, digest};
use crate::store::{AccountStore, MandateStore, SessionStore};

/// How long a link to confirm a new email address works.
pub const EMAIL_CHANGE_TTL_MS: i64 = 24 * 60 * 60 * 1000;
const TOKEN_MAX: usize = 100;

pub struct OwnAccount {
    pub(crate) accounts: Arc<dyn AccountStore>,
    pub(crate) sessions: Arc<dyn SessionStore>,
    pub(crate) mandates: Arc<dyn MandateStore>,
    pub(crate) env: Env,
    pub(crate) ended: Arc<dyn SessionEnded>,
}

impl OwnAccount {
    /// Sets the phone number (validated, stored as E.164; empty removes it) and the preferred
    /// language (one the caller checked is enabled).
    pub async fn update_contact(
        &self,
        account: &Account,
        phone: &str,
        language: &str,
        client: &Client,
    ) -> Result<()> {
        let phone = check_phone(phone, &self.env.policy.phone_region)?;
        let ev = audit::event(
            "account.contact-changed",
            Some(&account.id),
            Some(&client.ip),
            json!({"phone": phone != account.profile.phone, "language": language}),
        );
        self.accounts
            .profile_update(&account.id, &phone, language, &ev, self.env.now())
            .await
    }

    /// Asks to move the account to `new_email`: a link goes to the new address, and the old
    /// one is told (in case it was not the citizen). Nothing changes until the link is used.
    pub async fn request_email_change(
        &self,
        account: &Account,
        new_email: &str,
        client: &Client,
    ) -> Result<()> {
        let new_email = new_email.trim();
        check_email(new_email)?;
        if new_email.eq_ignore_ascii_case(&account.profile.email) {
            return Err(Error::invalid("email", "email-same"));
        }
        let now = self.env.now();
        let token = rng::token(self.env.rng.as_ref());
        let link = format!(
            "{}/account/email/confirm?token={token}",
            self.env.policy.public_url.trim_end_matches('/')
        );
        let lang = &account.profile.language;
        let mails = [
            self.env
                .mail(new_email, lang, "email-change-confirm", &[("link", &link)]),
            self.env.mail(
                &account.profile.email,
                lang,
                "email-change-requested",
                &[("email", new_email)],
            ),
        ];
        let ev = audit::event(
            "account.email-change-requested",
            Some(&account.id),
            Some(&client.ip),
            json!({}),
        );
        self.accounts
            .email_change_put(
                &account.id,
                &digest(&token),
                new_email,
                now + EMAIL_CHANGE_TTL_MS,
                &ev,
                &mails,
                now,
            )
            .await?;
        (self.env.mail_waker)();
        Ok(())
    }

    /// The new address a link would confirm: `Expired` for a link unknown, spent or expired.
    pub async fn email_change_of(&self, token: &str) -> Result<String> {
        if token.is_empty() || token.len() > TOKEN_MAX {
            return Err(Error::Expired("email-change"));
        }
        self.accounts
            .email_change(&digest(token), self.env.now())
            .await?
            .map(|(_, email)| email)
            .ok_or(Error::Expired("email-change"))
    }

    /// Follows the link sent to the new address: the account takes it, once; the old address
    /// is told.
    pub async fn confirm_email_change(&self, token: &str, client: &Client) -> Result<()> {
        if token.is_empty() || token.len() > TOKEN_MAX {
            return Err(Error::Expired("email-change"));
        }
        let now = self.env.now();
        let (account_id, new_email) = self
            .accounts
            .email_change(&digest(token), now)
            .await?
            .ok_or(Error::Expired("email-change"))?;
        let account = self
            .accounts
            .account_by_id(&account_id)
            .await?
            .ok_or(Error::Expired("email-change"))?;
        let mail = self.env.mail(
            &account.profile.email,
            &account.profile.language,
            "email-changed",
            &[("email", &new_email)],
        );
        let ev = audit::event(
            "account.email-changed",
            Some(&account.id),
            Some(&client.ip),
            json!({}),
        );
        if !self
            .accounts
            .email_change_apply(&digest(token), &account.id, &ev, &mail, now)
            .await?
        {
            return Err(Error::Expired("email-change"));
        }
        (self.env.mail_waker)();
        Ok(())
    }

    /// Deletes the account (the caller made sure the login is recent): e-services hear of
    /// the end of its sessions and lose every grant; its data go, with the roles and mandates
    /// it held or gave (each mandate's other citizen sees it ended in their history); the
    /// audit trail stays; the identifier is free to register again; a last email says so.
    pub async fn delete(
        &self,
        account: &Account,
        session: &Session,
        client: &Client,
    ) -> Result<()> {
        let now = self.env.now();
        if now - session.auth_time > self.env.policy.fresh_login_ms {
            return Err(Error::Forbidden("fresh-login"));
        }
        // Told while the account still exists: the logout tokens name its pairwise subjects.
        for s in self.sessions.sessions_for_account(&account.id, now).await? {
            self.ended.session_ended(&s.chain, &account.id).await?;
        }
        let mail = self.env.mail(
            &account.profile.email,
            &account.profile.language,
            "account-deleted",
            &[],
        );
        let mut events = vec![audit::event(
            "account.deleted",
            Some(&account.id),
            Some(&client.ip),
            json!({"scheme": account.national_id.scheme.as_str(), "by": "citizen"}),
        )];
        for m in self.mandates.mandates_of(&account.id, now).await? {
            let other = if m.mandator == account.id {
                &m.representative
            } else {
                &m.mandator
            };
            events.push(audit::event(
                "mandates.ended",
                Some(other),
                Some(&client.ip),
                crate::mandates::detail(&m, &account.id),
            ));
        }
        self.accounts
            .account_delete(account, &events, &mail, now)
            .await?;
        (self.env.mail_waker)();
        Ok(())
    }
}
