//! The npass app's devices and their app grants (design note 0015): an app login (national ID,
//! password and the second factor) enrols the phone's passkey as the account's *device*; the
//! device then holds one grant — a short access token and a rotating refresh token — that the
//! app renews while it is unlocked, and that its device key alone unlocks again.

use std::sync::Arc;

use serde_json::json;

use crate::audit;
use crate::error::{Error, Result};
use crate::login::{Client, LoginError, LoginInput, Logins};
use crate::model::{Account, AccountStatus, Level};
use crate::passkey::{Ceremony, Checked, KIND_UNLOCK, Passkeys, unlock_binding};
use crate::rng;
use crate::service::{Env, digest};
use crate::store::{
    AccountStore, AppGrant, AppGrantStore, PasskeyRecord, PushSubscription, Rotate, Rotation,
};

/// Sends Web Push notifications (RFC 8030, encrypted per RFC 8291, signed per RFC 8292) to
/// devices; the binary's implementation calls push services over HTTPS.
#[async_trait::async_trait]
pub trait Pusher: Send + Sync {
    /// The VAPID public key (base64url, uncompressed P-256 point) the app subscribes with;
    /// `None`: Web Push is off.
    fn public_key(&self) -> Option<String>;
    /// Sends `payload` to each subscription, without waiting for the push services.
    fn push(&self, subs: Vec<PushSubscription>, payload: Vec<u8>);
}

/// No Web Push (no VAPID key configured).
pub struct NoPusher;

impl Pusher for NoPusher {
    fn public_key(&self) -> Option<String> {
        None
    }

    fn push(&self, _subs: Vec<PushSubscription>, _payload: Vec<u8>) {}
}

/// How long an app access token works.
pub const ACCESS_TTL_MS: i64 = 5 * 60 * 1000;

/// What an app login gives.
#[derive(Debug)]
pub enum AppLogin {
    /// The enrolment token: a fresh login at level substantial, good for enrolling this phone
    /// within the fresh-login window.
    Enrol { token: String },
    /// A password alone: the account needs two-step authentication before a device.
    NeedsTwoStep,
}

/// The tokens an enrolment, an unlock or a refresh gives the app.
#[derive(Debug, Clone)]
pub struct AppTokens {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds the access token works.
    pub expires_in: i64,
    /// The device (its credential id).
    pub device: String,
}

/// Why the app's tokens were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppRefusal {
    /// Unknown, expired, or its device or account gone: log in again.
    Invalid,
    /// The app must be unlocked by its device key.
    Locked,
}

/// The app's caller: the account and its device's grant.
#[derive(Debug, Clone)]
pub struct AppCaller {
    pub account: Account,
    pub grant: AppGrant,
}

pub struct Devices {
    pub(crate) logins: Arc<Logins>,
    pub(crate) credentials: Arc<crate::twostep::Credentials>,
    pub(crate) passkeys: Arc<Passkeys>,
    pub(crate) grants: Arc<dyn AppGrantStore>,
    pub(crate) accounts: Arc<dyn AccountStore>,
    pub(crate) pusher: Arc<dyn Pusher>,
    pub(crate) env: Env,
}

/// Whether push notifications may be sent to `endpoint`: HTTPS to one of the deployment's push
/// services (a host or a parent domain of it); plain HTTP only to a loopback address of a
/// deployment that itself runs on plain HTTP (development). Anything else could make npass
/// call hosts of the operator's own network.
fn push_endpoint_ok(endpoint: &str, public_url: &str, hosts: &[String]) -> bool {
    let Ok(u) = url::Url::parse(endpoint) else {
        return false;
    };
    let Some(host) = u.host_str() else {
        return false;
    };
    if !u.username().is_empty() || u.password().is_some() || endpoint.len() > 1000 {
        return false;
    }
    let listed = hosts.iter().any(|h| {
        host.eq_ignore_ascii_case(h)
            || host
                .to_ascii_lowercase()
                .ends_with(&format!(".{}", h.to_ascii_lowercase()))
    });
    match u.scheme() {
        "https" => listed,
        "http" => {
            let loopback = match u.host() {
                Some(url::Host::Ipv4(a)) => a.is_loopback(),
                Some(url::Host::Ipv6(a)) => a.is_loopback(),
                Some(url::Host::Domain(d)) => d == "localhost",
                None => false,
            };
            listed && loopback && public_url.starts_with("http://")
        }
        _ => false,
    }
}

