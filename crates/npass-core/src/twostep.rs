//! Two-step authentication (MPass "Autentificare în doi pași"): enrolling an Authenticator app,
//! recovery codes, replacing and removing the authenticator.

use serde_json::json;

use crate::audit;
use crate::error::{Error, Result};
use crate::login::{Client, SessionEnded, clean_recovery_code};
use crate::model::{Account, Session, TotpCredential};
use crate::password::Hashing;
use crate::rng;
use crate::seal::Sealer;
use crate::service::{Env, ThrottlePolicy, Throttles, digest};
use crate::store::{AccountStore, AuditStore, RecoveryStore, SessionStore, TotpStore};
use crate::totp;
use std::sync::Arc;

pub const RECOVERY_CODES: usize = 10;
pub const RECOVERY_CODE_LEN: usize = 10;
/// 30 symbols: digits 2-9 and lower-case letters without the look-alikes i, l, o and u.
const RECOVERY_ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstvwxyz";
/// An enrolment left unfinished this long gets a new seed.
const PENDING_TTL_MS: i64 = 60 * 60 * 1000;

/// What the scan step shows.
pub struct Enrolment {
    pub otpauth_uri: String,
    pub secret_grouped: String,
}

#[derive(Debug, Clone)]
pub struct TwoStepStatus {
    pub active: Option<TotpCredential>,
    pub recovery_left: i64,
}

fn enrol_key(account_id: &str) -> String {
    format!("enrol:{account_id}")
}
fn otp_key(a: &Account) -> String {
    format!("otp:{}", a.national_id.value)
}

/// A citizen's own account: its history, the password they set, the authenticator and the
/// recovery codes.
pub struct Credentials {
    pub(crate) accounts: Arc<dyn AccountStore>,
    pub(crate) totp: Arc<dyn TotpStore>,
    pub(crate) recovery: Arc<dyn RecoveryStore>,
    pub(crate) audit: Arc<dyn AuditStore>,
    pub(crate) throttles: Throttles,
    pub(crate) env: Env,
    pub(crate) hashing: Hashing,
    pub(crate) sealer: Arc<Sealer>,
    pub(crate) sessions: Arc<dyn SessionStore>,
    /// Tells e-services of the sessions a password change ends.
    pub(crate) ended: Arc<dyn SessionEnded>,
}

impl Credentials {
    /// The account a session belongs to.
    pub async fn account(&self, account_id: &str) -> Result<Option<Account>> {
        self.accounts.account_by_id(account_id).await
    }

    /// The newest `limit` events of the citizen's history whose kind starts with one of
    /// `kinds` (refreshes are never in it, design note 0007).
    pub async fn history(
        &self,
        account_id: &str,
        kinds: &[&str],
        limit: i64,
    ) -> Result<Vec<crate::model::AuditRecord>> {
        self.audit.audit_for_account(account_id, kinds, limit).await
    }

    /// The last release to each e-service the account's recent history names: client id →
    /// (when, the names of the attributes released).
    pub async fn last_releases(
        &self,
        account_id: &str,
    ) -> Result<std::collections::HashMap<String, (i64, Vec<String>)>> {
        let mut out = std::collections::HashMap::new();
        // Newest first: the first record of each e-service is its last release.
        for r in self
            .audit
            .audit_for_account(account_id, &["oidc.tokens-issued"], 200)
            .await?
        {
            let d = &r.event.detail;
            let Some(client) = d.get("client_id").and_then(|v| v.as_str()) else {
                continue;
            };
            let names = d
                .get("claims")
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|c| c.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            out.entry(client.to_owned()).or_insert((r.at, names));
        }
        Ok(out)
    }

    pub async fn two_step_status(&self, account: &Account) -> Result<TwoStepStatus> {
        Ok(TwoStepStatus {
            active: self.totp.totp(&account.id).await?,
            recovery_left: self.recovery.recovery_left(&account.id).await?,
        })
    }

    /// Sets the password of an account that has none (an e-signature registration), as the
    /// activation journey asks before the authenticator.
    pub async fn set_first_password(
        &self,
        account: &Account,
        session: &Session,
        password: &str,
        confirm: &str,
        client: &Client,
    ) -> Result<()> {
        if account.password_hash.is_some() {
            return Err(Error::Conflict("password-exists"));
        }
        self.new_password(account, session, password, confirm, client, "password.set")
            .await
    }

    /// Does changing the password in `session` need the current one? Yes unless its login is
    /// recent (`Policy::fresh_login_ms`: an e-signature login is the MPass "forgot password"
    /// path) or the account has no password yet.
    pub fn needs_current_password(&self, account: &Account, session: &Session) -> bool {
        account.password_hash.is_some()
            && self.env.now() - session.auth_time > self.env.policy.fresh_login_ms
    }

