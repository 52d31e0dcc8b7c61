//! Passwordless QR login (design note 0015): the login page shows a QR code and a matching
//! number; a phone with one of the account's passkeys (the npass app's device key) opens the
//! link, picks the number the browser shows and unlocks; the browser that showed the code — and
//! only it — is then logged in. A cross-device challenge (`challenge`) of kind `App` carries
//! it; the phone's assertion is checked like any passkey's (`Passkeys::check`).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit;
use crate::challenge::{Challenge, ChallengeKind, ChallengeState, Challenges, Seen, Unanswerable};
use crate::error::{Error, Result};
use crate::login::{Client, LoginError, LoginTransaction, Logins, NewSession, Verifier};
use crate::passkey::{Ceremony, Checked, Passkeys};
use crate::rng;
use crate::service::Env;
use crate::store::AuditStore;

/// How long a QR code may be answered (SECURITY.md: at most 2 minutes).
pub const QR_TTL_MS: i64 = 2 * 60 * 1000;
const SEAL_CONTEXT: &str = "npass qr login secret v1";
/// The ceremony kind of an approval.
const KIND_APPROVE: &str = "approve";
/// At most this many requests are sent to an account's devices while each comes within
/// `PUSH_WINDOW_MS` of the one before.
pub const PUSH_CAP: i64 = 3;
pub const PUSH_WINDOW_MS: i64 = 10 * 60 * 1000;

/// What the login page's challenge keeps while it waits: the number the browser shows, and
/// what the phone is told about the browser.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Shown {
    number: u8,
    /// The QR's secret sealed under the master key, so the page can draw the code again.
    sealed: String,
    /// The e-service the login is for (empty: npass itself).
    service: String,
    user_agent: String,
    ip: String,
    at: i64,
}

/// What an approval proved: the device's account, and whether its key is attested hardware.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Approval {
    pub account_id: crate::ids::AccountId,
    pub attested: bool,
    pub credential_id: String,
}

/// A QR login started for a browser.
#[derive(Debug, Clone)]
pub struct QrLogin {
    pub id: String,
    /// Goes only into the QR code's link (its fragment); only its digest is kept.
    pub secret: String,
    pub number: u8,
}

/// What the phone shows before the citizen approves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub service: String,
    pub user_agent: String,
    pub ip: String,
    pub at: i64,
    /// Three numbers, one of them the browser's, in ascending order.
    pub numbers: Vec<u8>,
}

/// Where a QR login stands, as its browser sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QrState {
    Waiting {
        number: u8,
    },
    Approved,
    /// Denied on the phone, or the wrong number picked: a new code is needed.
    Refused,
    Expired,
    /// Another browser's.
    Elsewhere,
    Gone,
}

/// Why a phone's answer was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No such request, or not with this secret.
    Unknown,
    /// Answered already (approved, denied, or a wrong number).
    Used,
    Expired,
    /// The number picked is not the browser's: the request is over.
    WrongNumber,
    /// The passkey's answer did not verify (or belongs to no active account).
    Passkey,
}

impl From<Unanswerable> for Refusal {
    fn from(u: Unanswerable) -> Self {
        match u {
            Unanswerable::Unknown => Refusal::Unknown,
            Unanswerable::Used => Refusal::Used,
            Unanswerable::Expired => Refusal::Expired,
        }
    }
}

/// A request sent to the caller's devices, as the app lists it: what `request` shows, and the
/// secret the app answers with (it reached the app over its session, not by a scan).
#[derive(Debug, Clone)]
pub struct Pending {
    pub id: String,
    pub secret: String,
    pub service: String,
    pub user_agent: String,
    pub ip: String,
    pub at: i64,
}

/// QR logins over the challenges, the stored login transactions and the passkeys.
pub struct Approvals {
    pub(crate) challenges: Challenges,
    pub(crate) accounts: Arc<dyn crate::store::AccountStore>,
    pub(crate) grants: Arc<dyn crate::store::AppGrantStore>,
    pub(crate) throttles: crate::service::Throttles,
    pub(crate) pusher: Arc<dyn crate::device::Pusher>,
    pub(crate) logins: Arc<Logins>,
    pub(crate) passkeys: Arc<Passkeys>,
    pub(crate) audit: Arc<dyn AuditStore>,
    pub(crate) sealer: Arc<crate::seal::Sealer>,
    pub(crate) env: Env,
}