impl Devices {
    /// The key the app subscribes to Web Push with; `None` when the deployment has none.
    pub fn push_key(&self) -> Option<String> {
        self.pusher.public_key()
    }

    /// Keeps where the caller's device takes push notifications (replacing any before).
    pub async fn push_subscribe(
        &self,
        caller: &AppCaller,
        endpoint: &str,
        p256dh: &str,
        auth: &str,
    ) -> Result<()> {
        use data_encoding::BASE64URL_NOPAD;
        if self.pusher.public_key().is_none() {
            return Err(Error::NotFound);
        }
        let policy = &self.env.policy;
        if !push_endpoint_ok(endpoint, &policy.public_url, &policy.app.push_hosts) {
            return Err(Error::invalid("endpoint", "push-endpoint"));
        }
        let key = BASE64URL_NOPAD.decode(p256dh.trim_end_matches('=').as_bytes());
        let secret = BASE64URL_NOPAD.decode(auth.trim_end_matches('=').as_bytes());
        match (key, secret) {
            (Ok(k), Ok(a)) if k.len() == 65 && k.first() == Some(&4) && a.len() == 16 => {}
            _ => return Err(Error::invalid("keys", "push-keys")),
        }
        let sub = PushSubscription {
            credential_id: caller.grant.credential_id.clone(),
            account_id: caller.account.id.clone(),
            endpoint: endpoint.to_owned(),
            p256dh: p256dh.trim_end_matches('=').to_owned(),
            auth: auth.trim_end_matches('=').to_owned(),
        };
        self.grants.app_push_put(&sub, self.env.now()).await
    }

    /// Stops push notifications to the caller's device.
    pub async fn push_unsubscribe(&self, caller: &AppCaller) -> Result<bool> {
        self.grants.app_push_end(&caller.grant.credential_id).await
    }

    /// An app login: the login transaction's rules and trail, no browser. At level low (a
    /// password alone) the session ends at once: a device needs two-step first.
    pub async fn login(&self, input: LoginInput, client: &Client) -> Result<AppLogin, LoginError> {
        let input = LoginInput {
            pre_id: String::new(),
            ..input
        };
        let ns = self.logins.login(input, client, None).await?;
        if ns.session.level < Level::Substantial {
            self.logins.logout(&ns.secret, client).await?;
            return Ok(AppLogin::NeedsTwoStep);
        }
        Ok(AppLogin::Enrol { token: ns.secret })
    }

    /// The account an enrolment token logged in: a live session at substantial or higher,
    /// proven within the fresh-login window.
    async fn enrolling(&self, token: &str) -> Result<Account> {
        let denied = Error::Unauthenticated("app-login");
        if token.is_empty() || token.len() > 200 {
            return Err(denied);
        }
        let Some(s) = self.logins.session(token).await? else {
            return Err(denied);
        };
        let fresh = self.env.now() - s.auth_time <= self.env.policy.fresh_login_ms;
        if s.level < Level::Substantial || !fresh {
            return Err(denied);
        }
        self.active(&s.account_id).await?.ok_or(denied)
    }

    async fn active(&self, account_id: &str) -> Result<Option<Account>> {
        Ok(self
            .accounts
            .account_by_id(account_id)
            .await?
            .filter(|a| a.status == AccountStatus::Active))
    }

