//! The login transaction and the password + code login (design note 0001).

use serde_json::json;

use crate::audit;
use crate::error::{Error, Result};
use crate::model::{Account, AccountStatus, Amr, Level, Session};
use crate::national_id;
use crate::rng;
use crate::service::{Core, Rule, ordered_key};
use crate::store::Settle;
use crate::totp;

/// A factor proven during one login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factor {
    Password,
    Totp,
    RecoveryCode,
    /// A qualified certificate's key, on a card or token (`hardware`) or in software.
    Certificate {
        hardware: bool,
    },
}

impl Factor {
    fn is_possession(self) -> bool {
        matches!(self, Factor::Totp | Factor::RecoveryCode)
    }
}

/// Factors proven for one account; the level is derived from them, never asserted.
#[derive(Debug, Clone)]
pub struct LoginTransaction {
    pub account_id: String,
    pub factors: Vec<Factor>,
}

impl LoginTransaction {
    pub fn level(&self) -> Level {
        if self
            .factors
            .iter()
            .any(|f| matches!(f, Factor::Certificate { .. }))
        {
            return Level::High;
        }
        let knows = self.factors.contains(&Factor::Password);
        let has = self.factors.iter().any(|f| f.is_possession());
        if knows && has {
            Level::Substantial
        } else {
            Level::Low
        }
    }

    pub fn amr(&self) -> Vec<Amr> {
        let mut amr = Vec::new();
        for f in &self.factors {
            let a: &[Amr] = match f {
                Factor::Password => &[Amr::Pwd],
                Factor::Totp => &[Amr::Otp],
                Factor::RecoveryCode => &[],
                Factor::Certificate { hardware: true } => &[Amr::Sc, Amr::Hwk],
                Factor::Certificate { hardware: false } => &[Amr::Sc, Amr::Swk],
            };
            for a in a {
                if !amr.contains(a) {
                    amr.push(*a);
                }
            }
        }
        if self.level() == Level::Substantial {
            amr.push(Amr::Mfa);
        }
        amr
    }
}

#[derive(Debug, Clone, Default)]
pub struct LoginInput {
    pub national_id: String,
    pub password: String,
    pub code: String,
}

/// Who is asking, for throttling and the audit trail.
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub ip: String,
    pub user_agent: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginError {
    /// The input is malformed (an identifier that cannot exist): nothing was counted.
    Invalid(Error),
    /// Identifier, password or code wrong — one answer for every cause.
    Failed,
    /// Too many failures: wait. Given before any check, so right and wrong answers look alike.
    RateLimited { retry_after_ms: i64 },
    /// The authenticator is locked after too many failures.
    Locked,
    /// Proven, but the email address is not confirmed yet.
    EmailNotConfirmed,
    /// Proven, but an operator locked the account.
    AccountLocked,
    /// The password was right, but this deployment lets no password log in alone and the
    /// account has no second factor yet.
    SecondFactorRequired,
    /// Something we depend on failed; nothing was accepted.
    Unavailable(Error),
}

impl From<Error> for LoginError {
    fn from(e: Error) -> Self {
        match e {
            Error::RateLimited { retry_after_ms } => LoginError::RateLimited { retry_after_ms },
            Error::Forbidden("locked") => LoginError::Locked,
            other => LoginError::Unavailable(other),
        }
    }
}

/// A new session: the secret goes to the browser, only its digest is stored.
pub struct NewSession {
    pub secret: String,
    pub session: Session,
}

fn pwd_key(nid: &str) -> String {
    format!("pwd:{nid}")
}
fn otp_key(nid: &str) -> String {
    format!("otp:{nid}")
}
fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

/// A recovery code as typed: ten letters/digits once dashes and spaces are gone.
pub fn clean_recovery_code(input: &str) -> Option<String> {
    let s: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    (s.chars().count() == crate::twostep::RECOVERY_CODE_LEN
        && s.chars().all(|c| c.is_ascii_alphanumeric()))
    .then_some(s)
}

