//! `Core`: the use-cases, pure over (store, clock, rng) plus the deployment's policy.

use std::sync::Arc;

use data_encoding::HEXLOWER;
use sha2::{Digest, Sha256};

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::keys::SigningKeys;
use crate::model::{Mail, Throttle};
use crate::national_id::Scheme;
use crate::password::Hasher;
use crate::registry::Registry;
use crate::rng::{self, Rng};
use crate::seal::Sealer;
use crate::store::{Store, ThrottleStore, ThrottleTake};

/// How long the readiness probe may wait for its write to commit.
const READY_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// What a throttle counter allows (`Throttles::take`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Rule<'p> {
    /// An authenticator's: delays after the free failures, then a lock.
    Authenticator(&'p ThrottlePolicy),
    /// An address's: `ThrottlePolicy::ip_take`.
    Address,
}

/// Session lifetimes in milliseconds, per level reached.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    pub idle_ms: i64,
    pub absolute_ms: i64,
    pub high_idle_ms: i64,
    pub high_absolute_ms: i64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle_ms: 60 * 60 * 1000,
            absolute_ms: 24 * 60 * 60 * 1000,
            high_idle_ms: 15 * 60 * 1000,
            high_absolute_ms: 12 * 60 * 60 * 1000,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    /// Failures allowed before delays start.
    pub free_failures: i64,
    /// Longest single delay.
    pub max_delay_ms: i64,
    /// Consecutive failures that lock an authenticator (SECURITY.md: at most 100).
    pub lock_after: i64,
    /// Failed logins one address may make within `ip_window_ms`.
    pub ip_max_failures: i64,
    pub ip_window_ms: i64,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        ThrottlePolicy {
            free_failures: 5,
            max_delay_ms: 15 * 60 * 1000,
            lock_after: 100,
            ip_max_failures: 20,
            ip_window_ms: 60 * 1000,
        }
    }
}

impl ThrottlePolicy {
    /// How long after the last failure the next attempt may come.
    pub fn delay_ms(&self, failures: i64) -> i64 {
        if failures < self.free_failures {
            return 0;
        }
        let exp = (failures - self.free_failures).min(30);
        (1000i64 << exp).min(self.max_delay_ms)
    }

    /// The count an address's counter takes for one more attempt: the address may fail
    /// `ip_max_failures` times without a pause of `ip_window_ms`; after such a pause it starts
    /// again. `Err(RateLimited)` while it must wait. Only the address waits: no account locks.
    pub fn ip_take(&self, t: Throttle, now: i64) -> Result<i64> {
        let since = now - t.last_failure_at;
        if since >= self.ip_window_ms {
            return Ok(1);
        }
        if t.failures >= self.ip_max_failures {
            return Err(Error::RateLimited {
                retry_after_ms: self.ip_window_ms - since,
            });
        }
        Ok(t.failures + 1)
    }