    /// Starts enrolling the phone: a passkey registration for the account the token logged in.
    pub async fn enrol_start(&self, token: &str) -> Result<Ceremony> {
        let account = self.enrolling(token).await?;
        self.passkeys.register_start(&account, token).await
    }

    /// Finishes enrolling: the passkey becomes the account's device, the device gets its
    /// grant, and the app login's session ends (the device key is what logs the app in now).
    pub async fn enrol_finish(
        &self,
        token: &str,
        [ceremony, credential, name]: [&str; 3],
        client: &Client,
    ) -> Result<AppTokens> {
        let account = self.enrolling(token).await?;
        let record = self
            .passkeys
            .register(&account, token, [ceremony, credential, name], true, client)
            .await?;
        let tokens = self.issue(&record, "app.signed-in", client).await?;
        self.logins.logout(token, client).await?;
        Ok(tokens)
    }

    /// Writes the device's grant with new tokens, unlocked now.
    async fn issue(
        &self,
        device: &PasskeyRecord,
        kind: &str,
        client: &Client,
    ) -> Result<AppTokens> {
        self.issue_at(device, kind, self.env.now(), client).await
    }

    /// Writes the device's grant with new tokens, last unlocked at `unlocked_at`.
    async fn issue_at(
        &self,
        device: &PasskeyRecord,
        kind: &str,
        unlocked_at: i64,
        client: &Client,
    ) -> Result<AppTokens> {
        let now = self.env.now();
        let access = rng::token(self.env.rng.as_ref());
        let refresh = rng::token(self.env.rng.as_ref());
        let grant = AppGrant {
            credential_id: device.credential_id.clone(),
            account_id: device.account_id.clone(),
            access_hash: digest(&access),
            access_expires_at: now + ACCESS_TTL_MS,
            refresh_hash: digest(&refresh),
            unlocked_at,
            created_at: now,
        };
        let ev = audit::event(
            kind,
            Some(&device.account_id),
            Some(&client.ip),
            json!({"device": device.name, "user_agent": client.user_agent}),
        );
        self.grants
            .app_grant_put(&grant, &ev, now)
            .await
            .map_err(|e| match e {
                Error::NotFound => Error::Unauthenticated("app-device"),
                e => e,
            })?;
        Ok(AppTokens {
            access_token: access,
            refresh_token: refresh,
            expires_in: ACCESS_TTL_MS / 1000,
            device: device.credential_id.clone(),
        })
    }

    /// One of an active account's devices, by credential id.
    async fn device(&self, credential_id: &str) -> Result<Option<PasskeyRecord>> {
        if credential_id.is_empty() || credential_id.len() > 1400 {
            return Ok(None);
        }
        let Some(p) = self.passkeys.store.passkey(credential_id).await? else {
            return Ok(None);
        };
        if !p.device || self.active(&p.account_id).await?.is_none() {
            return Ok(None);
        }
        Ok(Some(p))
    }

    /// Starts unlocking the app with the device key `device`.
    pub async fn unlock_start(&self, device: &str) -> Result<Result<Ceremony, AppRefusal>> {
        let Some(p) = self.device(device).await? else {
            return Ok(Err(AppRefusal::Invalid));
        };
        Ok(Ok(self.passkeys.unlock_start(&p).await?))
    }