    /// Changes the password from My account: the current one is checked, through the
    /// password's throttle counter, when `needs_current_password`. Every other session of the
    /// account ends, the e-services' grants are revoked, and the citizen is emailed.
    pub async fn change_password(
        &self,
        account: &Account,
        session: &Session,
        current: &str,
        password: &str,
        confirm: &str,
        client: &Client,
    ) -> Result<()> {
        if self.needs_current_password(account, session) {
            let key = format!("pwd:{}", account.national_id.value);
            self.throttles
                .take_one(&key, &self.env.policy.throttle)
                .await?;
            let (given, stored) = (current.to_owned(), account.password_hash.clone());
            let right = self
                .hashing
                .run(move |h| h.verify(&given, stored.as_deref()))
                .await?;
            if !right {
                let ev = audit::event(
                    "password.change-failure",
                    Some(&account.id),
                    Some(&client.ip),
                    json!({}),
                );
                self.audit.audit_append(&ev, None, self.env.now()).await?;
                return Err(Error::invalid("current_password", "current-password-wrong"));
            }
            self.throttles.reset(&key).await?;
        }
        self.new_password(
            account,
            session,
            password,
            confirm,
            client,
            "password.changed",
        )
        .await
    }

    async fn new_password(
        &self,
        account: &Account,
        session: &Session,
        password: &str,
        confirm: &str,
        client: &Client,
        kind: &str,
    ) -> Result<()> {
        let hash = self
            .hashing
            .new_password_for(&self.env, account, password, confirm)
            .await?;
        let now = self.env.now();
        let others: Vec<Session> = self
            .sessions
            .sessions_for_account(&account.id, now)
            .await?
            .into_iter()
            .filter(|s| s.id_hash != session.id_hash && s.chain != session.chain)
            .collect();
        let ev = audit::event(
            kind,
            Some(&account.id),
            Some(&client.ip),
            json!({"sessions_ended": others.len()}),
        );
        for s in &others {
            self.ended.session_ended(&s.chain, &account.id).await?;
        }
        let mail = self.env.mail(
            &account.profile.email,
            &account.profile.language,
            "password-changed",
            &[],
        );
        self.accounts
            .set_password(&account.id, &hash, &session.id_hash, &ev, Some(&mail), now)
            .await?;
        (self.env.mail_waker)();
        Ok(())
    }

    /// The seed being enrolled: the one in progress if recent, else a new one. Showing the page
    /// again never resets the confirmation attempt counter.
    pub async fn enrolment(&self, account: &Account) -> Result<Enrolment> {
        let now = self.env.now();
        let secret = match self.totp.totp_pending(&account.id).await? {
            Some((sealed, at)) if now - at < PENDING_TTL_MS => {
                self.sealer.open(&sealed, &account.id)?
            }
            _ => {
                let s = totp::new_secret(self.env.rng.as_ref());
                let sealed = self.sealer.seal(&s, &account.id, self.env.rng.as_ref())?;
                self.totp
                    .totp_pending_put(&account.id, &sealed, now)
                    .await?;
                s
            }
        };
        Ok(Enrolment {
            otpauth_uri: totp::otpauth_uri(
                &self.env.policy.service_name,
                &account.national_id.value,
                &secret,
            ),
            secret_grouped: totp::secret_grouped(&secret),
        })
    }

    fn enrol_policy(&self) -> ThrottlePolicy {
        ThrottlePolicy {
            free_failures: self.env.policy.enrol_free_failures,
            ..self.env.policy.throttle
        }
    }

    /// Confirms the enrolment with a code from the app. Returns the recovery codes, to be shown
    /// once.
    pub async fn confirm_enrolment(
        &self,
        account: &Account,
        code: &str,
        client: &Client,
    ) -> Result<Vec<String>> {
        let key = enrol_key(&account.id);
        let policy = self.enrol_policy();
        let now = self.env.now();
        let (sealed, at) = self
            .totp
            .totp_pending(&account.id)
            .await?
            .ok_or(Error::Expired("enrolment"))?;
        if now - at >= PENDING_TTL_MS {
            return Err(Error::Expired("enrolment"));
        }
        let secret = self.sealer.open(&sealed, &account.id)?;
        // The attempt is taken before the code is checked (see `Logins::login`).
        self.throttles.take_one(&key, &policy).await?;
        let Some(step) = totp::verify(&secret, code, now, 0) else {
            let ev = audit::event(
                "two-step.enrol-failure",
                Some(&account.id),
                Some(&client.ip),
                json!({}),
            );
            self.audit.audit_append(&ev, None, now).await?;
            return Err(Error::invalid("code", "code-wrong"));
        };
        let (codes, hashes) = self.new_recovery_codes();
        let replacing = self.totp.totp(&account.id).await?.is_some();
        let ev = audit::event(
            "two-step.activated",
            Some(&account.id),
            Some(&client.ip),
            json!({"replaced": replacing, "user_agent": client.user_agent}),
        );
        let mail = self.env.mail(
            &account.profile.email,
            &account.profile.language,
            "two-step-activated",
            &[],
        );
        self.totp
            .totp_activate(&account.id, &sealed, step, &hashes, &ev, Some(&mail), now)
            .await?;
        self.throttles.reset(&key).await?;
        (self.env.mail_waker)();
        Ok(codes)
    }

