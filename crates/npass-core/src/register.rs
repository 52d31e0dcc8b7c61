//! Self-registration (MauPass): identifier, mandatory data, password; the account becomes active
//! when the emailed link is followed.

use serde_json::json;

use crate::audit;
use crate::clock::{civil_date, days_in_month};
use crate::error::{Error, Result};
use crate::login::Client;
use crate::model::{Account, AccountStatus, Assurance, Profile};
use crate::national_id;
use crate::password::{self, Context};
use crate::rng;
use std::sync::Arc;

use crate::password::Hashing;
use crate::service::{Env, digest};
use crate::store::{AccountStore, AuditStore, ThrottleStore};

/// What the registration form sends. Its passwords are never printed (`Debug` leaves them out).
#[derive(Clone, Default)]
pub struct RegisterInput {
    pub national_id: String,
    pub given_name: String,
    pub family_name: String,
    pub birth_date: String,
    pub email: String,
    pub phone: String,
    pub password: String,
    pub password_confirm: String,
    pub language: String,
}

impl std::fmt::Debug for RegisterInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisterInput")
            .field("national_id", &self.national_id)
            .field("email", &self.email)
            .field("language", &self.language)
            .finish_non_exhaustive()
    }
}

const NAME_MAX: usize = 100;
/// An account's owner hears of registration attempts with its identifier at most this often.
const REGISTER_ATTEMPT_MAIL_MS: i64 = 60 * 60 * 1000;

/// What a person identified by an e-signature adds to open an account: the certificate gives
/// the identifier and the names.
#[derive(Debug, Clone, Default)]
pub struct MandatoryData {
    pub birth_date: String,
    pub email: String,
    pub phone: String,
    pub language: String,
}

fn clean(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn check_name(field: &'static str, v: &str) -> Result<()> {
    if v.is_empty() {
        return Err(Error::invalid(field, "required"));
    }
    if v.chars().count() > NAME_MAX
        || v.chars()
            .any(|c| c.is_control() || "<>\"{}[]=;@#$%^*_|\\/".contains(c))
    {
        return Err(Error::invalid(field, "name-characters"));
    }
    Ok(())
}

/// A YYYY-MM-DD date in the past, at most 130 years ago.
pub fn check_birth_date(v: &str, now_ms: i64) -> Result<()> {
    let field = "birth_date";
    if v.is_empty() {
        return Err(Error::invalid(field, "required"));
    }
    let parts: Vec<&str> = v.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(Error::invalid(field, "date-format"));
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(Error::invalid(field, "date-format"));
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i64>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return Err(Error::invalid(field, "date-format"));
    };
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return Err(Error::invalid(field, "date-format"));
    }
    let today = civil_date(now_ms);
    if (y, m, d) > today || y < today.0 - 130 {
        return Err(Error::invalid(field, "date-range"));
    }
    Ok(())
}

/// A deliberately plain check: one `@`, something either side, a dot in the domain, no spaces.
pub fn check_email(v: &str) -> Result<()> {
    let field = "email";
    if v.is_empty() {
        return Err(Error::invalid(field, "required"));
    }
    let ok = v.len() <= 254
        && v.split('@').count() == 2
        && v.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
        })
        && !v
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>\"(),;:\\[]".contains(c));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(field, "email-format"))
    }
}

/// Optional; when given, an international number: `+`, then 8 to 15 digits.
pub fn check_phone(v: &str) -> Result<String> {
    let digits: String = v
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
        .collect();
    if digits.is_empty() {
        return Ok(String::new());
    }
    let body = digits.strip_prefix('+').unwrap_or(&digits);
    if !(8..=15).contains(&body.len()) || !body.chars().all(|c| c.is_ascii_digit()) {
        return Err(Error::invalid("phone", "phone-format"));
    }
    Ok(format!("+{body}"))
}

