//! The login transaction (design note 0010): factors proven by verifiers (`verifiers`), kept
//! in memory for one request or in the database between requests, and the session it becomes.

mod verifiers;

use crate::ids::AccountId;
use serde::{Deserialize, Serialize};
use serde_json::json;

use std::sync::Arc;

use crate::audit;
use crate::error::{Error, Result};
use crate::model::{Account, AccountStatus, Amr, Level, Organization, Session, TotpCredential};
use crate::password::{Hasher, Hashing};
use crate::rng;
use crate::seal::Sealer;
use crate::service::{Env, Throttles, digest, ordered_key};
use crate::store::{
    AccountStore, AuditStore, LoginStore, RecoveryStore, SessionStore, Settle, StoredLogin,
    TotpStore,
};

pub use verifiers::{
    AppApproval, Certificate, Code, PasskeyInput, PasskeyLogin, Password, PasswordInput, Verifier,
    clean_recovery_code,
};

/// How long a stored login transaction may wait for its next step: longer than a cross-device
/// challenge lives plus the window in which its newcomer may still open an account.
pub const LOGIN_TX_TTL_MS: i64 = 20 * 60 * 1000;

/// A factor proven during one login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "factor", rename_all = "kebab-case")]
pub enum Factor {
    Password,
    Totp,
    RecoveryCode,
    /// A qualified certificate's key, on a card or token (`hardware`) or in software.
    Certificate {
        hardware: bool,
    },
    /// A passkey's signature: `verified` when the authenticator verified the citizen (its
    /// screen lock, PIN or biometrics), `attested` when its model proved to be one the
    /// deployment trusts (design note 0014).
    Passkey {
        verified: bool,
        attested: bool,
    },
}

impl Factor {
    fn is_possession(self) -> bool {
        matches!(
            self,
            Factor::Totp | Factor::RecoveryCode | Factor::Passkey { .. }
        )
    }

    /// A passkey that verified its holder is two factors on its own: the device, and what
    /// unlocks it.
    fn is_multi_factor(self) -> bool {
        matches!(self, Factor::Passkey { verified: true, .. })
    }
}

/// What the session a transaction becomes settles in the transaction that starts it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement {
    /// Counters the login proved: reset.
    pub resets: Vec<String>,
    /// Counters whose attempt goes back (the address's).
    pub releases: Vec<String>,
    /// The authenticator counter whose attempt the transaction still holds, with its count.
    pub held: Option<(String, i64)>,
    /// The Authenticator step the login spends.
    pub totp_step: Option<i64>,
}

/// Factors proven for one browser's login; the level is derived from them, never asserted.
/// Only verifiers add factors.
#[derive(Debug, Clone, Default)]
pub struct LoginTransaction {
    /// Digest of the pre-session cookie of the browser it is bound to (empty: one request).
    pub(crate) browser_hash: String,
    /// The account the first factor named; every later factor must name the same.
    pub(crate) account_id: Option<AccountId>,
    pub(crate) factors: Vec<Factor>,
    pub(crate) settle: Settlement,
    /// Its key in `login_transactions` once stored: spent with the session it becomes.
    pub(crate) stored: Option<String>,
    /// What the verifiers read of the account, kept for the next step of the same request.
    pub(crate) account: Option<Account>,
    pub(crate) totp: Option<TotpCredential>,
    /// The organisation an organisation certificate among the factors names.
    pub(crate) organization: Option<Organization>,
}

impl LoginTransaction {
    /// A transaction for the browser whose pre-session id is `pre_id`.
    pub fn for_browser(pre_id: &str) -> Self {
        LoginTransaction {
            browser_hash: digest(pre_id),
            ..Default::default()
        }
    }

    /// A transaction whose factors are asserted, for tests and benchmarks only.
    #[cfg(any(test, feature = "test-clock"))]
    pub fn asserted(account_id: &str, factors: Vec<Factor>) -> Self {
        LoginTransaction {
            account_id: Some(account_id.into()),
            factors,
            ..Default::default()
        }
    }