impl Core {
    /// National ID + password (+ code) login, as on the MPass login page.
    /// `replaces` is the browser's current session secret, if any: a login from a logged-in browser
    /// (re-authentication, step-up) ends it in the same transaction as the new one starts.
    ///
    /// Every secret is checked only after an attempt was taken on its counter and on the
    /// address's (design note 0008), so no concurrency, on any node, lets more guesses through
    /// than the policy allows; an attempt whose secret was right, or never checked, goes back.
    pub async fn login(
        &self,
        input: LoginInput,
        client: &Client,
        replaces: Option<&str>,
    ) -> Result<NewSession, LoginError> {
        let nid = national_id::parse(&input.national_id, &self.policy.schemes)
            .map_err(|p| LoginError::Invalid(p.into()))?;
        let nid = nid.value.as_str();
        let ip_key = ip_key(&client.ip);
        let pwd_key = pwd_key(nid);
        let otp_key = otp_key(nid);
        let account = self.store.account_by_national_id(nid).await?;
        let totp = match &account {
            Some(a) => self.store.totp(&a.id).await?,
            None => None,
        };
        // While the code counter waits or is locked that is the answer, given before the
        // password is looked at: a right and a wrong password get the same one.
        if totp.is_some() {
            self.throttle_check(&otp_key, &self.policy.throttle).await?;
        }
        // The address's and the password's attempts, taken together (one transaction); the
        // address's stands only for a wrong guess, the password's only for a wrong password.
        let counts = self
            .take_attempts(
                &[
                    (&ip_key, Rule::Address),
                    (&pwd_key, Rule::Authenticator(&self.policy.throttle)),
                ],
                &[],
            )
            .await?;
        let count = counts.get(1).copied().unwrap_or(0);
        let stored = account.as_ref().and_then(|a| a.password_hash.clone());
        let password = input.password.clone();
        let password_ok = self
            .hashing(move |h| h.verify(&password, stored.as_deref()))
            .await?;
        let account = match (password_ok, account) {
            (true, Some(a)) => a,
            (_, account) => {
                return Err(self
                    .failed(&pwd_key, count, account.as_ref(), "password", client)
                    .await);
            }
        };

        let mut tx = LoginTransaction {
            account_id: account.id.clone(),
            factors: vec![Factor::Password],
        };
        let mut resets = vec![pwd_key.clone()];
        // The Authenticator step this login spends, in the transaction that starts its session.
        let mut spend = None;
        // The authenticator counter whose attempt this login still holds.
        let mut held = pwd_key.as_str();
        match totp {
            None if !self.policy.password_only_login => {
                // A password alone gives no session in this deployment; it was no failure.
                self.release_attempts(&[&pwd_key, &ip_key]).await?;
                return Err(LoginError::SecondFactorRequired);
            }
            None => {}
            Some(_) if input.code.trim().is_empty() => {
                return Err(self
                    .failed(&pwd_key, count, Some(&account), "code-missing", client)
                    .await);
            }
            Some(totp) => {
                // The password was right: its attempt goes back as the code's is taken.
                let rule = Rule::Authenticator(&self.policy.throttle);
                let count = match self.take_attempts(&[(&otp_key, rule)], &[&pwd_key]).await {
                    Ok(c) => c.first().copied().unwrap_or(0),
                    Err(e) => {
                        self.release_attempts(&[&pwd_key, &ip_key]).await?;
                        return Err(e.into());
                    }
                };
                held = otp_key.as_str();
                let proven = if let Some(rc) = clean_recovery_code(&input.code) {
                    self.spend_recovery_code(&account, &rc, client)
                        .await?
                        .then_some(Factor::RecoveryCode)
                } else {
                    let secret = self.sealer.open(&totp.sealed_secret, &account.id)?;
                    totp::verify(&secret, &input.code, self.now(), totp.last_step).map(|step| {
                        spend = Some(step);
                        Factor::Totp
                    })
                };
                let Some(f) = proven else {
                    return Err(self
                        .failed(&otp_key, count, Some(&account), "code", client)
                        .await);
                };
                tx.factors.push(f);
                resets.push(otp_key.clone());
            }
        }

        let refused = match account.status {
            AccountStatus::Active => None,
            AccountStatus::Pending => Some(LoginError::EmailNotConfirmed),
            AccountStatus::Locked => Some(LoginError::AccountLocked),
        };
        if let Some(refused) = refused {
            // No session; a valid code is spent all the same, so a replayed one fails as a code.
            let fresh = match spend {
                Some(step) => self.store.totp_use_step(&account.id, step).await?,
                None => true,
            };
            if fresh {
                self.release_attempts(&[held, &ip_key]).await?;
                return Err(refused);
            }
        } else if let Some(ns) = self
            .open_session(&tx, replaces, spend, &resets, &[&ip_key], client)
            .await?
        {
            return Ok(ns);
        }
        // Another login spent this code first: its attempt stands as a failure.
        let count = self.store.throttle(&otp_key).await?.failures;
        Err(self
            .failed(&otp_key, count, Some(&account), "code", client)
            .await)
    }