    fn new_recovery_codes(&self) -> (Vec<String>, Vec<String>) {
        let mut codes = Vec::with_capacity(RECOVERY_CODES);
        let n = u32::try_from(RECOVERY_ALPHABET.len()).unwrap_or(1);
        for _ in 0..RECOVERY_CODES {
            let raw: String = (0..RECOVERY_CODE_LEN)
                .map(|_| {
                    let i = usize::try_from(rng::below(self.env.rng.as_ref(), n)).unwrap_or(0);
                    char::from(RECOVERY_ALPHABET.get(i).copied().unwrap_or(b'2'))
                })
                .collect();
            codes.push(raw);
        }
        let hashes = codes.iter().map(|c| digest(c)).collect();
        let shown = codes
            .iter()
            .map(|c| {
                let (a, b) = c.split_at(RECOVERY_CODE_LEN / 2);
                format!("{a}-{b}")
            })
            .collect();
        (shown, hashes)
    }

    /// Proves the current authenticator for an account change: a current TOTP code (each step
    /// once) or, failing that, nothing. Counts failures on the login's code counter.
    pub async fn prove_current_code(
        &self,
        account: &Account,
        code: &str,
        client: &Client,
    ) -> Result<()> {
        let key = otp_key(account);
        let totp = self.totp.totp(&account.id).await?.ok_or(Error::NotFound)?;
        let secret = self.sealer.open(&totp.sealed_secret, &account.id)?;
        let now = self.env.now();
        self.throttles
            .take_one(&key, &self.env.policy.throttle)
            .await?;
        if let Some(step) = totp::verify(&secret, code, now, totp.last_step)
            && self.totp.totp_use_step(&account.id, step).await?
        {
            self.throttles.reset(&key).await?;
            return Ok(());
        }
        let ev = audit::event(
            "two-step.code-failure",
            Some(&account.id),
            Some(&client.ip),
            json!({}),
        );
        self.audit.audit_append(&ev, None, now).await?;
        Err(Error::invalid("code", "code-wrong"))
    }

    /// Removes the authenticator and its recovery codes; the account falls back to level low.
    pub async fn remove_two_step(
        &self,
        account: &Account,
        code: &str,
        client: &Client,
    ) -> Result<()> {
        self.prove_current_code(account, code, client).await?;
        let ev = audit::event(
            "two-step.removed",
            Some(&account.id),
            Some(&client.ip),
            json!({}),
        );
        let mail = self.env.mail(
            &account.profile.email,
            &account.profile.language,
            "two-step-removed",
            &[],
        );
        self.totp
            .totp_remove(&account.id, &ev, Some(&mail), self.env.now())
            .await?;
        (self.env.mail_waker)();
        Ok(())
    }

    /// Starts replacing the authenticator: after a current code, a fresh enrolment seed. The old
    /// authenticator keeps working until the new one is confirmed.
    pub async fn start_replacement(
        &self,
        account: &Account,
        code: &str,
        client: &Client,
    ) -> Result<()> {
        self.prove_current_code(account, code, client).await?;
        let s = totp::new_secret(self.env.rng.as_ref());
        let sealed = self.sealer.seal(&s, &account.id, self.env.rng.as_ref())?;
        self.totp
            .totp_pending_put(&account.id, &sealed, self.env.now())
            .await
    }