/// Self-registration: the form, the owner's warning, the emailed confirmation — over the
/// account, throttle and audit ports.
pub struct Registrations {
    pub(crate) accounts: Arc<dyn AccountStore>,
    pub(crate) throttles: Arc<dyn ThrottleStore>,
    pub(crate) audit: Arc<dyn AuditStore>,
    pub(crate) env: Env,
    pub(crate) hashing: Hashing,
}

impl Registrations {
    /// Validates everything, reporting every problem at once; on success creates the pending
    /// account and queues the confirmation email. Nothing is written when anything is wrong.
    pub async fn register(&self, input: RegisterInput, client: &Client) -> Result<(), Vec<Error>> {
        let mut errors = Vec::new();
        let nid =
            national_id::parse(&input.national_id, &self.env.policy.schemes).map_err(Error::from);
        let given = clean(&input.given_name);
        let family = clean(&input.family_name);
        let email = input.email.trim().to_owned();
        let birth = input.birth_date.trim().to_owned();
        let now = self.env.now();
        for r in [
            nid.as_ref().map(|_| ()).map_err(Clone::clone),
            check_name("given_name", &given),
            check_name("family_name", &family),
            check_birth_date(&birth, now),
            check_email(&email),
        ] {
            if let Err(e) = r {
                errors.push(e);
            }
        }
        let phone = check_phone(&input.phone).unwrap_or_else(|e| {
            errors.push(e);
            String::new()
        });
        let nid_text = nid.as_ref().map(|n| n.value.clone()).unwrap_or_default();
        let ctx = Context {
            words: vec![&self.env.policy.service_name, &nid_text, &given, &family],
        };
        if let Err(e) = password::check_new(
            &input.password,
            &input.password_confirm,
            self.env.policy.min_password_len(),
            &ctx,
        ) {
            errors.push(e);
        }
        let Ok(nid) = nid else { return Err(errors) };
        if !errors.is_empty() {
            return Err(errors);
        }
        let existing = self
            .accounts
            .account_by_national_id(&nid.value)
            .await
            .map_err(|e| vec![e])?;
        // The password is hashed either way, so an identifier that has an account answers in
        // the same time as one that has none.
        let password = input.password.clone();
        let rng = self.env.rng.clone();
        let hash = self
            .hashing
            .run(move |h| h.hash(&password, rng.as_ref()))
            .await
            .and_then(|r| r)
            .map_err(|e| vec![e])?;
        if let Some(owner) = existing {
            // The same answer as a new account; the owner is told instead.
            return self
                .tell_owner_of_registration(&owner, client)
                .await
                .map_err(|e| vec![e]);
        }
        let account = Account {
            id: self.env.new_id().into(),
            national_id: nid,
            profile: Profile {
                given_name: given,
                family_name: family,
                birth_date: birth,
                email,
                phone,
                language: input.language.clone(),
            },
            assurance: Assurance::SelfAsserted,
            status: AccountStatus::Pending,
            password_hash: Some(hash),
            created_at: now,
        };
        let token = rng::token(self.env.rng.as_ref());
        let link = format!(
            "{}/register/confirm?token={token}",
            self.env.policy.public_url.trim_end_matches('/')
        );
        let mail = self.env.mail(
            &account.profile.email,
            &account.profile.language,
            "confirm-email",
            &[("link", &link)],
        );
        let ev = audit::event(
            "account.register",
            Some(&account.id),
            Some(&client.ip),
            json!({"scheme": account.national_id.scheme.as_str()}),
        );
        let expires = now + self.env.policy.email_token_ttl_ms;
        match self
            .accounts
            .create_account(
                &account,
                Some((&digest(&token), expires)),
                Some(&mail),
                &ev,
                now,
            )
            .await
        {
            Ok(()) => {
                (self.env.mail_waker)();
                Ok(())
            }
            // Registered at the same moment by someone else: as above.
            Err(Error::Conflict(_)) => {
                let owner = self
                    .accounts
                    .account_by_national_id(&account.national_id.value)
                    .await
                    .and_then(|a| a.ok_or(Error::NotFound))
                    .map_err(|e| vec![e])?;
                self.tell_owner_of_registration(&owner, client)
                    .await
                    .map_err(|e| vec![e])
            }
            Err(e) => Err(vec![e]),
        }
    }

