//! Operator acts (CLI today, admin API later). Each is audited.

use serde_json::json;

use crate::audit;
use crate::error::{Error, Result};
use crate::login::Client;
use crate::model::{Account, AccountStatus, Assurance, Profile};
use crate::national_id;
use crate::password::Hashing;
use crate::password::{self, Context};
use crate::register::check_email;
use crate::service::{Env, Throttles};
use crate::store::{AccountStore, SessionStore};
use std::sync::Arc;

/// A citizen an operator adds. The password, if any, is never printed.
#[derive(Clone, Default)]
pub struct NewCitizen {
    pub national_id: String,
    pub given_name: String,
    pub family_name: String,
    pub birth_date: String,
    pub email: String,
    pub phone: String,
    pub language: String,
    pub password: Option<String>,
}

impl std::fmt::Debug for NewCitizen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewCitizen")
            .field("national_id", &self.national_id)
            .field("email", &self.email)
            .field("has_password", &self.password.is_some())
            .finish_non_exhaustive()
    }
}

/// What an operator does to citizens' accounts.
pub struct Admin {
    pub(crate) accounts: Arc<dyn AccountStore>,
    pub(crate) sessions: Arc<dyn SessionStore>,
    pub(crate) throttles: Throttles,
    pub(crate) env: Env,
    pub(crate) hashing: Hashing,
    /// Tells e-services of the sessions a lock ends.
    pub(crate) ended: Arc<dyn crate::login::SessionEnded>,
}

impl Admin {
    /// Adds an active account (the operator vouches for the email address).
    pub async fn add_citizen(&self, input: NewCitizen, operator: &Client) -> Result<Account> {
        let nid = national_id::parse(&input.national_id, &self.env.policy.schemes)?;
        for (field, v) in [
            ("given_name", &input.given_name),
            ("family_name", &input.family_name),
        ] {
            if v.trim().is_empty() {
                return Err(Error::invalid(field, "required"));
            }
        }
        check_email(input.email.trim())?;
        if !input.birth_date.is_empty() {
            crate::register::check_birth_date(&input.birth_date, self.env.now())?;
        }
        let hash = match input.password {
            Some(p) => {
                let ctx = Context {
                    words: vec![
                        &self.env.policy.service_name,
                        &nid.value,
                        &input.given_name,
                        &input.family_name,
                    ],
                };
                password::check_new(&p, &p, self.env.policy.min_password_len(), &ctx)?;
                let rng = self.env.rng.clone();
                Some(
                    self.hashing
                        .run(move |h| h.hash(&p, rng.as_ref()))
                        .await??,
                )
            }
            None => None,
        };
        let now = self.env.now();
        let account = Account {
            id: self.env.new_id().into(),
            national_id: nid,
            profile: Profile {
                given_name: input.given_name.trim().to_owned(),
                family_name: input.family_name.trim().to_owned(),
                birth_date: input.birth_date,
                email: input.email.trim().to_owned(),
                phone: crate::register::check_phone(&input.phone, &self.env.policy.phone_region)?,
                language: input.language,
            },
            assurance: Assurance::SelfAsserted,
            status: AccountStatus::Active,
            password_hash: hash,
            created_at: now,
        };
        let ev = audit::event(
            "admin.account-added",
            Some(&account.id),
            Some(&operator.ip),
            json!({"by": operator.user_agent}),
        );
        self.accounts
            .create_account(&account, None, None, &ev, now)
            .await
            .map_err(|e| match e {
                Error::Conflict(_) => Error::invalid("national_id", "account-exists"),
                other => other,
            })?;
        Ok(account)
    }

    pub async fn find_citizen(&self, national_id: &str) -> Result<Account> {
        let nid = national_id::parse(national_id, &self.env.policy.schemes)?;
        self.accounts
            .account_by_national_id(&nid.value)
            .await?
            .ok_or(Error::NotFound)
    }

    /// Locks (every session ends, the citizen is told) or unlocks (failure counters cleared).
    pub async fn set_citizen_locked(
        &self,
        national_id: &str,
        locked: bool,
        operator: &Client,
    ) -> Result<Account> {
        let account = self.find_citizen(national_id).await?;
        let now = self.env.now();
        let (status, kind, mail_kind) = if locked {
            (
                AccountStatus::Locked,
                "admin.account-locked",
                "operator-locked",
            )
        } else {
            (
                AccountStatus::Active,
                "admin.account-unlocked",
                "operator-unlocked",
            )
        };
        let ev = audit::event(
            kind,
            Some(&account.id),
            Some(&operator.ip),
            json!({"by": operator.user_agent}),
        );
        let mail = self.env.mail(
            &account.profile.email,
            &account.profile.language,
            mail_kind,
            &[],
        );
        self.accounts
            .set_status(&account.id, status, &ev, Some(&mail), now)
            .await?;
        if locked {
            // Like a logout: the e-services of each session hear of its end.
            for s in self.sessions.sessions_for_account(&account.id, now).await? {
                self.ended.session_ended(&s.chain, &account.id).await?;
            }
            self.sessions
                .sessions_end_for_account(&account.id, now)
                .await?;
        } else {
            for prefix in ["pwd", "otp"] {
                self.throttles
                    .reset(&format!("{prefix}:{}", account.national_id.value))
                    .await?;
            }
        }
        (self.env.mail_waker)();
        self.find_citizen(national_id).await
    }
}