fn shown_of(c: &Challenge) -> Result<Shown> {
    match &c.state {
        ChallengeState::Waiting { shown } => {
            serde_json::from_str(shown).map_err(|e| Error::Internal(e.to_string()))
        }
        _ => Err(Error::NotFound),
    }
}

fn approval_of(c: &Challenge) -> Result<Approval> {
    match &c.state {
        ChallengeState::Verified { outcome } | ChallengeState::Taken { outcome } => {
            serde_json::from_str(outcome).map_err(|e| Error::Internal(e.to_string()))
        }
        _ => Err(Error::NotFound),
    }
}

impl Approvals {
    /// QR login works where passkeys do.
    pub fn enabled(&self) -> bool {
        self.passkeys.enabled()
    }

    /// Starts a QR login for the browser `pre_id` (for the e-service named `service`, if any).
    pub async fn start(&self, pre_id: &str, service: &str, client: &Client) -> Result<QrLogin> {
        self.passkeys.rp()?;
        let login = self
            .logins
            .login_save(LoginTransaction::for_browser(pre_id))
            .await?;
        let number = u8::try_from(10 + rng::below(self.env.rng.as_ref(), 90)).unwrap_or(10);
        let (user_agent, ip, at) = (client.user_agent.clone(), client.ip.clone(), self.env.now());
        let shown = |_: &str, secret: &str| {
            let sealed =
                self.sealer
                    .seal(secret.as_bytes(), SEAL_CONTEXT, self.env.rng.as_ref())?;
            let shown = Shown {
                number,
                sealed: data_encoding::BASE64.encode(&sealed),
                service: service.to_owned(),
                user_agent,
                ip,
                at,
            };
            serde_json::to_string(&shown).map_err(|e| Error::Internal(e.to_string()))
        };
        let (c, secret) = self
            .challenges
            .open(ChallengeKind::App, pre_id, login, QR_TTL_MS, shown)
            .await?;
        Ok(QrLogin {
            id: c.id,
            secret,
            number,
        })
    }