    /// `Err(RateLimited)` while a delay applies, `Err(Forbidden("locked"))` once locked.
    pub fn check(&self, t: Throttle, now: i64) -> Result<()> {
        if t.failures >= self.lock_after {
            return Err(Error::Forbidden("locked"));
        }
        let wait = t.last_failure_at + self.delay_ms(t.failures) - now;
        if wait > 0 {
            return Err(Error::RateLimited {
                retry_after_ms: wait,
            });
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub schemes: Vec<Scheme>,
    /// Shown in authenticator apps and used as a context word for passwords.
    pub service_name: String,
    /// The country whose national phone numbers need no `+` prefix (ISO 3166 alpha-2).
    pub phone_region: String,
    pub public_url: String,
    /// May a password alone log in (level low)? Decides the minimum password length.
    pub password_only_login: bool,
    pub session: SessionPolicy,
    pub throttle: ThrottlePolicy,
    pub email_token_ttl_ms: i64,
    /// How long an emailed password-reset link works.
    pub reset_token_ttl_ms: i64,
    /// How long a registration may stay unconfirmed before it is deleted.
    pub unconfirmed_ttl_ms: i64,
    /// How recent a login must be for sensitive account changes.
    pub fresh_login_ms: i64,
    /// Failed confirmations one two-step enrolment may have before delays start.
    pub enrol_free_failures: i64,
    pub app: AppPolicy,
    /// SAML services may have their endpoints on this machine (`localhost`, loopback): a test
    /// deployment's rule; production refuses them (MPass's rule, so a service registered for
    /// testing cannot be carried over by mistake).
    pub loopback_services: bool,
}

/// The npass app's lock (design note 0015).
#[derive(Debug, Clone)]
pub struct AppPolicy {
    /// An app left unused this long asks for its device key again.
    pub idle_ms: i64,
    /// However busy, it asks at least this often.
    pub unlock_ms: i64,
    /// The push services devices may subscribe with (hosts, or parent domains of them).
    pub push_hosts: Vec<String>,
}

impl Default for AppPolicy {
    fn default() -> Self {
        AppPolicy {
            idle_ms: 5 * 60 * 1000,
            unlock_ms: 12 * 60 * 60 * 1000,
            push_hosts: Vec::new(),
        }
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            schemes: vec![Scheme::MdIdnp],
            service_name: "npass".into(),
            phone_region: "MD".into(),
            public_url: "http://127.0.0.1:8080".into(),
            password_only_login: true,
            session: SessionPolicy::default(),
            throttle: ThrottlePolicy::default(),
            email_token_ttl_ms: 24 * 60 * 60 * 1000,
            reset_token_ttl_ms: 30 * 60 * 1000,
            unconfirmed_ttl_ms: 7 * 24 * 60 * 60 * 1000,
            fresh_login_ms: 15 * 60 * 1000,
            enrol_free_failures: 5,
            app: AppPolicy::default(),
            loopback_services: true,
        }
    }
}

impl Policy {
    pub fn min_password_len(&self) -> usize {
        if self.password_only_login { 15 } else { 8 }
    }
}

/// What every service shares: time, randomness, the deployment's rules, and the mail waker.
#[derive(Clone)]
pub struct Env {
    pub clock: Arc<dyn Clock>,
    pub rng: Arc<dyn Rng>,
    pub policy: Arc<Policy>,
    /// Called after a use-case put mail in the outbox, so the sender need not wait for its poll.
    pub mail_waker: Arc<dyn Fn() + Send + Sync>,
}

impl Env {
    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    pub fn new_id(&self) -> String {
        rng::id(self.rng.as_ref())
    }