    /// Records a failed attempt whose count `take_attempt` already took (`count` with it), and
    /// locks (with an alert to the citizen) when the limit is reached. Always answers `Failed`
    /// unless the store itself failed.
    async fn failed(
        &self,
        key: &str,
        count: i64,
        account: Option<&Account>,
        what: &str,
        client: &Client,
    ) -> LoginError {
        let now = self.now();
        let run = async {
            let id = account.map(|a| a.id.as_str());
            let ev = audit::event(
                "login.failure",
                id,
                Some(&client.ip),
                json!({"reason": what, "user_agent": client.user_agent}),
            );
            self.store.audit_append(&ev, None, now).await?;
            if count == self.policy.throttle.lock_after
                && let Some(a) = account
            {
                let mail = self.mail(&a.profile.email, &a.profile.language, "locked", &[]);
                let ev = audit::event(
                    "login.locked",
                    Some(&a.id),
                    Some(&client.ip),
                    json!({"key": key.split(':').next()}),
                );
                self.store.audit_append(&ev, Some(&mail), now).await?;
                (self.mail_waker)();
            }
            Ok::<(), Error>(())
        };
        match run.await {
            Ok(()) => LoginError::Failed,
            Err(e) => LoginError::Unavailable(e),
        }
    }

    /// Writes the session for a completed login transaction. `replaces` is the secret of the
    /// browser's current session (a step-up came from it); that session is deleted in the same
    /// transaction.
    pub async fn start_session(
        &self,
        tx: &LoginTransaction,
        replaces: Option<&str>,
        resets: &[String],
        client: &Client,
    ) -> Result<NewSession> {
        self.open_session(tx, replaces, None, resets, &[], client)
            .await?
            .ok_or_else(|| Error::Internal("session: no code to spend, yet none started".into()))
    }

