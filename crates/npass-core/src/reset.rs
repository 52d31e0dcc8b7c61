//! A forgotten password, reset by an emailed link (MauPass's ForgotPassword; design note 0011).
//! The link sets a new password and nothing else: it never opens a session, so the second
//! factor still stands at the next login.

use std::sync::Arc;

use serde_json::json;

use crate::audit;
use crate::error::{Error, Result};
use crate::login::{Client, SessionEnded};
use crate::model::{Account, AccountStatus};
use crate::national_id;
use crate::password::Hashing;
use crate::rng;
use crate::service::{Env, Rule, Throttles, digest};
use crate::store::{AccountStore, AuditStore, ResetStore, SessionStore};

/// An account gets at most one link this often, so the form cannot flood a mailbox.
pub const RESET_MAIL_INTERVAL_MS: i64 = 5 * 60 * 1000;
/// The longest token a link carries (ours have 43 characters).
const TOKEN_MAX: usize = 100;

/// Forgotten passwords, over the account, reset-link, session and audit ports.
pub struct PasswordResets {
    pub(crate) accounts: Arc<dyn AccountStore>,
    pub(crate) resets: Arc<dyn ResetStore>,
    pub(crate) sessions: Arc<dyn SessionStore>,
    pub(crate) audit: Arc<dyn AuditStore>,
    pub(crate) throttles: Throttles,
    pub(crate) env: Env,
    pub(crate) hashing: Hashing,
    pub(crate) ended: Arc<dyn SessionEnded>,
}

impl PasswordResets {
    /// Asks for a link for `national_id`. The answer is the same whatever the identifier names
    /// (an invalid one excepted: its message names the problem), after one write either way:
    /// a link and its email for an active account, else an audit row.
    pub async fn request(&self, national_id: &str, client: &Client) -> Result<()> {
        let nid = national_id::parse(national_id, &self.env.policy.schemes)?;
        // The address's attempt, before anything is looked up; it is never given back.
        self.throttles
            .take(&[(&format!("forgot-ip:{}", client.ip), Rule::Address)], &[])
            .await?;
        let now = self.env.now();
        let account = self.accounts.account_by_national_id(&nid.value).await?;
        let active = account.filter(|a| a.status == AccountStatus::Active);
        // Keyed by the identifier and asked whatever it names, so a known and an unknown one
        // cost the same writes.
        let due = self
            .throttles
            .first_in(&format!("reset-mail:{}", nid.value), RESET_MAIL_INTERVAL_MS)
            .await?;
        match active {
            Some(a) if due => self.send_link(&a, client, now).await,
            other => {
                let ev = audit::event(
                    "password.reset-not-sent",
                    other.as_ref().map(|a| a.id.as_str()),
                    Some(&client.ip),
                    json!({"user_agent": client.user_agent}),
                );
                self.audit.audit_append(&ev, None, now).await
            }
        }
    }

    async fn send_link(&self, a: &Account, client: &Client, now: i64) -> Result<()> {
        let token = rng::token(self.env.rng.as_ref());
        let link = format!(
            "{}/password/reset?token={token}",
            self.env.policy.public_url.trim_end_matches('/')
        );
        let minutes = (self.env.policy.reset_token_ttl_ms / 60_000).to_string();
        let mail = self.env.mail(
            &a.profile.email,
            &a.profile.language,
            "password-reset-link",
            &[("link", &link), ("minutes", &minutes)],
        );
        let ev = audit::event(
            "password.reset-requested",
            Some(&a.id),
            Some(&client.ip),
            json!({"user_agent": client.user_agent}),
        );
        self.resets
            .reset_token_put(
                &a.id,
                &digest(&token),
                now + self.env.policy.reset_token_ttl_ms,
                &ev,
                &mail,
                now,
            )
            .await?;
        (self.env.mail_waker)();
        Ok(())
    }

    /// The account a link resets: `Expired` for a link unknown, spent or expired (they look
    /// alike from outside).
    pub async fn account_of(&self, token: &str) -> Result<Account> {
        if token.is_empty() || token.len() > TOKEN_MAX {
            return Err(Error::Expired("reset-link"));
        }
        let id = self
            .resets
            .reset_token(&digest(token), self.env.now())
            .await?
            .ok_or(Error::Expired("reset-link"))?;
        self.accounts
            .account_by_id(&id)
            .await?
            .ok_or(Error::Expired("reset-link"))
    }

