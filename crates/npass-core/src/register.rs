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
    /// A path on npass to go on to after the confirmation and the login (an e-service's
    /// parked request); empty for My account.
    pub next: String,
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
/// A pending account is sent its link again at most this often.
const RESEND_INTERVAL_MS: i64 = 5 * 60 * 1000;
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

/// A name: letters (any script, with their accents), spaces, apostrophes, hyphens and dots;
/// no digits or other signs.
fn check_name(field: &'static str, v: &str) -> Result<()> {
    use unicode_normalization::UnicodeNormalization;
    if v.is_empty() {
        return Err(Error::invalid(field, "required"));
    }
    let composed: String = v.nfc().collect();
    let ok = composed.chars().count() <= NAME_MAX
        && composed.chars().any(char::is_alphabetic)
        && composed.chars().all(|c| {
            c.is_alphabetic()
                || c == ' '
                || "'’ʼ-‐.".contains(c)
                || unicode_normalization::char::is_combining_mark(c)
        });
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(field, "name-characters"))
    }
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

/// Optional; when given, a phone number that is valid by libphonenumber's rules, written
/// internationally (`+373 69 123 456`) or nationally for the deployment's country
/// (`region`, e.g. `MD`: `069 123 456`); stored as E.164 (`+37369123456`).
pub fn check_phone(v: &str, region: &str) -> Result<String> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(String::new());
    }
    let bad = || Error::invalid("phone", "phone-format");
    if v.chars().count() > 40 {
        return Err(bad());
    }
    let country = region.parse::<phonenumber::country::Id>().ok();
    let number = phonenumber::parse(country, v).map_err(|_| bad())?;
    if !phonenumber::is_valid(&number) {
        return Err(bad());
    }
    Ok(number.format().mode(phonenumber::Mode::E164).to_string())
}