    pub fn account_id(&self) -> Option<&str> {
        self.account_id.as_deref()
    }

    pub fn factors(&self) -> &[Factor] {
        &self.factors
    }

    /// Records a proven factor for `account`; `false` (nothing added) when the transaction
    /// already belongs to another account.
    pub(crate) fn prove(&mut self, account: &Account, factor: Factor) -> bool {
        match &self.account_id {
            Some(id) if *id != account.id => return false,
            _ => {}
        }
        self.account_id = Some(account.id.clone());
        if self.account.as_ref().is_none_or(|a| a.id != account.id) {
            self.account = Some(account.clone());
        }
        if !self.factors.contains(&factor) {
            self.factors.push(factor);
        }
        true
    }

    pub fn level(&self) -> Level {
        let high = |f: &Factor| {
            matches!(
                f,
                Factor::Certificate { .. }
                    | Factor::Passkey {
                        verified: true,
                        attested: true
                    }
            )
        };
        if self.factors.iter().any(high) {
            return Level::High;
        }
        let knows = self.factors.contains(&Factor::Password);
        let has = self.factors.iter().any(|f| f.is_possession());
        if (knows && has) || self.factors.iter().any(|f| f.is_multi_factor()) {
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
                // RFC 8176: a key proven by the device (hardware when attested), the user's
                // presence it tested, and their verification (its method is not told).
                Factor::Passkey {
                    attested: true,
                    verified,
                } => {
                    if *verified {
                        &[Amr::Hwk, Amr::User, Amr::Mfa]
                    } else {
                        &[Amr::Hwk, Amr::User]
                    }
                }
                Factor::Passkey {
                    attested: false,
                    verified,
                } => {
                    if *verified {
                        &[Amr::Swk, Amr::User, Amr::Mfa]
                    } else {
                        &[Amr::Swk, Amr::User]
                    }
                }
            };
            for a in a {
                if !amr.contains(a) {
                    amr.push(*a);
                }
            }
        }
        if self.level() == Level::Substantial && !amr.contains(&Amr::Mfa) {
            amr.push(Amr::Mfa);
        }
        amr
    }

    /// The counters whose attempts the transaction holds (given back when it ends without a
    /// session for a reason that is no failure).
    fn held_keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self.settle.held.iter().map(|(k, _)| k.as_str()).collect();
        keys.extend(self.settle.releases.iter().map(String::as_str));
        keys
    }
}

/// What the password page sends: national identifier, password and, when the account has
/// two-step authentication, a code. Secrets are never printed.
#[derive(Clone, Default)]
pub struct LoginInput {
    pub national_id: String,
    pub password: secrecy::SecretString,
    pub code: secrecy::SecretString,
    /// The browser's pre-session id: a login that needs another step (a passkey) is stored
    /// for this browser only. Empty: the login is one request or nothing.
    pub pre_id: String,
}

impl std::fmt::Debug for LoginInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginInput")
            .field("national_id", &self.national_id)
            .finish_non_exhaustive()
    }
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
    /// The password was right and the code was one of the app's, but already used (counted
    /// as a wrong code): wait for the next one.
    CodeUsed,
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
    /// The stored transaction is gone (expired, spent, or another browser's).
    Gone,
    /// The password was right and the account's second step is a passkey: the transaction
    /// was stored under this key for the passkey page.
    PasskeyStep { key: String },
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

/// Told when a session ends (a logout, or another citizen's login in its browser), so the
/// e-services it served hear of it.
#[async_trait::async_trait]
pub trait SessionEnded: Send + Sync {
    async fn session_ended(&self, chain: &str, account_id: &str) -> Result<()>;
}

