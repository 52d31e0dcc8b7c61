//! Two-step authentication (MPass "Autentificare în doi pași"): enrolling an Authenticator app,
//! recovery codes, replacing and removing the authenticator.

use serde_json::json;

use crate::audit;
use crate::error::{Error, Result};
use crate::login::{Client, clean_recovery_code};
use crate::model::{Account, TotpCredential};
use crate::password::{self, Context};
use crate::rng;
use crate::service::{Core, ThrottlePolicy, digest};
use crate::totp;

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

impl Core {
    pub async fn two_step_status(&self, account: &Account) -> Result<TwoStepStatus> {
        Ok(TwoStepStatus {
            active: self.store.totp(&account.id).await?,
            recovery_left: self.store.recovery_left(&account.id).await?,
        })
    }

    /// Sets the password of an account that has none (an e-signature registration), as the
    /// activation journey asks before the authenticator.
    pub async fn set_first_password(
        &self,
        account: &Account,
        password: &str,
        confirm: &str,
        client: &Client,
    ) -> Result<()> {
        if account.password_hash.is_some() {
            return Err(Error::Conflict("password-exists"));
        }
        self.new_password(account, password, confirm, client, "password.set")
            .await
    }

    /// Replaces the password of an account whose holder just proved who they are (an
    /// e-signature login, where the deployment has one): the "forgot password" path.
    pub async fn reset_password(
        &self,
        account: &Account,
        password: &str,
        confirm: &str,
        client: &Client,
    ) -> Result<()> {
        self.new_password(account, password, confirm, client, "password.reset")
            .await
    }

    async fn new_password(
        &self,
        account: &Account,
        password: &str,
        confirm: &str,
        client: &Client,
        kind: &str,
    ) -> Result<()> {
        let ctx = Context {
            words: vec![
                &self.policy.service_name,
                &account.national_id.value,
                &account.profile.given_name,
                &account.profile.family_name,
            ],
        };
        password::check_new(password, confirm, self.policy.min_password_len(), &ctx)?;
        let p = password.to_owned();
        let rng = self.rng.clone();
        let hash = self.hashing(move |h| h.hash(&p, rng.as_ref())).await??;
        let ev = audit::event(kind, Some(&account.id), Some(&client.ip), json!({}));
        self.store
            .set_password(&account.id, &hash, &ev, None, self.now())
            .await
    }

    /// The seed being enrolled: the one in progress if recent, else a new one. Showing the page
    /// again never resets the confirmation attempt counter.
    pub async fn enrolment(&self, account: &Account) -> Result<Enrolment> {
        let now = self.now();
        let secret = match self.store.totp_pending(&account.id).await? {
            Some((sealed, at)) if now - at < PENDING_TTL_MS => {
                self.sealer.open(&sealed, &account.id)?
            }
            _ => {
                let s = totp::new_secret(self.rng.as_ref());
                let sealed = self.sealer.seal(&s, &account.id, self.rng.as_ref())?;
                self.store
                    .totp_pending_put(&account.id, &sealed, now)
                    .await?;
                s
            }
        };
        Ok(Enrolment {
            otpauth_uri: totp::otpauth_uri(
                &self.policy.service_name,
                &account.national_id.value,
                &secret,
            ),
            secret_grouped: totp::secret_grouped(&secret),
        })
    }

    fn enrol_policy(&self) -> ThrottlePolicy {
        ThrottlePolicy {
            free_failures: self.policy.enrol_free_failures,
            ..self.policy.throttle
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
        let now = self.now();
        let (sealed, at) = self
            .store
            .totp_pending(&account.id)
            .await?
            .ok_or(Error::Expired("enrolment"))?;
        if now - at >= PENDING_TTL_MS {
            return Err(Error::Expired("enrolment"));
        }
        let secret = self.sealer.open(&sealed, &account.id)?;
        // The attempt is taken before the code is checked (see `Core::login`).
        self.throttles.take_one(&key, &policy).await?;
        let Some(step) = totp::verify(&secret, code, now, 0) else {
            let ev = audit::event(
                "two-step.enrol-failure",
                Some(&account.id),
                Some(&client.ip),
                json!({}),
            );
            self.store.audit_append(&ev, None, now).await?;
            return Err(Error::invalid("code", "code-wrong"));
        };
        let (codes, hashes) = self.new_recovery_codes();
        let replacing = self.store.totp(&account.id).await?.is_some();
        let ev = audit::event(
            "two-step.activated",
            Some(&account.id),
            Some(&client.ip),
            json!({"replaced": replacing, "user_agent": client.user_agent}),
        );
        let mail = self.mail(
            &account.profile.email,
            &account.profile.language,
            "two-step-activated",
            &[],
        );
        self.store
            .totp_activate(&account.id, &sealed, step, &hashes, &ev, Some(&mail), now)
            .await?;
        self.store.throttle_reset(&key).await?;
        (self.mail_waker)();
        Ok(codes)
    }

    fn new_recovery_codes(&self) -> (Vec<String>, Vec<String>) {
        let mut codes = Vec::with_capacity(RECOVERY_CODES);
        let n = u32::try_from(RECOVERY_ALPHABET.len()).unwrap_or(1);
        for _ in 0..RECOVERY_CODES {
            let raw: String = (0..RECOVERY_CODE_LEN)
                .map(|_| {
                    let i = usize::try_from(rng::below(self.rng.as_ref(), n)).unwrap_or(0);
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
        let totp = self.store.totp(&account.id).await?.ok_or(Error::NotFound)?;
        let secret = self.sealer.open(&totp.sealed_secret, &account.id)?;
        let now = self.now();
        self.throttles.take_one(&key, &self.policy.throttle).await?;
        if let Some(step) = totp::verify(&secret, code, now, totp.last_step)
            && self.store.totp_use_step(&account.id, step).await?
        {
            self.store.throttle_reset(&key).await?;
            return Ok(());
        }
        let ev = audit::event(
            "two-step.code-failure",
            Some(&account.id),
            Some(&client.ip),
            json!({}),
        );
        self.store.audit_append(&ev, None, now).await?;
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
        let mail = self.mail(
            &account.profile.email,
            &account.profile.language,
            "two-step-removed",
            &[],
        );
        self.store
            .totp_remove(&account.id, &ev, Some(&mail), self.now())
            .await?;
        (self.mail_waker)();
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
        let s = totp::new_secret(self.rng.as_ref());
        let sealed = self.sealer.seal(&s, &account.id, self.rng.as_ref())?;
        self.store
            .totp_pending_put(&account.id, &sealed, self.now())
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
        let mail = self.mail(
            &account.profile.email,
            &account.profile.language,
            "recovery-regenerated",
            &[],
        );
        self.store
            .recovery_replace(&account.id, &hashes, &ev, Some(&mail), self.now())
            .await?;
        (self.mail_waker)();
        Ok(codes)
    }
}