    /// Finishes an unlock: the device key's assertion (user verification required) over the
    /// ceremony for this device gives the device fresh tokens.
    pub async fn unlock_finish(
        &self,
        device: &str,
        ceremony: &str,
        credential: &str,
        client: &Client,
    ) -> Result<Result<AppTokens, AppRefusal>> {
        let stored = match self
            .passkeys
            .take(ceremony, &unlock_binding(device), &[KIND_UNLOCK], None)
            .await
        {
            Ok(c) => c,
            Err(Error::Expired(_)) => return Ok(Err(AppRefusal::Invalid)),
            Err(e) => return Err(e),
        };
        let checked = self
            .passkeys
            .check(
                &stored.state,
                stored.account_id.as_deref(),
                credential,
                true,
                client,
            )
            .await?;
        let record = match checked {
            Checked::Passed { record, .. } if record.credential_id == device && record.device => {
                record
            }
            Checked::Passed { record, .. } => {
                self.refused(Some(&record.account_id), "app-other-device", client)
                    .await?;
                return Ok(Err(AppRefusal::Invalid));
            }
            Checked::Refused { reason, account_id } => {
                self.refused(account_id.as_deref(), reason, client).await?;
                return Ok(Err(AppRefusal::Invalid));
            }
        };
        if self.active(&record.account_id).await?.is_none() {
            return Ok(Err(AppRefusal::Invalid));
        }
        match self.issue(&record, "app.unlocked", client).await {
            Ok(t) => Ok(Ok(t)),
            Err(Error::Unauthenticated(_)) => Ok(Err(AppRefusal::Invalid)),
            Err(e) => Err(e),
        }
    }

    async fn refused(&self, account_id: Option<&str>, reason: &str, client: &Client) -> Result<()> {
        let ev = audit::event(
            "app.unlock-refused",
            account_id,
            Some(&client.ip),
            json!({"reason": reason, "user_agent": client.user_agent}),
        );
        self.passkeys
            .audit
            .audit_append(&ev, None, self.env.now())
            .await
    }

    /// Swaps a refresh token for new tokens while the app is unlocked; a refresh token used
    /// twice revokes its grant (the device key must unlock the app again).
    pub async fn refresh(
        &self,
        refresh_token: &str,
        client: &Client,
    ) -> Result<Result<AppTokens, AppRefusal>> {
        if refresh_token.is_empty() || refresh_token.len() > 200 {
            return Ok(Err(AppRefusal::Invalid));
        }
        let now = self.env.now();
        let policy = &self.env.policy.app;
        let access = rng::token(self.env.rng.as_ref());
        let refresh = rng::token(self.env.rng.as_ref());
        let (access_hash, refresh_hash) = (digest(&access), digest(&refresh));
        let rotate = Rotate {
            refresh_hash: &digest(refresh_token),
            access_hash: &access_hash,
            access_expires_at: now + ACCESS_TTL_MS,
            new_refresh_hash: &refresh_hash,
            used_after: now - policy.idle_ms,
            unlocked_after: now - policy.unlock_ms,
        };
        let reuse = audit::event(
            "app.refresh-reused",
            None,
            Some(&client.ip),
            json!({"user_agent": client.user_agent}),
        );
        Ok(
            match self.grants.app_grant_rotate(&rotate, &reuse, now).await? {
                Rotation::Rotated(g) => {
                    if self.device(&g.credential_id).await?.is_none() {
                        Err(AppRefusal::Invalid)
                    } else {
                        Ok(AppTokens {
                            access_token: access,
                            refresh_token: refresh,
                            expires_in: ACCESS_TTL_MS / 1000,
                            device: g.credential_id,
                        })
                    }
                }
                Rotation::Locked => Err(AppRefusal::Locked),
                Rotation::Reused { .. } | Rotation::Unknown => Err(AppRefusal::Invalid),
            },
        )
    }

    /// The caller an access token stands for: unexpired, its device still a device of an
    /// active account. Read on every call, so a revocation or a lock stops it at once.
    pub async fn caller(&self, access_token: &str) -> Result<Option<AppCaller>> {
        if access_token.is_empty() || access_token.len() > 200 {
            return Ok(None);
        }
        let Some(grant) = self
            .grants
            .app_grant_by_access(&digest(access_token))
            .await?
        else {
            return Ok(None);
        };
        if self.env.now() >= grant.access_expires_at {
            return Ok(None);
        }
        let Some(account) = self.active(&grant.account_id).await? else {
            return Ok(None);
        };
        Ok(Some(AppCaller { account, grant }))
    }