/// The login service: verifiers, transactions and sessions, over the ports it uses.
pub struct Logins {
    pub(crate) accounts: Arc<dyn AccountStore>,
    pub(crate) totp: Arc<dyn TotpStore>,
    pub(crate) recovery: Arc<dyn RecoveryStore>,
    pub(crate) sessions: Arc<dyn SessionStore>,
    pub(crate) audit: Arc<dyn AuditStore>,
    pub(crate) stored: Arc<dyn LoginStore>,
    pub(crate) throttles: Throttles,
    pub(crate) env: Env,
    pub(crate) hashing: Hashing,
    pub(crate) sealer: Arc<Sealer>,
    pub(crate) ended: Arc<dyn SessionEnded>,
    pub(crate) passkeys: Arc<crate::passkey::Passkeys>,
}

/// A new session: the secret goes to the browser, only its digest is stored.
pub struct NewSession {
    pub secret: String,
    pub session: Session,
}

impl Logins {
    /// Runs `f` on a password-hashing thread (see `password::HashWorkers`).
    pub(crate) async fn hashing<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Hasher) -> T + Send + 'static,
    ) -> Result<T> {
        self.hashing.run(f).await
    }

    /// National ID + password (+ code) login, as on the MPass login page: the password
    /// verifier, then the code verifier when the account has two-step authentication, then the
    /// session. `replaces` is the browser's current session secret, if any: a login from a
    /// logged-in browser (re-authentication, step-up) ends it in the same transaction as the
    /// new one starts.
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
        use secrecy::ExposeSecret;
        let mut tx = if input.pre_id.is_empty() {
            LoginTransaction::default()
        } else {
            LoginTransaction::for_browser(&input.pre_id)
        };
        let password = PasswordInput {
            national_id: input.national_id,
            password: input.password,
        };
        Password.verify(self, &mut tx, &password, client).await?;
        let no_code = input.code.expose_secret().trim().is_empty();
        if no_code && self.passkeys.enabled() && !input.pre_id.is_empty() {
            let id = tx.account_id.clone().unwrap_or_default();
            if !self.passkeys.store.passkeys_of(&id).await?.is_empty() {
                let key = self.login_save(tx).await?;
                return Err(LoginError::PasskeyStep { key });
            }
        }
        if tx.totp.is_some() {
            if no_code {
                let (key, count) = tx.settle.held.clone().unwrap_or_default();
                return Err(self
                    .failed(&key, count, tx.account.as_ref(), "code-missing", client)
                    .await);
            }
            Code.verify(self, &mut tx, &input.code, client).await?;
        }
        self.complete(tx, replaces, client).await
    }

    /// A passkey login: passwordless when `tx` is new, the second step when it is a stored
    /// transaction whose password was right. `replaces` as for `login`.
    pub async fn passkey_login(
        &self,
        mut tx: LoginTransaction,
        input: &PasskeyInput,
        client: &Client,
        replaces: Option<&str>,
    ) -> Result<NewSession, LoginError> {
        PasskeyLogin.verify(self, &mut tx, input, client).await?;
        self.complete(tx, replaces, client).await
    }

    /// Keeps a transaction that waits for another request (another page, another device):
    /// any node can continue it, only its browser can. Attempts it holds go back first: what
    /// it proved so far was right. Returns its key.
    pub async fn login_save(&self, mut tx: LoginTransaction) -> Result<String> {
        let held = tx
            .held_keys()
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>();
        let held: Vec<&str> = held.iter().map(String::as_str).collect();
        self.throttles.release(&held).await?;
        tx.settle.held = None;
        tx.settle.releases.clear();
        let key = rng::ordered_token(self.env.rng.as_ref(), self.env.now());
        let key = ordered_key(&key);
        let stored = StoredLogin {
            key: key.clone(),
            browser_hash: tx.browser_hash.clone(),
            account_id: tx.account_id.clone(),
            factors: tx.factors.clone(),
            settle: tx.settle.clone(),
            expires_at: self.env.now() + LOGIN_TX_TTL_MS,
        };
        self.stored.login_put(&stored).await?;
        Ok(key)
    }

    /// The stored transaction `key`, for the browser whose pre-session id is `pre_id`, while
    /// it has not expired.
    pub async fn login_resume(&self, key: &str, pre_id: &str) -> Result<Option<LoginTransaction>> {
        use subtle::ConstantTimeEq;
        let Some(s) = self.stored.login(key).await? else {
            return Ok(None);
        };
        let mine = bool::from(digest(pre_id).as_bytes().ct_eq(s.browser_hash.as_bytes()));
        if !mine || self.env.now() >= s.expires_at {
            return Ok(None);
        }
        Ok(Some(LoginTransaction {
            browser_hash: s.browser_hash,
            account_id: s.account_id,
            factors: s.factors,
            settle: s.settle,
            stored: Some(s.key),
            account: None,
            totp: None,
            // Only a password's transaction is stored (it waits for the code); an
            // e-signature's completes at once.
            organization: None,
        }))
    }

    /// Turns a transaction into a session when its account may log in with what it proved:
    /// active (an unconfirmed email stops a password login, not a certificate's), and more than
    /// a password alone where the deployment wants it. Otherwise answers why; the attempts it
    /// holds go back (a valid code is spent all the same, so a replayed one fails as a code).
    pub async fn complete(
        &self,
        tx: LoginTransaction,
        replaces: Option<&str>,
        client: &Client,
    ) -> Result<NewSession, LoginError> {
        let account = match (&tx.account, &tx.account_id) {
            (Some(a), _) => a.clone(),
            (None, Some(id)) => self
                .accounts
                .account_by_id(id)
                .await?
                .ok_or(LoginError::Failed)?,
            (None, None) => return Err(LoginError::Failed),
        };
        let certified = tx
            .factors
            .iter()
            .any(|f| matches!(f, Factor::Certificate { .. }));
        let refused = if tx.level() == Level::Low && !self.env.policy.password_only_login {
            Some(LoginError::SecondFactorRequired)
        } else {
            match account.status {
                AccountStatus::Active => None,
                AccountStatus::Pending if certified => None,
                AccountStatus::Pending => Some(LoginError::EmailNotConfirmed),
                AccountStatus::Locked => Some(LoginError::AccountLocked),
            }
        };
        if let Some(refused) = refused {
            let fresh = match tx.settle.totp_step {
                Some(step) => self.totp.totp_use_step(&account.id, step).await?,
                None => true,
            };
            if fresh {
                self.throttles.release(&tx.held_keys()).await?;
                return Err(refused);
            }
        } else if let Some(ns) = self.open_session(&tx, replaces, client).await? {
            return Ok(ns);
        }
        if tx.settle.totp_step.is_none() {
            // No code to lose: the stored transaction was spent by another request.
            return Err(LoginError::Gone);
        }
        // Another login spent this code first: its attempt stands as a failure.
        let (key, _) = tx.settle.held.clone().unwrap_or_default();
        let count = self.throttles.read(&key).await?.failures;
        Err(self
            .failed(&key, count, Some(&account), "code", client)
            .await)
    }

    /// Records a failed attempt whose count `take_attempt` already took (`count` with it), and
    /// locks (with an alert to the citizen) when the limit is reached. Always answers `Failed`
    /// unless the store itself failed.
    pub(crate) async fn failed(
        &self,
        key: &str,
        count: i64,
        account: Option<&Account>,
        what: &str,
        client: &Client,
    ) -> LoginError {
        let now = self.env.now();
        let run = async {
            let id = account.map(|a| a.id.as_str());
            let ev = audit::event(
                "login.failure",
                id,
                Some(&client.ip),
                json!({"reason": what, "user_agent": client.user_agent}),
            );
            self.audit.audit_append(&ev, None, now).await?;
            if count == self.env.policy.throttle.lock_after
                && let Some(a) = account
            {
                let mail = self
                    .env
                    .mail(&a.profile.email, &a.profile.language, "locked", &[]);
                let ev = audit::event(
                    "login.locked",
                    Some(&a.id),
                    Some(&client.ip),
                    json!({"key": key.split(':').next()}),
                );
                self.audit.audit_append(&ev, Some(&mail), now).await?;
                (self.env.mail_waker)();
            }
            Ok::<(), Error>(())
        };
        match run.await {
            Ok(()) => LoginError::Failed,
            Err(e) => LoginError::Unavailable(e),
        }
    }

    /// Writes the session for a transaction whose factors were asserted (tests, benchmarks).
    #[cfg(any(test, feature = "test-clock"))]
    pub async fn start_session(
        &self,
        tx: &LoginTransaction,
        replaces: Option<&str>,
        client: &Client,
    ) -> Result<NewSession> {
        self.open_session(tx, replaces, client)
            .await?
            .ok_or_else(|| Error::Internal("session: none started".into()))
    }

    /// Spends a recovery code during a login; alerts the citizen.
    pub(crate) async fn spend_recovery_code(
        &self,
        account: &Account,
        cleaned: &str,
        client: &Client,
    ) -> Result<bool> {
        let now = self.env.now();
        let left = self.recovery.recovery_left(&account.id).await?;
        let ev = audit::event(
            "recovery.used",
            Some(&account.id),
            Some(&client.ip),
            json!({}),
        );
        let left_text = (left - 1).max(0).to_string();
        let mail = self.env.mail(
            &account.profile.email,
            &account.profile.language,
            "recovery-used",
            &[("left", &left_text)],
        );
        let used = self
            .recovery
            .recovery_use(&account.id, &digest(cleaned), &ev, Some(&mail), now)
            .await?;
        if used {
            (self.env.mail_waker)();
        }
        Ok(used)
    }

    /// Writes the session for a completed transaction, settling what it holds (`Settlement`)
    /// and spending its stored row in the same database transaction: `None` when its code step
    /// was used already or its stored row is gone (nothing is written). `replaces` is the
    /// secret of the browser's current session (a step-up came from it); that session is
    /// deleted in the same transaction.
    async fn open_session(
        &self,
        tx: &LoginTransaction,
        replaces: Option<&str>,
        client: &Client,
    ) -> Result<Option<NewSession>> {
        let account_id = tx
            .account_id
            .clone()
            .ok_or_else(|| Error::Internal("session: no account".into()))?;
        // A browser's session replaced by another citizen's ends as a logout: its e-services
        // are told and their grants revoked. The same citizen's session hands them on instead.
        let (replaces, chain) = match replaces {
            Some(old) => match self.sessions.session(&ordered_key(old)).await? {
                Some(s) if s.account_id == account_id => (Some(old), Some(s.chain)),
                Some(_) => {
                    self.logout(old, client).await?;
                    (None, None)
                }
                None => (None, None),
            },
            None => (None, None),
        };
        let now = self.env.now();
        let level = tx.level();
        let (idle, absolute) = self.lifetimes(level);
        let secret = rng::ordered_token(self.env.rng.as_ref(), now);
        let id_hash = ordered_key(&secret);
        let session = Session {
            id_hash: id_hash.clone(),
            account_id: account_id.clone(),
            level,
            amr: tx.amr(),
            auth_time: now,
            created_at: now,
            last_seen_at: now,
            idle_expires_at: now + idle,
            expires_at: now + absolute,
            chain: chain.unwrap_or(id_hash),
            user_agent: client.user_agent.clone(),
            ip: client.ip.clone(),
            organization: tx.organization.clone(),
        };
        let ev = audit::event(
            "login.success",
            Some(&account_id),
            Some(&client.ip),
            json!({"level": level.as_str(), "amr": Amr::join(&session.amr), "user_agent": client.user_agent}),
        );
        let releases: Vec<&str> = tx.settle.releases.iter().map(String::as_str).collect();
        let started = self
            .sessions
            .session_start(
                &session,
                replaces.map(ordered_key).as_deref(),
                Settle {
                    resets: &tx.settle.resets,
                    releases: &releases,
                    totp_step: tx.settle.totp_step,
                    login: tx.stored.as_deref(),
                },
                &ev,
                now,
            )
            .await?;
        Ok(started.then_some(NewSession { secret, session }))
    }

    fn lifetimes(&self, level: Level) -> (i64, i64) {
        let s = &self.env.policy.session;
        match level {
            Level::High => (s.high_idle_ms, s.high_absolute_ms),
            _ => (s.idle_ms, s.absolute_ms),
        }
    }

    /// The live session for a browser's secret, sliding its idle timeout.
    pub async fn session(&self, secret: &str) -> Result<Option<Session>> {
        let hash = ordered_key(secret);
        let Some(mut s) = self.sessions.session(&hash).await? else {
            return Ok(None);
        };
        let now = self.env.now();
        if now >= s.expires_at || now >= s.idle_expires_at {
            self.sessions.session_end(&hash, None, now).await?;
            return Ok(None);
        }
        // Write at most once a minute per session.
        if now - s.last_seen_at >= 60_000 {
            let (idle, _) = self.lifetimes(s.level);
            s.idle_expires_at = (now + idle).min(s.expires_at);
            s.last_seen_at = now;
            self.sessions
                .session_touch(&hash, now, s.idle_expires_at)
                .await?;
        }
        Ok(Some(s))
    }

    /// Ends the session everywhere; e-services that received its tokens are told over the back
    /// channel, and those tokens are revoked.
    pub async fn logout(&self, secret: &str, client: &Client) -> Result<()> {
        let hash = ordered_key(secret);
        let now = self.env.now();
        let Some(s) = self.sessions.session(&hash).await? else {
            return Ok(());
        };
        let ev = audit::event(
            "session.logout",
            Some(&s.account_id),
            Some(&client.ip),
            json!({}),
        );
        self.ended.session_ended(&s.chain, &s.account_id).await?;
        self.sessions.session_end(&hash, Some(&ev), now).await
    }

    /// The account's live sessions, newest first (My account, "sessions and devices").
    pub async fn sessions_of(&self, account_id: &str) -> Result<Vec<Session>> {
        self.sessions
            .sessions_for_account(account_id, self.env.now())
            .await
    }

    /// Ends one of the account's own sessions, named by its stored key, as a logout: its
    /// e-services are told and their grants revoked. `false` when the account has no such
    /// session (ended already, or another account's).
    pub async fn end_session_of(
        &self,
        account_id: &str,
        id_hash: &str,
        client: &Client,
    ) -> Result<bool> {
        let now = self.env.now();
        let Some(s) = self
            .sessions
            .sessions_for_account(account_id, now)
            .await?
            .into_iter()
            .find(|s| s.id_hash == id_hash)
        else {
            return Ok(false);
        };
        let ev = audit::event(
            "session.ended-by-citizen",
            Some(account_id),
            Some(&client.ip),
            json!({"user_agent": s.user_agent}),
        );
        self.ended.session_ended(&s.chain, account_id).await?;
        Ok(self
            .sessions
            .session_end_of_account(account_id, id_hash, &ev, now)
            .await?
            .is_some())
    }

    /// Ends every session of the account but `keep` (this browser's): "sign out everywhere
    /// else". Returns how many ended.
    pub async fn end_other_sessions(&self, keep: &Session, client: &Client) -> Result<usize> {
        let mut ended = 0;
        for s in self.sessions_of(&keep.account_id).await? {
            if s.id_hash != keep.id_hash
                && self
                    .end_session_of(&keep.account_id, &s.id_hash, client)
                    .await?
            {
                ended += 1;
            }
        }
        Ok(ended)
    }

    /// Sensitive changes need a login within `fresh_login_ms`.
    pub fn is_fresh(&self, s: &Session) -> bool {
        self.env.now() - s.auth_time <= self.env.policy.fresh_login_ms
    }
}

#[cfg(test)]
mod tests;