    pub fn mail(&self, to: &str, language: &str, kind: &str, params: &[(&str, &str)]) -> Mail {
        Mail {
            id: self.new_id(),
            to: to.to_owned(),
            language: language.to_owned(),
            kind: kind.to_owned(),
            params: params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }
}

/// What `Core::new` is built from.
pub struct CoreParts {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub rng: Arc<dyn Rng>,
    pub hasher: Arc<Hasher>,
    pub sealer: Sealer,
    pub policy: Policy,
    pub mail_waker: Arc<dyn Fn() + Send + Sync>,
    pub backchannel_waker: Arc<dyn Fn() + Send + Sync>,
    pub pairwise_key: zeroize::Zeroizing<[u8; 32]>,
    pub key_fetcher: Arc<dyn crate::oidc::KeyFetcher>,
    pub esign: crate::esign::Esign,
    pub hash_workers: crate::password::HashWorkers,
    /// Attestation roots whose passkeys reach level high (none: no passkey does).
    pub passkey_attestation: Option<crate::passkey::AttestationPolicy>,
    /// Web Push to the npass app's devices (`NoPusher`: off).
    pub pusher: Arc<dyn crate::device::Pusher>,
}

/// The use-cases, as services that each hold only the ports they use (ARCHITECTURE.md).
pub struct Core {
    /// The whole store: for the binary's workers (outboxes, sweeps) and readiness only; no
    /// use-case reaches it.
    pub store: Arc<dyn Store>,
    pub env: Env,
    pub throttles: Throttles,
    /// Logins, their transactions and the sessions they become.
    pub logins: Arc<crate::login::Logins>,
    /// Self-registration and email confirmation.
    pub registrations: crate::register::Registrations,
    /// A citizen's password, authenticator and recovery codes.
    pub credentials: Arc<crate::twostep::Credentials>,
    /// Forgotten passwords, reset by an emailed link.
    pub resets: crate::reset::PasswordResets,
    /// The citizen's contact details, email address, and deleting the account.
    pub own: crate::own::OwnAccount,
    /// The e-services, whatever their protocol.
    pub registry: Registry,
    /// The provider's signing keys.
    pub keys: SigningKeys,
    /// The OpenID Connect provider.
    pub federation: crate::oidc::Federation,
    /// The SAML 2.0 identity provider.
    pub saml: crate::saml::Saml,
    /// E-service roles and their administrators (design note 0019).
    pub roles: crate::roles::Roles,
    /// Organisations, their administrators and representatives (design note 0019).
    pub orgs: crate::orgs::Organizations,
    /// Mandates between citizens (design note 0019).
    pub mandates: crate::mandates::Mandates,
    /// Whom a login is for: oneself, an organisation, a mandator (design note 0019).
    pub contexts: crate::acting::Contexts,
    /// E-signature login and registration.
    pub esign: crate::esign::Esignatures,
    /// Operators' acts on citizens' accounts.
    pub admin: crate::admin::Admin,
    /// Citizens' passkeys and the WebAuthn ceremonies that register and use them.
    pub passkeys: Arc<crate::passkey::Passkeys>,
    /// Passwordless QR login: a phone's passkey approves the browser that showed the code.
    pub approvals: crate::approval::Approvals,
    /// The npass app's devices and their app grants.
    pub devices: crate::device::Devices,
    /// Citizens' profile pictures.
    pub pictures: crate::picture::Pictures,
}

impl Core {
    pub fn new(p: CoreParts) -> Core {
        let store = p.store;
        let policy = Arc::new(p.policy);
        let env = Env {
            clock: p.clock,
            rng: p.rng,
            policy,
            mail_waker: p.mail_waker,
        };
        let throttles = Throttles::new(store.clone(), env.clone());
        let sealer = Arc::new(p.sealer);
        let ended = Arc::new(crate::oidc::logout::BackchannelLogout {
            accounts: store.clone(),
            eservices: store.clone(),
            grants: store.clone(),
            outbox: store.clone(),
            env: env.clone(),
            pairwise_key: p.pairwise_key.clone(),
            waker: p.backchannel_waker,
        });
        let hashing = crate::password::Hashing {
            hasher: p.hasher,
            workers: p.hash_workers,
        };
        let registrations = crate::register::Registrations {
            accounts: store.clone(),
            throttles: store.clone(),
            audit: store.clone(),
            env: env.clone(),
            hashing: hashing.clone(),
        };
        let credentials = Arc::new(crate::twostep::Credentials {
            accounts: store.clone(),
            totp: store.clone(),
            recovery: store.clone(),
            audit: store.clone(),
            throttles: throttles.clone(),
            env: env.clone(),
            hashing: hashing.clone(),
            sealer: sealer.clone(),
            sessions: store.clone(),
            ended: ended.clone(),
        });
        let admin = crate::admin::Admin {
            accounts: store.clone(),
            sessions: store.clone(),
            throttles: throttles.clone(),
            env: env.clone(),
            hashing: hashing.clone(),
            ended: ended.clone(),
        };
        let resets = crate::reset::PasswordResets {
            accounts: store.clone(),
            resets: store.clone(),
            sessions: store.clone(),
            audit: store.clone(),
            throttles: throttles.clone(),
            env: env.clone(),
            hashing: hashing.clone(),
            ended: ended.clone(),
        };
        let own = crate::own::OwnAccount {
            accounts: store.clone(),
            sessions: store.clone(),
            mandates: store.clone(),
            env: env.clone(),
            ended: ended.clone(),
        };
        let passkeys = Arc::new(crate::passkey::Passkeys {
            store: store.clone(),
            totp: store.clone(),
            audit: store.clone(),
            rp: crate::passkey::RelyingParty::new(
                &env.policy.public_url,
                &env.policy.service_name,
                p.passkey_attestation.as_ref(),
            )
            .map(Arc::new),
            env: env.clone(),
        });
        let logins = Arc::new(crate::login::Logins {
            accounts: store.clone(),
            totp: store.clone(),
            recovery: store.clone(),
            sessions: store.clone(),
            audit: store.clone(),
            stored: store.clone(),
            throttles: throttles.clone(),
            env: env.clone(),
            hashing,
            sealer: sealer.clone(),
            ended,
            passkeys: passkeys.clone(),
        });
        let key_cache = Arc::new(crate::oidc::cache::KeyCache::default());
        let keys = SigningKeys {
            store: store.clone(),
            env: env.clone(),
            sealer: sealer.clone(),
            cache: key_cache.clone(),
        };
        let registry = Registry {
            store: store.clone(),
            keys: keys.clone(),
            env: env.clone(),
        };
        let orgs = crate::orgs::Organizations {
            store: store.clone(),
            accounts: store.clone(),
            env: env.clone(),
        };
        let roles = crate::roles::Roles {
            store: store.clone(),
            accounts: store.clone(),
            registry: registry.clone(),
            env: env.clone(),
        };
        let mandates = crate::mandates::Mandates {
            store: store.clone(),
            accounts: store.clone(),
            registry: registry.clone(),
            env: env.clone(),
        };
        let contexts = crate::acting::Contexts {
            orgs: store.clone(),
            store: store.clone(),
            accounts: store.clone(),
            mandates: mandates.clone(),
            registry: registry.clone(),
            env: env.clone(),
        };
        let saml = crate::saml::Saml {
            registry: registry.clone(),
            keys: keys.clone(),
            store: store.clone(),
            consents: store.clone(),
            accounts: store.clone(),
            env: env.clone(),
            pairwise_key: p.pairwise_key.clone(),
            signatures: Arc::new(crate::saml::dsig::Xmlsec),
            roles: store.clone(),
            orgs: store.clone(),
            contexts: contexts.clone(),
        };
        let federation = crate::oidc::Federation {
            registry: registry.clone(),
            keys: keys.clone(),
            requests: store.clone(),
            grants: store.clone(),
            consents: store.clone(),
            accounts: store.clone(),
            env: env.clone(),
            pairwise_key: p.pairwise_key,
            key_fetcher: p.key_fetcher,
            remote_keys: key_cache,
            roles: store.clone(),
            contexts: contexts.clone(),
        };
        let approvals = crate::approval::Approvals {
            challenges: crate::challenge::Challenges {
                store: store.clone(),
                env: env.clone(),
            },
            accounts: store.clone(),
            grants: store.clone(),
            throttles: throttles.clone(),
            pusher: p.pusher.clone(),
            logins: logins.clone(),
            passkeys: passkeys.clone(),
            audit: store.clone(),
            sealer: sealer.clone(),
            env: env.clone(),
        };
        let devices = crate::device::Devices {
            logins: logins.clone(),
            credentials: credentials.clone(),
            passkeys: passkeys.clone(),
            grants: store.clone(),
            accounts: store.clone(),
            pusher: p.pusher.clone(),
            env: env.clone(),
        };
        let esign = crate::esign::Esignatures {
            orgs: orgs.clone(),
            challenges: crate::challenge::Challenges {
                store: store.clone(),
                env: env.clone(),
            },
            accounts: store.clone(),
            audit: store.clone(),
            logins: logins.clone(),
            verifier: p.esign,
            env: env.clone(),
            sealer,
        };
        let pictures = crate::picture::Pictures {
            store: store.clone(),
            env: env.clone(),
        };
        Core {
            store,
            env,
            throttles,
            logins,
            registrations,
            credentials,
            resets,
            own,
            registry,
            keys,
            federation,
            saml,
            roles,
            orgs,
            mandates,
            contexts,
            esign,
            admin,
            passkeys,
            approvals,
            devices,
            pictures,
        }
    }
}

/// Throttle counters (design note 0008): an attempt is taken before a secret is checked.
#[derive(Clone)]
pub struct Throttles {
    store: Arc<dyn ThrottleStore>,
    env: Env,
}

impl Throttles {
    pub fn new(store: Arc<dyn ThrottleStore>, env: Env) -> Self {
        Throttles { store, env }
    }