    /// New recovery codes (the old ones stop working), after a current code.
    pub async fn regenerate_recovery_codes(
        &self,
        account: &Account,
        code: &str,
        client: &Client,
    ) -> Result<Vec<String>> {
        if clean_recovery_code(code).is_some() {
            return Err(Error::invalid("code", "code-wrong"));
        }
        self.prove_current_code(account, code, client).await?;
        let (codes, hashes) = self.new_recovery_codes();
        let ev = audit::event(
            "recovery.regenerated",
            Some(&account.id),
            Some(&client.ip),
            json!({}),
        );
        let mail = self.env.mail(
            &account.profile.email,
            &account.profile.language,
            "recovery-regenerated",
            &[],
        );
        self.recovery
            .recovery_replace(&account.id, &hashes, &ev, Some(&mail), self.env.now())
            .await?;
        (self.env.mail_waker)();
        Ok(codes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AccountStatus;
    use crate::service::Policy;
    use crate::store::ThrottleStore;
    use crate::testing::{Fixture, account};

    fn client() -> Client {
        Client {
            ip: "192.0.2.9".into(),
            user_agent: "unit".into(),
        }
    }

    /// The seed the enrolment page shows, read back from its `otpauth` URI.
    fn seed_of(e: &Enrolment) -> Vec<u8> {
        let b32 = e
            .otpauth_uri
            .split("secret=")
            .nth(1)
            .and_then(|s| s.split('&').next())
            .unwrap();
        data_encoding::BASE32_NOPAD.decode(b32.as_bytes()).unwrap()
    }

    #[tokio::test]
    async fn an_enrolment_waits_after_wrong_codes_and_a_right_code_activates_it_once() {
        let f = Fixture::new(Policy::default());
        let a = account(&f, "2000000000004", AccountStatus::Active).await;
        let c = &f.credentials;
        let shown = c.enrolment(&a).await.unwrap();
        // Showing the page again keeps the seed.
        assert_eq!(
            c.enrolment(&a).await.unwrap().otpauth_uri,
            shown.otpauth_uri
        );
        let seed = seed_of(&shown);
        let now = f.env.now();
        let right = totp::code_at(&seed, totp::step_at(now));
        let wrong = if right == "000000" {
            "111111"
        } else {
            "000000"
        };
        let free = f.env.policy.enrol_free_failures;
        for _ in 0..free {
            let e = c.confirm_enrolment(&a, wrong, &client()).await.unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::Invalid {
                        reason: "code-wrong",
                        ..
                    }
                ),
                "{e:?}"
            );
        }
        // Past the free failures even the right code waits, and nothing is activated.
        let e = c
            .confirm_enrolment(&a, &right, &client())
            .await
            .unwrap_err();
        assert!(matches!(e, Error::RateLimited { .. }), "{e:?}");
        assert!(c.two_step_status(&a).await.unwrap().active.is_none());

        f.clock.advance_ms(60_000);
        let later = totp::code_at(&seed, totp::step_at(f.env.now()));
        let codes = c.confirm_enrolment(&a, &later, &client()).await.unwrap();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert!(codes.iter().all(|k| k.len() == RECOVERY_CODE_LEN + 1));
        let status = c.two_step_status(&a).await.unwrap();
        assert!(status.active.is_some());
        assert_eq!(status.recovery_left, RECOVERY_CODES as i64);
        assert_eq!(
            f.store.throttle(&enrol_key(&a.id)).await.unwrap().failures,
            0
        );
        assert!(
            f.store
                .mails()
                .iter()
                .any(|m| m.kind == "two-step-activated")
        );
        assert_eq!(
            f.store
                .audit_kinds()
                .iter()
                .filter(|k| *k == "two-step.enrol-failure")
                .count() as i64,
            free
        );
        // The enrolment is spent: the same code cannot confirm it again.
        let e = c
            .confirm_enrolment(&a, &later, &client())
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Expired("enrolment")), "{e:?}");
    }

    #[tokio::test]
    async fn a_code_proves_an_account_change_once_and_new_recovery_codes_replace_the_old() {
        let f = Fixture::new(Policy::default());
        let a = account(&f, "2000000000004", AccountStatus::Active).await;
        let c = &f.credentials;
        let seed = seed_of(&c.enrolment(&a).await.unwrap());
        let first = totp::code_at(&seed, totp::step_at(f.env.now()));
        let old = c.confirm_enrolment(&a, &first, &client()).await.unwrap();

        f.clock.advance_ms(30_000);
        let code = totp::code_at(&seed, totp::step_at(f.env.now()));
        // A recovery code never stands for the authenticator here.
        let e = c
            .regenerate_recovery_codes(&a, &old[0], &client())
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::Invalid {
                    reason: "code-wrong",
                    ..
                }
            ),
            "{e:?}"
        );
        let new = c
            .regenerate_recovery_codes(&a, &code, &client())
            .await
            .unwrap();
        assert!(new.iter().all(|k| !old.contains(k)));
        assert_eq!(
            c.two_step_status(&a).await.unwrap().recovery_left,
            RECOVERY_CODES as i64
        );
        // The same step again is a replay.
        let e = c.remove_two_step(&a, &code, &client()).await.unwrap_err();
        assert!(
            matches!(
                e,
                Error::Invalid {
                    reason: "code-wrong",
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(c.two_step_status(&a).await.unwrap().active.is_some());

        f.clock.advance_ms(30_000);
        let next = totp::code_at(&seed, totp::step_at(f.env.now()));
        c.remove_two_step(&a, &next, &client()).await.unwrap();
        assert!(c.two_step_status(&a).await.unwrap().active.is_none());
        assert!(f.store.mails().iter().any(|m| m.kind == "two-step-removed"));
    }
}