    /// Starts a QR login for the browser `pre_id`, as `start` does, and sends it to the
    /// devices of the account whose national ID the citizen typed — if there is one with
    /// devices, and it was sent fewer than `PUSH_CAP` requests lately. The answer is the same
    /// either way: nobody learns who has the app.
    pub async fn send(
        &self,
        pre_id: &str,
        service: &str,
        national_id: &str,
        client: &Client,
    ) -> Result<QrLogin> {
        let nid = crate::national_id::parse(national_id, &self.env.policy.schemes)
            .map_err(Error::from)?;
        let qr = self.start(pre_id, service, client).await?;
        let Some(account) = self.accounts.account_by_national_id(&nid.value).await? else {
            return Ok(qr);
        };
        let devices = self.passkeys.of(&account.id).await?;
        if account.status != crate::model::AccountStatus::Active
            || !devices.iter().any(|d| d.device)
        {
            return Ok(qr);
        }
        let key = format!("app-push:{}", account.id);
        if !self
            .throttles
            .at_most(&key, PUSH_CAP, PUSH_WINDOW_MS)
            .await?
        {
            // Recorded once a window: a flood of requests does not flood the history.
            let noted = format!("app-push:capped:{}", account.id);
            if self.throttles.first_in(&noted, PUSH_WINDOW_MS).await? {
                let ev = audit::event(
                    "app.request-capped",
                    Some(&account.id),
                    Some(&client.ip),
                    json!({"user_agent": client.user_agent}),
                );
                self.audit.audit_append(&ev, None, self.env.now()).await?;
            }
            return Ok(qr);
        }
        self.grants
            .app_request_put(&qr.id, &account.id, self.env.now() + QR_TTL_MS)
            .await?;
        // Only a nudge: the app fetches the request over its session (`pending`).
        let subs = self.grants.app_push_of(&account.id).await?;
        if !subs.is_empty() {
            self.pusher
                .push(subs, br#"{"type":"login-request"}"#.to_vec());
        }
        Ok(qr)
    }

    /// The requests sent to the account's devices that still wait, newest first.
    pub async fn pending(&self, account_id: &str) -> Result<Vec<Pending>> {
        let mut out = Vec::new();
        for id in self
            .grants
            .app_requests_of(account_id, self.env.now())
            .await?
        {
            let Some(c) = self.challenges.store.challenge(&id).await? else {
                continue;
            };
            let (ChallengeKind::App, Ok(shown)) = (c.kind, shown_of(&c)) else {
                continue;
            };
            if self.env.now() >= c.expires_at {
                continue;
            }
            let sealed = data_encoding::BASE64
                .decode(shown.sealed.as_bytes())
                .map_err(|e| Error::Internal(e.to_string()))?;
            let secret = self.sealer.open(&sealed, SEAL_CONTEXT)?;
            out.push(Pending {
                id: c.id,
                secret: String::from_utf8_lossy(&secret).into_owned(),
                service: shown.service,
                user_agent: shown.user_agent,
                ip: shown.ip,
                at: shown.at,
            });
        }
        Ok(out)
    }

    async fn answerable(
        &self,
        id: &str,
        secret: &str,
    ) -> Result<std::result::Result<Challenge, Refusal>> {
        Ok(self
            .challenges
            .answerable(ChallengeKind::App, id, secret)
            .await?
            .map_err(Refusal::from))
    }

    /// What the phone shows for request `id`, given the QR's secret.
    pub async fn request(
        &self,
        id: &str,
        secret: &str,
    ) -> Result<std::result::Result<Request, Refusal>> {
        let c = match self.answerable(id, secret).await? {
            Ok(c) => c,
            Err(r) => return Ok(Err(r)),
        };
        let shown = shown_of(&c)?;
        let mut numbers = vec![shown.number];
        while numbers.len() < 3 {
            let n = u8::try_from(10 + rng::below(self.env.rng.as_ref(), 90)).unwrap_or(10);
            if !numbers.contains(&n) {
                numbers.push(n);
            }
        }
        numbers.sort_unstable();
        Ok(Ok(Request {
            service: shown.service,
            user_agent: shown.user_agent,
            ip: shown.ip,
            at: shown.at,
            numbers,
        }))
    }

    /// The passkey ceremony that approves request `id` with the number `number`, for the
    /// phone's browser `phone_pre_id`: any discoverable passkey, user verification required.
    pub async fn options(
        &self,
        id: &str,
        secret: &str,
        number: u8,
        phone_pre_id: &str,
    ) -> Result<std::result::Result<Ceremony, Refusal>> {
        if let Err(r) = self.answerable(id, secret).await? {
            return Ok(Err(r));
        }
        let binding = json!({"challenge": id, "number": number});
        self.passkeys
            .ceremony_for(phone_pre_id, KIND_APPROVE, binding)
            .await
            .map(Ok)
    }

    /// The phone's approval: the QR's secret, the number picked, and the passkey's answer to
    /// the ceremony `ceremony` (started by `options` in the same phone browser). Settles the
    /// request once: approved for the passkey's account, or refused for a wrong number.
    pub async fn approve(
        &self,
        id: &str,
        secret: &str,
        ceremony: &str,
        credential: &str,
        phone_pre_id: &str,
        client: &Client,
    ) -> Result<std::result::Result<(), Refusal>> {
        let stored = match self
            .passkeys
            .take(ceremony, phone_pre_id, &[KIND_APPROVE], None)
            .await
        {
            Ok(c) => c,
            Err(Error::Expired(_)) => return Ok(Err(Refusal::Passkey)),
            Err(e) => return Err(e),
        };
        let (state, binding) = crate::passkey::unbind(&stored.state)?;
        let bound_id = binding
            .get("challenge")
            .and_then(|v| v.as_str())
            .unwrap_or("");
        let number = binding
            .get("number")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        if bound_id != id {
            return Ok(Err(Refusal::Passkey));
        }
        let c = match self.answerable(id, secret).await? {
            Ok(c) => c,
            Err(r) => return Ok(Err(r)),
        };
        let shown = shown_of(&c)?;
        let now = self.env.now();
        if u64::from(shown.number) != number {
            let ev = audit::event(
                "login.app-wrong-number",
                None,
                Some(&client.ip),
                json!({"challenge": id}),
            );
            let to = ChallengeState::Refused {
                reason: "wrong-number".into(),
            };
            self.challenges.settle(id, &to, &ev, now).await?;
            return Ok(Err(Refusal::WrongNumber));
        }
        let (record, verified) = match self
            .passkeys
            .check(&state, None, credential, true, client)
            .await?
        {
            Checked::Passed { record, verified } => (record, verified),
            Checked::Refused { reason, account_id } => {
                let ev = audit::event(
                    "login.failure",
                    account_id.as_deref(),
                    Some(&client.ip),
                    json!({"reason": reason, "method": "app"}),
                );
                self.audit.audit_append(&ev, None, now).await?;
                return Ok(Err(Refusal::Passkey));
            }
        };
        if !verified {
            return Ok(Err(Refusal::Passkey));
        }
        let approval = Approval {
            account_id: record.account_id.clone(),
            attested: record.attested,
            credential_id: record.credential_id.clone(),
        };
        let outcome =
            serde_json::to_string(&approval).map_err(|e| Error::Internal(e.to_string()))?;
        let ev = audit::event(
            "login.app-approved",
            Some(&record.account_id),
            Some(&client.ip),
            json!({"passkey": record.name, "browser": shown.user_agent, "from": shown.ip}),
        );
        if self
            .challenges
            .settle(id, &ChallengeState::Verified { outcome }, &ev, now)
            .await?
        {
            Ok(Ok(()))
        } else {
            Ok(Err(Refusal::Used))
        }
    }

    /// The phone denies request `id`: it is over, and its browser says so.
    pub async fn deny(
        &self,
        id: &str,
        secret: &str,
        client: &Client,
    ) -> Result<std::result::Result<(), Refusal>> {
        if let Err(r) = self.answerable(id, secret).await? {
            return Ok(Err(r));
        }
        let ev = audit::event(
            "login.app-denied",
            None,
            Some(&client.ip),
            json!({"challenge": id}),
        );
        let to = ChallengeState::Refused {
            reason: "denied".into(),
        };
        if self.challenges.settle(id, &to, &ev, self.env.now()).await? {
            Ok(Ok(()))
        } else {
            Ok(Err(Refusal::Used))
        }
    }

    /// The link the QR code of login `id` holds, for its browser only, while it waits: the
    /// phone's approval page with the id and the secret in the fragment.
    pub async fn link(&self, id: &str, pre_id: &str) -> Result<Option<String>> {
        let Seen::Current(c) = self.challenges.seen(id, pre_id).await? else {
            return Ok(None);
        };
        if c.kind != ChallengeKind::App {
            return Ok(None);
        }
        let Ok(shown) = shown_of(&c) else {
            return Ok(None);
        };
        let sealed = data_encoding::BASE64
            .decode(shown.sealed.as_bytes())
            .map_err(|e| Error::Internal(e.to_string()))?;
        let secret = self.sealer.open(&sealed, SEAL_CONTEXT)?;
        Ok(Some(format!(
            "{}/app/approve#{id}.{}",
            self.env.policy.public_url.trim_end_matches('/'),
            String::from_utf8_lossy(&secret)
        )))
    }

    /// QR login `id` as the browser `pre_id` sees it.
    pub async fn state(&self, id: &str, pre_id: &str) -> Result<QrState> {
        let c = match self.challenges.seen(id, pre_id).await? {
            Seen::Gone => return Ok(QrState::Gone),
            Seen::Elsewhere => return Ok(QrState::Elsewhere),
            Seen::Expired => return Ok(QrState::Expired),
            Seen::Current(c) if c.kind == ChallengeKind::App => c,
            Seen::Current(_) => return Ok(QrState::Gone),
        };
        Ok(match &c.state {
            ChallengeState::Waiting { .. } => QrState::Waiting {
                number: shown_of(&c)?.number,
            },
            ChallengeState::Verified { .. } => QrState::Approved,
            ChallengeState::Refused { .. } => QrState::Refused,
            ChallengeState::Taken { .. } => QrState::Gone,
        })
    }

    /// The browser that showed the code takes the approval, once, and its stored login becomes
    /// the session (`replaces`: its current session, as for any login).
    pub async fn finish(
        &self,
        id: &str,
        pre_id: &str,
        replaces: Option<&str>,
        client: &Client,
    ) -> std::result::Result<NewSession, LoginError> {
        let Seen::Current(seen) = self.challenges.seen(id, pre_id).await? else {
            return Err(LoginError::Gone);
        };
        let Some(mut tx) = self.logins.login_resume(&seen.login, pre_id).await? else {
            return Err(LoginError::Gone);
        };
        let c = match self.challenges.take(id, pre_id).await {
            Ok(c) => c,
            Err(Error::NotFound) => return Err(LoginError::Gone),
            Err(e) => return Err(e.into()),
        };
        let approval = approval_of(&c)?;
        crate::login::AppApproval
            .verify(&self.logins, &mut tx, &approval, client)
            .await?;
        self.logins.complete(tx, replaces, client).await
    }
}