/// Is `region` a country libphonenumber knows (for `identity.phone_region`)?
pub fn phone_region_known(region: &str) -> bool {
    region.parse::<phonenumber::country::Id>().is_ok()
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
        let phone = check_phone(&input.phone, &self.env.policy.phone_region).unwrap_or_else(|e| {
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
        let profile = Profile {
            given_name: given,
            family_name: family,
            birth_date: birth,
            email,
            phone,
            language: input.language.clone(),
        };
        match existing {
            // Still unconfirmed: whoever confirms an address first gets it (design note 0012).
            Some(pending) if pending.status == AccountStatus::Pending => {
                return self
                    .replace_pending(&pending, profile, &hash, &input.next, client)
                    .await
                    .map_err(|e| vec![e]);
            }
            // The same answer as a new account; the owner is told instead.
            Some(owner) => {
                return self
                    .tell_owner_of_registration(&owner, client)
                    .await
                    .map_err(|e| vec![e]);
            }
            None => {}
        }
        let account = Account {
            id: self.env.new_id().into(),
            national_id: nid,
            profile,
            assurance: Assurance::SelfAsserted,
            status: AccountStatus::Pending,
            password_hash: Some(hash),
            created_at: now,
        };
        let (token, mail) = self.confirmation(&account.profile, &input.next);
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

    /// A fresh confirmation link and its email to `profile`'s address; the link leads on to
    /// `next` (a local path) after the confirmation.
    fn confirmation(&self, profile: &Profile, next: &str) -> (String, crate::model::Mail) {
        let token = rng::token(self.env.rng.as_ref());
        let next = if next.starts_with('/') && !next.starts_with("//") {
            format!("&next={}", crate::pct_encode(next))
        } else {
            String::new()
        };
        let link = format!(
            "{}/register/confirm?token={token}{next}",
            self.env.policy.public_url.trim_end_matches('/')
        );
        let mail = self.env.mail(
            &profile.email,
            &profile.language,
            "confirm-email",
            &[("link", &link)],
        );
        (token, mail)
    }

    /// A registration of a pending account's identifier: its data wait under a link of their
    /// own, sent to its own address; confirming it replaces the unconfirmed registration.
    async fn replace_pending(
        &self,
        pending: &Account,
        profile: Profile,
        hash: &str,
        next: &str,
        client: &Client,
    ) -> Result<()> {
        let now = self.env.now();
        let (token, mail) = self.confirmation(&profile, next);
        let ev = audit::event(
            "account.register-replacement",
            Some(&pending.id),
            Some(&client.ip),
            json!({"user_agent": client.user_agent}),
        );
        self.accounts
            .registration_replace(
                &pending.id,
                &digest(&token),
                &profile,
                hash,
                now + self.env.policy.email_token_ttl_ms,
                &ev,
                &mail,
                now,
            )
            .await?;
        (self.env.mail_waker)();
        Ok(())
    }

    /// "Send the link again": the same answer whatever the identifier names; a pending account
    /// gets a new link at the address it registered with, at most once each
    /// `RESEND_INTERVAL_MS`.
    pub async fn resend(&self, national_id: &str, client: &Client) -> Result<()> {
        let nid = national_id::parse(national_id, &self.env.policy.schemes)?;
        let now = self.env.now();
        // The address's attempt, before anything is looked up; it is never given back.
        crate::service::Throttles::new(self.throttles.clone(), self.env.clone())
            .take(
                &[(
                    &format!("resend-ip:{}", client.ip),
                    crate::service::Rule::Address,
                )],
                &[],
            )
            .await?;
        let account = self.accounts.account_by_national_id(&nid.value).await?;
        let pending = account.filter(|a| a.status == AccountStatus::Pending);
        let due = match &pending {
            Some(a) => {
                crate::service::first_in(
                    self.throttles.as_ref(),
                    &format!("resend:{}", a.id),
                    RESEND_INTERVAL_MS,
                    now,
                )
                .await?
            }
            None => false,
        };
        match pending {
            Some(a) if due => {
                let (token, mail) = self.confirmation(&a.profile, "");
                let ev = audit::event(
                    "account.confirmation-resent",
                    Some(&a.id),
                    Some(&client.ip),
                    json!({}),
                );
                self.accounts
                    .email_token_add(
                        &a.id,
                        &digest(&token),
                        now + self.env.policy.email_token_ttl_ms,
                        &ev,
                        &mail,
                        now,
                    )
                    .await?;
                (self.env.mail_waker)();
                Ok(())
            }
            other => {
                let ev = audit::event(
                    "account.confirmation-not-resent",
                    other.as_ref().map(|a| a.id.as_str()),
                    Some(&client.ip),
                    json!({}),
                );
                self.audit.audit_append(&ev, None, now).await
            }
        }
    }

    /// Deletes the registrations left unconfirmed longer than the policy allows, so their
    /// identifiers are free again (the periodic sweep calls it).
    pub async fn purge_unconfirmed(&self) -> Result<u64> {
        self.accounts
            .purge_unconfirmed(self.env.now() - self.env.policy.unconfirmed_ttl_ms)
            .await
    }

    /// Someone registered with an identifier that has an account: nothing is created, the
    /// attempt is audited, and the owner gets an email saying so (at most one an hour, so the
    /// form cannot be used to flood their mailbox).
    async fn tell_owner_of_registration(&self, owner: &Account, client: &Client) -> Result<()> {
        let now = self.env.now();
        let key = format!("register-attempt:{}", owner.id);
        let due =
            crate::service::first_in(self.throttles.as_ref(), &key, REGISTER_ATTEMPT_MAIL_MS, now)
                .await?;
        let mail = if due {
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
            check_phone("+373 69 123 456", "MD").ok(),
            Some("+37369123456".into())
        );
        // A national number takes the deployment's country, not a bare "+".
        assert_eq!(
            check_phone("069123456", "MD").ok(),
            Some("+37369123456".into())
        );
        assert_eq!(
            check_phone("5 251 2345", "MU").ok(),
            Some("+23052512345".into())
        );
        assert_eq!(check_phone("", "MD").ok(), Some(String::new()));
        for bad in [
            "12",
            "+069123456",
            "069 12",
            "phone",
            "+373 69 123 456 789 000",
        ] {
            assert!(check_phone(bad, "MD").is_err(), "{bad}");
        }
        for good in [
            "Ion",
            "Ana-Maria",
            "D'Artagnan",
            "Ștefan cel Mare",
            "Иван",
            "St. John",
        ] {
            assert!(check_name("given_name", good).is_ok(), "{good}");
        }
        for bad in ["Ion2", "R2-D2", "Ion <b>", "ion@md", "---", ""] {
            assert!(check_name("given_name", bad).is_err(), "{bad}");
        }
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
            next: String::new(),
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
            pre_id: String::new(),
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

    /// The confirmation links mailed to `to`, oldest first.
    fn links_to(f: &Fixture, to: &str) -> Vec<String> {
        f.store
            .mails()
            .iter()
            .filter(|m| m.kind == "confirm-email" && m.to == to)
            .filter_map(|m| m.params.iter().find(|(k, _)| k == "link"))
            .filter_map(|(_, v)| v.split("token=").nth(1).map(str::to_owned))
            .collect()
    }

    #[tokio::test]
    async fn an_unconfirmed_identifier_goes_to_whoever_confirms_an_address_first() {
        let f = Fixture::new(Policy::default());
        let r = &f.registrations;
        // Someone registers Ion's number with their own address and never confirms it.
        r.register(input("2000000000004", "squatter@example.md"), &client())
            .await
            .unwrap();
        // Ion registers: the same answer, and a link of his own.
        let mut ion = input("2000000000004", "ion@example.md");
        ion.given_name = "Ion".into();
        assert_eq!(r.register(ion, &client()).await, Ok(()));
        let ion_link = links_to(&f, "ion@example.md");
        assert_eq!(ion_link.len(), 1);
        r.confirm_email(&ion_link[0], &client()).await.unwrap();
        let a = f
            .registrations
            .accounts
            .account_by_national_id("2000000000004")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (a.status, a.profile.email.as_str()),
            (AccountStatus::Active, "ion@example.md")
        );
        // The first registrant's link no longer works, and nobody was told of an "attempt".
        let squatter = links_to(&f, "squatter@example.md");
        assert_eq!(
            r.confirm_email(&squatter[0], &client()).await,
            Err(Error::NotFound)
        );
        assert!(f.store.mails().iter().all(|m| m.kind != "register-attempt"));
    }

    #[tokio::test]
    async fn the_link_is_sent_again_on_request_and_old_registrations_are_purged() {
        let f = Fixture::new(Policy::default());
        let r = &f.registrations;
        r.register(input("2000000000004", "ion@example.md"), &client())
            .await
            .unwrap();
        r.resend(" 2000 0000 0000 4", &client()).await.unwrap();
        r.resend("2000000000004", &client()).await.unwrap();
        r.resend("2000000000015", &client()).await.unwrap();
        let links = links_to(&f, "ion@example.md");
        assert_eq!(links.len(), 2, "one more link, once in five minutes");
        assert_eq!(f.store.mails().len(), 2, "nothing for an unknown number");
        assert!(matches!(
            r.resend("2000000000005", &client()).await,
            Err(Error::Invalid { .. })
        ));
        // The second link works.
        r.confirm_email(&links[1], &client()).await.unwrap();

        // Ana registers and never confirms: after a week her number is free again.
        r.register(input("2002003004007", "ana@example.md"), &client())
            .await
            .unwrap();
        f.clock.advance_ms(f.env.policy.unconfirmed_ttl_ms - 1);
        assert_eq!(r.purge_unconfirmed().await.unwrap(), 0);
        f.clock.advance_ms(2);
        assert_eq!(r.purge_unconfirmed().await.unwrap(), 1, "Ion's is active");
        r.register(input("2002003004007", "ana@example.md"), &client())
            .await
            .unwrap();
        let kinds = f.store.audit_kinds();
        assert_eq!(kinds.iter().filter(|k| *k == "account.register").count(), 3);
    }

    #[tokio::test]
    async fn a_taken_identifier_answers_alike_and_the_owner_hears_once_an_hour() {
        let f = Fixture::new(Policy::default());
        let r = &f.registrations;
        r.register(input("2000000000004", "ion@example.md"), &client())
            .await
            .unwrap();
        r.confirm_email(&token(&f), &client()).await.unwrap();
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