    /// Whether the device key unlocked the app recently enough for a change of how the
    /// citizen logs in (the web's fresh login); never in a deployment where such changes need
    /// an e-signature login (the app has none).
    pub fn may_change(
        &self,
        caller: &AppCaller,
        esign: bool,
    ) -> std::result::Result<(), &'static str> {
        if esign {
            return Err("esign-needed");
        }
        if self.env.now() - caller.grant.unlocked_at > self.env.policy.fresh_login_ms {
            return Err("unlock-needed");
        }
        Ok(())
    }

    /// Changes the password from the app: the current one is always needed. Every session and
    /// app grant of the account ends (as on the web); the caller's device gets new tokens with
    /// the unlock it had.
    pub async fn change_password(
        &self,
        caller: &AppCaller,
        [current, password, confirm]: [&str; 3],
        client: &Client,
    ) -> Result<AppTokens> {
        let now = self.env.now();
        // No web session is the app's: none is kept, and the current password is checked.
        let nobody = crate::model::Session {
            id_hash: String::new(),
            account_id: caller.account.id.clone(),
            level: Level::Substantial,
            amr: Vec::new(),
            auth_time: 0,
            created_at: now,
            last_seen_at: now,
            idle_expires_at: now,
            expires_at: now,
            chain: String::new(),
            user_agent: String::new(),
            ip: String::new(),
            organization: None,
        };
        self.credentials
            .change_password(&caller.account, &nobody, current, password, confirm, client)
            .await?;
        let device = self
            .device(&caller.grant.credential_id)
            .await?
            .ok_or(Error::Unauthenticated("app-device"))?;
        self.issue_at(&device, "app.signed-in", caller.grant.unlocked_at, client)
            .await
    }

    /// Starts making the app the account's Authenticator: a new seed, pending until a code from
    /// it is confirmed. Replacing an Authenticator app needs a current code from it.
    pub async fn codes_start(
        &self,
        caller: &AppCaller,
        current_code: &str,
        client: &Client,
    ) -> Result<String> {
        let account = &caller.account;
        if self
            .credentials
            .two_step_status(account)
            .await?
            .active
            .is_some()
        {
            self.credentials
                .start_replacement(account, current_code, client)
                .await?;
        }
        let e = self.credentials.enrolment(account).await?;
        Ok(e.secret_grouped.replace(' ', ""))
    }

    /// Confirms the app's first code: the app is now the account's Authenticator (any other
    /// stops). Returns the new recovery codes, to be shown once.
    pub async fn codes_confirm(
        &self,
        caller: &AppCaller,
        code: &str,
        client: &Client,
    ) -> Result<Vec<String>> {
        self.credentials
            .confirm_enrolment(&caller.account, code, client)
            .await
    }

    /// Ends the caller's grant: the app is locked until its device key unlocks it.
    pub async fn lock(&self, caller: &AppCaller) -> Result<()> {
        self.grants
            .app_grant_end(&caller.grant.credential_id)
            .await
            .map(|_| ())
    }

    /// Revokes one of the caller's account's devices (this one too): only devices — other
    /// passkeys are managed on the web. The last second factor goes only within the
    /// fresh-login window after an unlock (the device key's unlock is the app's login).
    pub async fn revoke(
        &self,
        caller: &AppCaller,
        credential_id: &str,
        client: &Client,
    ) -> Result<crate::passkey::Removal> {
        let devices = self.of(&caller.account.id).await?;
        if !devices.iter().any(|d| d.credential_id == credential_id) {
            return Ok(crate::passkey::Removal::Gone);
        }
        let recent = self.env.now() - caller.grant.unlocked_at <= self.env.policy.fresh_login_ms;
        self.passkeys
            .remove(&caller.account, credential_id, recent, client)
            .await
    }

    /// The account's devices, oldest first.
    pub async fn of(&self, account_id: &str) -> Result<Vec<PasskeyRecord>> {
        let all = self.passkeys.of(account_id).await?;
        Ok(all.into_iter().filter(|p| p.device).collect())
    }
}