    /// Someone registered with an identifier that has an account: nothing is created, the
    /// attempt is audited, and the owner gets an email saying so (at most one an hour, so the
    /// form cannot be used to flood their mailbox).
    async fn tell_owner_of_registration(&self, owner: &Account, client: &Client) -> Result<()> {
        let now = self.env.now();
        let key = format!("register-attempt:{}", owner.id);
        let seen = self.throttles.throttle(&key).await?;
        let recent = seen.failures > 0 && now - seen.last_failure_at < REGISTER_ATTEMPT_MAIL_MS;
        let take = crate::store::ThrottleTake {
            key: &key,
            seen,
            failures: 1,
        };
        let mail = if !recent && self.throttles.throttle_take(&[take], &[], now).await? {
            Some(self.env.mail(
                &owner.profile.email,
                &owner.profile.language,
                "register-attempt",
                &[],
            ))
        } else {
            None
        };
        let ev = audit::event(
            "account.register-attempt",
            Some(&owner.id),
            Some(&client.ip),
            json!({"user_agent": client.user_agent, "owner_told": mail.is_some()}),
        );
        self.audit.audit_append(&ev, mail.as_ref(), now).await?;
        if mail.is_some() {
            (self.env.mail_waker)();
        }
        Ok(())
    }

    /// Follows the emailed link: activates the account once.
    pub async fn confirm_email(&self, token: &str, client: &Client) -> Result<()> {
        if token.is_empty() || token.len() > 100 {
            return Err(Error::NotFound);
        }
        let ev = audit::event("account.email-confirmed", None, Some(&client.ip), json!({}));
        self.accounts
            .confirm_email(&digest(token), &ev, self.env.now())
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_checks() {
        let now = 1_763_856_000_000; // 2025-11-23
        assert!(check_birth_date("1990-02-28", now).is_ok());
        assert!(check_birth_date("1990-02-29", now).is_err());
        assert!(check_birth_date("2000-02-29", now).is_ok());
        assert!(check_birth_date("2999-01-01", now).is_err());
        assert!(check_birth_date("1990/01/01", now).is_err());
        assert!(check_email("ion@example.md").is_ok());
        assert!(check_email("ion@@example.md").is_err());
        assert!(check_email("ion example@md").is_err());
        assert_eq!(
            check_phone("+373 69 123 456").ok(),
            Some("+37369123456".into())
        );
        assert_eq!(check_phone("").ok(), Some(String::new()));
        assert!(check_phone("12").is_err());
    }
}

#[cfg(test)]
mod service_tests {
    use super::*;
    use crate::login::LoginInput;
    use crate::service::Policy;
    use crate::testing::Fixture;

    fn input(nid: &str, email: &str) -> RegisterInput {
        RegisterInput {
            national_id: nid.into(),
            given_name: "Ion".into(),
            family_name: "Popescu".into(),
            birth_date: "1990-05-17".into(),
            email: email.into(),
            phone: String::new(),
            password: "cerul de deasupra Chisinaului".into(),
            password_confirm: "cerul de deasupra Chisinaului".into(),
            language: "ro".into(),
        }
    }

    fn client() -> Client {
        Client {
            ip: "192.0.2.9".into(),
            user_agent: "unit".into(),
        }
    }

    /// The token in the confirmation link of the newest `confirm-email` mail.
    fn token(f: &Fixture) -> String {
        let mails = f.store.mails();
        let m = mails
            .iter()
            .rev()
            .find(|m| m.kind == "confirm-email")
            .unwrap();
        let link = &m.params.iter().find(|(k, _)| k == "link").unwrap().1;
        link.split("token=").nth(1).unwrap().to_owned()
    }