    /// `start_session`, spending the Authenticator step `spend` and giving back one attempt on
    /// each of `releases` in the same transaction: `None` when that step was used already
    /// (nothing is written).
    async fn open_session(
        &self,
        tx: &LoginTransaction,
        replaces: Option<&str>,
        spend: Option<i64>,
        resets: &[String],
        releases: &[&str],
        client: &Client,
    ) -> Result<Option<NewSession>> {
        // A browser's session replaced by another citizen's ends as a logout: its e-services
        // are told and their grants revoked. The same citizen's session hands them on instead.
        let (replaces, chain) = match replaces {
            Some(old) => match self.store.session(&ordered_key(old)).await? {
                Some(s) if s.account_id == tx.account_id => (Some(old), Some(s.chain)),
                Some(_) => {
                    self.logout(old, client).await?;
                    (None, None)
                }
                None => (None, None),
            },
            None => (None, None),
        };
        let now = self.now();
        let level = tx.level();
        let (idle, absolute) = self.lifetimes(level);
        let secret = rng::ordered_token(self.rng.as_ref(), now);
        let id_hash = ordered_key(&secret);
        let session = Session {
            id_hash: id_hash.clone(),
            account_id: tx.account_id.clone(),
            level,
            amr: tx.amr(),
            auth_time: now,
            created_at: now,
            last_seen_at: now,
            idle_expires_at: now + idle,
            expires_at: now + absolute,
            chain: chain.unwrap_or(id_hash),
        };
        let ev = audit::event(
            "login.success",
            Some(&tx.account_id),
            Some(&client.ip),
            json!({"level": level.as_str(), "amr": Amr::join(&session.amr), "user_agent": client.user_agent}),
        );
        let started = self
            .store
            .session_start(
                &session,
                replaces.map(ordered_key).as_deref(),
                spend,
                Settle { resets, releases },
                &ev,
                now,
            )
            .await?;
        Ok(started.then_some(NewSession { secret, session }))
    }

    fn lifetimes(&self, level: Level) -> (i64, i64) {
        let s = &self.policy.session;
        match level {
            Level::High => (s.high_idle_ms, s.high_absolute_ms),
            _ => (s.idle_ms, s.absolute_ms),
        }
    }

    /// The live session for a browser's secret, sliding its idle timeout.
    pub async fn session(&self, secret: &str) -> Result<Option<Session>> {
        let hash = ordered_key(secret);
        let Some(mut s) = self.store.session(&hash).await? else {
            return Ok(None);
        };
        let now = self.now();
        if now >= s.expires_at || now >= s.idle_expires_at {
            self.store.session_end(&hash, None, now).await?;
            return Ok(None);
        }
        // Write at most once a minute per session.
        if now - s.last_seen_at >= 60_000 {
            let (idle, _) = self.lifetimes(s.level);
            s.idle_expires_at = (now + idle).min(s.expires_at);
            s.last_seen_at = now;
            self.store
                .session_touch(&hash, now, s.idle_expires_at)
                .await?;
        }
        Ok(Some(s))
    }

    /// Ends the session everywhere; e-services that received its tokens are told over the back
    /// channel, and those tokens are revoked.
    pub async fn logout(&self, secret: &str, client: &Client) -> Result<()> {
        let hash = ordered_key(secret);
        let now = self.now();
        let Some(s) = self.store.session(&hash).await? else {
            return Ok(());
        };
        let ev = audit::event(
            "session.logout",
            Some(&s.account_id),
            Some(&client.ip),
            json!({}),
        );
        self.queue_backchannel_logout(&s.chain, &s.account_id)
            .await?;
        self.store.session_end(&hash, Some(&ev), now).await
    }

    /// Sensitive changes need a login within `fresh_login_ms`.
    pub fn is_fresh(&self, s: &Session) -> bool {
        self.now() - s.auth_time <= self.policy.fresh_login_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_follows_factors() {
        let mut tx = LoginTransaction {
            account_id: "a".into(),
            factors: vec![Factor::Password],
        };
        assert_eq!(tx.level(), Level::Low);
        assert_eq!(tx.amr(), vec![Amr::Pwd]);
        tx.factors.push(Factor::Totp);
        assert_eq!(tx.level(), Level::Substantial);
        assert_eq!(tx.amr(), vec![Amr::Pwd, Amr::Otp, Amr::Mfa]);
        let only_code = LoginTransaction {
            account_id: "a".into(),
            factors: vec![Factor::Totp],
        };
        assert_eq!(
            only_code.level(),
            Level::Low,
            "a code alone never reaches substantial"
        );
    }

    #[test]
    fn recovery_code_shape() {
        assert_eq!(
            clean_recovery_code("ABCDE-12345"),
            Some("abcde12345".into())
        );
        assert_eq!(clean_recovery_code("123456"), None);
    }
}