    /// Checks a throttle counter without taking an attempt; see `ThrottlePolicy::check`.
    pub(crate) async fn check(&self, key: &str, policy: &ThrottlePolicy) -> Result<()> {
        let t = self.store.throttle(key).await?;
        policy.check(t, self.env.now())
    }

    /// Takes one attempt on an authenticator's counter before its secret is checked (counted as
    /// a failure until given back), so concurrent guesses on any node can never verify more
    /// secrets than the policy allows. Returns the count including this one.
    pub(crate) async fn take_one(&self, key: &str, policy: &ThrottlePolicy) -> Result<i64> {
        let counts = self
            .take(&[(key, Rule::Authenticator(policy))], &[])
            .await?;
        Ok(counts.first().copied().unwrap_or(0))
    }

    /// Takes one attempt on each of `keys`, all or none, and gives back one on each of
    /// `releases`, in one transaction; returns the counts in the order of `keys`. When a rule
    /// refuses, nothing is taken and nothing given back.
    pub(crate) async fn take(
        &self,
        keys: &[(&str, Rule<'_>)],
        releases: &[&str],
    ) -> Result<Vec<i64>> {
        // Each lost race means another attempt was counted; a few rounds settle it, and a
        // counter this contended is being hammered anyway.
        for _ in 0..8 {
            let now = self.env.now();
            let mut takes = Vec::with_capacity(keys.len());
            for (key, rule) in keys {
                let seen = self.store.throttle(key).await?;
                let failures = match rule {
                    Rule::Authenticator(p) => p.check(seen, now).map(|()| seen.failures + 1)?,
                    Rule::Address => self.env.policy.throttle.ip_take(seen, now)?,
                };
                takes.push(ThrottleTake {
                    key,
                    seen,
                    failures,
                });
            }
            if self.store.throttle_take(&takes, releases, now).await? {
                return Ok(takes.iter().map(|t| t.failures).collect());
            }
        }
        Err(Error::RateLimited {
            retry_after_ms: 1000,
        })
    }

    /// Gives back attempts whose secret was right or never checked.
    pub(crate) async fn release(&self, keys: &[&str]) -> Result<()> {
        for key in keys {
            self.store.throttle_release(key).await?;
        }
        Ok(())
    }

    /// Forgets a counter's failures (its secret was just proved).
    pub(crate) async fn reset(&self, key: &str) -> Result<()> {
        self.store.throttle_reset(key).await
    }

    /// The counter `key` as it stands.
    pub(crate) async fn read(&self, key: &str) -> Result<Throttle> {
        self.store.throttle(key).await
    }

    /// Deletes the counters that only pace (an address's attempts, how often a citizen is
    /// emailed about one thing) once a day has passed since their last attempt: their windows
    /// are an hour at most. An authenticator's counters (`pwd:`, `otp:`, `enrol:`) are never
    /// swept: they count consecutive failures until a success, however slow.
    pub async fn sweep_pacing(&self) -> Result<u64> {
        let before = self.env.now() - 24 * 60 * 60 * 1000;
        self.store.throttles_sweep(&PACING_COUNTERS, before).await
    }

    /// See `first_in`.
    pub(crate) async fn first_in(&self, key: &str, interval_ms: i64) -> Result<bool> {
        first_in(self.store.as_ref(), key, interval_ms, self.env.now()).await
    }

    /// `true` for at most `n` calls with `key` while each came within `interval_ms` of the one
    /// before, on any node (a compare-and-set on the counter, retried when another call came
    /// first): how many requests may be pushed to a citizen's phone.
    pub(crate) async fn at_most(&self, key: &str, n: i64, interval_ms: i64) -> Result<bool> {
        let now = self.env.now();
        for _ in 0..8 {
            let seen = self.store.throttle(key).await?;
            let fresh = seen.failures == 0 || now - seen.last_failure_at >= interval_ms;
            if !fresh && seen.failures >= n {
                return Ok(false);
            }
            let failures = if fresh { 1 } else { seen.failures + 1 };
            let take = ThrottleTake {
                key,
                seen,
                failures,
            };
            if self.store.throttle_take(&[take], &[], now).await? {
                return Ok(true);
            }
        }
        Err(Error::Unavailable("pacing: too much contention".into()))
    }
}

/// The prefixes of the counters `Throttles::sweep_pacing` may delete.
pub const PACING_COUNTERS: [&str; 7] = [
    "app-push:",
    "ip:",
    "forgot-ip:",
    "resend-ip:",
    "reset-mail:",
    "resend:",
    "register-attempt:",
];

/// `true` for the first call with `key` in each `interval_ms` on any node (the counter `key`
/// remembers when it last said yes): how often a citizen may be emailed about one thing.
pub(crate) async fn first_in(
    store: &dyn ThrottleStore,
    key: &str,
    interval_ms: i64,
    now: i64,
) -> Result<bool> {
    let seen = store.throttle(key).await?;
    if seen.failures > 0 && now - seen.last_failure_at < interval_ms {
        return Ok(false);
    }
    let take = ThrottleTake {
        key,
        seen,
        failures: 1,
    };
    store.throttle_take(&[take], &[], now).await
}

/// SHA-256, hex: how secrets with enough entropy of their own (session secrets, email tokens,
/// recovery codes) are stored.
pub fn digest(s: &str) -> String {
    HEXLOWER.encode(&Sha256::digest(s.as_bytes()))
}

/// How a time-ordered secret (`rng::ordered_token`: codes, refresh tokens, session secrets) is
/// stored: its time prefix (not secret; it orders the index, so new rows append instead of
/// landing on a random page) and the digest of the whole. A secret without the prefix gets a
/// key no ordered secret has.
pub fn ordered_key(secret: &str) -> String {
    match secret.get(..12) {
        Some(prefix) if prefix.bytes().all(|b| b.is_ascii_hexdigit()) => {
            format!("{prefix}{}", digest(secret))
        }
        _ => digest(secret),
    }
}

impl Core {
    pub fn now(&self) -> i64 {
        self.env.now()
    }

    pub fn new_id(&self) -> String {
        self.env.new_id()
    }

    pub fn mail(&self, to: &str, language: &str, kind: &str, params: &[(&str, &str)]) -> Mail {
        self.env.mail(to, language, kind, params)
    }

    pub async fn ready(&self) -> Result<()> {
        // A probe stuck behind a lock is an answer too: not ready.
        match tokio::time::timeout(READY_WAIT, self.store.ping(self.now())).await {
            Ok(r) => r,
            Err(_) => Err(Error::Unavailable(
                "the database did not commit a write in time".into(),
            )),
        }
    }
}