    #[tokio::test]
    async fn a_registration_is_pending_until_its_link_is_followed_once() {
        let f = Fixture::new(Policy::default());
        let r = &f.registrations;
        r.register(input("2000000000004", "ion@example.md"), &client())
            .await
            .unwrap();
        let login = || LoginInput {
            national_id: "2000000000004".into(),
            password: "cerul de deasupra Chisinaului".into(),
            code: String::new().into(),
        };
        let early = f.logins.login(login(), &client(), None).await;
        assert_eq!(
            early.err(),
            Some(crate::login::LoginError::EmailNotConfirmed)
        );
        let t = token(&f);
        r.confirm_email(&t, &client()).await.unwrap();
        assert_eq!(
            r.confirm_email(&t, &client()).await,
            Err(Error::NotFound),
            "once"
        );
        assert!(f.logins.login(login(), &client(), None).await.is_ok());
    }

    #[tokio::test]
    async fn an_old_link_is_expired_and_spent() {
        let f = Fixture::new(Policy::default());
        let r = &f.registrations;
        r.register(input("2000000000004", "ion@example.md"), &client())
            .await
            .unwrap();
        let t = token(&f);
        f.clock.advance_ms(f.env.policy.email_token_ttl_ms);
        assert!(matches!(
            r.confirm_email(&t, &client()).await,
            Err(Error::Expired(_))
        ));
        assert_eq!(r.confirm_email(&t, &client()).await, Err(Error::NotFound));
    }

    #[tokio::test]
    async fn a_taken_identifier_answers_alike_and_the_owner_hears_once_an_hour() {
        let f = Fixture::new(Policy::default());
        let r = &f.registrations;
        r.register(input("2000000000004", "ion@example.md"), &client())
            .await
            .unwrap();
        for spelling in [" 2000-0000-00004 ", "２０００００００００００４"] {
            let again = r
                .register(input(spelling, "other@example.md"), &client())
                .await;
            assert_eq!(again, Ok(()), "the same answer as a new account");
        }
        let told = |f: &Fixture| {
            f.store
                .mails()
                .iter()
                .filter(|m| m.kind == "register-attempt" && m.to == "ion@example.md")
                .count()
        };
        assert_eq!(told(&f), 1);
        assert!(f.store.mails().iter().all(|m| m.to != "other@example.md"));
        f.clock.advance_ms(REGISTER_ATTEMPT_MAIL_MS);
        r.register(input("2000000000004", "other@example.md"), &client())
            .await
            .unwrap();
        assert_eq!(told(&f), 2);
        let kinds = f.store.audit_kinds();
        assert_eq!(kinds.iter().filter(|k| *k == "account.register").count(), 1);
        assert_eq!(
            kinds
                .iter()
                .filter(|k| *k == "account.register-attempt")
                .count(),
            3
        );
    }

    #[tokio::test]
    async fn every_problem_is_reported_at_once_and_nothing_is_written() {
        let f = Fixture::new(Policy::default());
        let mut bad = input("2000000000005", "not-an-email");
        bad.password_confirm = "something else entirely here".into();
        bad.given_name = String::new();
        let errs = f.registrations.register(bad, &client()).await.unwrap_err();
        let fields: Vec<&str> = errs
            .iter()
            .filter_map(|e| match e {
                Error::Invalid { field, .. } => Some(*field),
                _ => None,
            })
            .collect();
        for field in ["national_id", "given_name", "email"] {
            assert!(fields.contains(&field), "{field} in {fields:?}");
        }
        assert_eq!(errs.len(), fields.len());
        assert!(errs.len() >= 4, "the password mismatch too: {errs:?}");
        assert!(f.store.mails().is_empty() && f.store.audit_kinds().is_empty());
    }
}