    /// Sets the new password through the link, once: every session of the account ends, the
    /// e-services' grants are revoked (and they are told of the sessions' end), the citizen is
    /// emailed. No session starts.
    pub async fn reset(
        &self,
        token: &str,
        password: &str,
        confirm: &str,
        client: &Client,
    ) -> Result<()> {
        let account = self.account_of(token).await?;
        let hash = self
            .hashing
            .new_password_for(&self.env, &account, password, confirm)
            .await?;
        let now = self.env.now();
        let sessions = self.sessions.sessions_for_account(&account.id, now).await?;
        let ev = audit::event(
            "password.reset",
            Some(&account.id),
            Some(&client.ip),
            json!({"by": "email", "sessions_ended": sessions.len()}),
        );
        let mail = self.env.mail(
            &account.profile.email,
            &account.profile.language,
            "password-changed",
            &[],
        );
        // The e-services are told before the grants they would be told of are revoked.
        for s in &sessions {
            self.ended.session_ended(&s.chain, &account.id).await?;
        }
        let done = self
            .resets
            .password_reset(&digest(token), &account.id, &hash, &ev, &mail, now)
            .await?;
        if !done {
            return Err(Error::Expired("reset-link"));
        }
        (self.env.mail_waker)();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login::LoginInput;
    use crate::service::Policy;
    use crate::testing::{Fixture, PASSWORD, account};

    const ION: &str = "2000000000004";
    const NEW: &str = "a quiet morning by the Nistru river";

    fn client() -> Client {
        Client {
            ip: "192.0.2.9".into(),
            user_agent: "unit".into(),
        }
    }

    /// The token of the newest reset link mailed, if any.
    fn last_link(f: &Fixture) -> Option<String> {
        f.store
            .mails()
            .iter()
            .rev()
            .find(|m| m.kind == "password-reset-link")
            .and_then(|m| m.params.iter().find(|(k, _)| k == "link"))
            .and_then(|(_, v)| v.split("token=").nth(1).map(str::to_owned))
    }

    fn reset_mails(f: &Fixture) -> usize {
        f.store
            .mails()
            .iter()
            .filter(|m| m.kind == "password-reset-link")
            .count()
    }

    async fn log_in(f: &Fixture, password: &str) -> bool {
        let input = LoginInput {
            pre_id: String::new(),
            national_id: ION.into(),
            password: password.to_owned().into(),
            code: String::new().into(),
        };
        f.logins.login(input, &client(), None).await.is_ok()
    }

    #[tokio::test]
    async fn a_link_sets_the_password_once_and_ends_every_session() {
        let f = Fixture::new(Policy::default());
        let a = account(&f, ION, AccountStatus::Active).await;
        assert!(log_in(&f, PASSWORD).await);
        assert_eq!(f.store.sessions().len(), 1);

        f.resets
            .request("2000 0000 0000 4", &client())
            .await
            .unwrap();
        let token = last_link(&f).expect("a link");
        assert_eq!(f.resets.account_of(&token).await.unwrap().id, a.id);
        // A weak password changes nothing and spends nothing.
        assert!(matches!(
            f.resets
                .reset(&token, "password", "password", &client())
                .await,
            Err(Error::Invalid { .. })
        ));
        f.resets.reset(&token, NEW, NEW, &client()).await.unwrap();
        assert!(f.store.sessions().is_empty(), "every session ended");
        assert!(f.store.mails().iter().any(|m| m.kind == "password-changed"));
        assert_eq!(
            f.resets.reset(&token, NEW, NEW, &client()).await,
            Err(Error::Expired("reset-link"))
        );
        assert!(!log_in(&f, PASSWORD).await);
        assert!(
            log_in(&f, NEW).await,
            "no session from the reset; the login makes one"
        );
        assert!(f.store.audit_kinds().iter().any(|k| k == "password.reset"));
    }

    #[tokio::test]
    async fn requests_answer_alike_and_send_at_most_one_link_each_interval() {
        let f = Fixture::new(Policy::default());
        account(&f, ION, AccountStatus::Active).await;
        account(&f, "2002003004007", AccountStatus::Pending).await;
        account(&f, "2003004005008", AccountStatus::Locked).await;
        for nid in ["2002003004007", "2003004005008", "2000000000015"] {
            f.resets.request(nid, &client()).await.unwrap();
        }
        assert_eq!(reset_mails(&f), 0, "pending, locked or unknown: no link");
        assert_eq!(
            f.store
                .audit_kinds()
                .iter()
                .filter(|k| *k == "password.reset-not-sent")
                .count(),
            3
        );
        f.resets.request(ION, &client()).await.unwrap();
        f.resets.request(ION, &client()).await.unwrap();
        assert_eq!(reset_mails(&f), 1);
        f.clock.advance_ms(RESET_MAIL_INTERVAL_MS);
        f.resets.request(ION, &client()).await.unwrap();
        assert_eq!(reset_mails(&f), 2);
        assert!(matches!(
            f.resets.request("2000000000005", &client()).await,
            Err(Error::Invalid { .. })
        ));
    }

    #[tokio::test]
    async fn links_expire() {
        let f = Fixture::new(Policy::default());
        account(&f, ION, AccountStatus::Active).await;
        f.resets.request(ION, &client()).await.unwrap();
        let token = last_link(&f).unwrap();
        f.clock.advance_ms(Policy::default().reset_token_ttl_ms);
        assert!(matches!(
            f.resets.account_of(&token).await,
            Err(Error::Expired(_))
        ));
        assert_eq!(
            f.resets.reset(&token, NEW, NEW, &client()).await,
            Err(Error::Expired("reset-link"))
        );
        assert!(matches!(
            f.resets.account_of(&"x".repeat(200)).await,
            Err(Error::Expired(_))
        ));
    }
}
