//! Passkeys (design note 0014): the WebAuthn relying party, a citizen's passkeys (register,
//! list, rename, remove) and the ceremonies a passkey login starts. The login itself is a
//! verifier of the login transaction (`login::PasskeyLogin`).
//!
//! The ceremony options come from webauthn-rs's core, whose builders let us ask for what the
//! product needs: user verification always at registration, discoverable credentials
//! preferred, attestation only where the deployment trusts some, and user verification
//! merely preferred when the passkey follows a password.

use std::sync::Arc;
use std::time::Duration;

use data_encoding::BASE64URL_NOPAD;
use serde_json::json;
use url::{Host, Url};
use webauthn_rs_core::WebauthnCore;
use webauthn_rs_core::proto::{
    AttestationCaList, AttestationCaListBuilder, AttestationConveyancePreference,
    AttestationMetadata, Credential, RegisterPublicKeyCredential, ResidentKeyRequirement,
    UserVerificationPolicy,
};

use crate::audit;
use crate::error::{Error, Result};
use crate::login::{Client, LoginTransaction};
use crate::model::Account;
use crate::rng;
use crate::service::{Env, digest};
use crate::store::{PasskeyRecord, PasskeyStore, StoredCeremony, TotpStore};

/// How long a ceremony's challenge may be answered.
pub const CEREMONY_TTL_MS: i64 = 2 * 60 * 1000;
/// The longest name a citizen may give a passkey.
pub const NAME_MAX: usize = 60;

/// What a ceremony is for; the finish checks it is the one it expects.
pub(crate) const KIND_REGISTER: &str = "register";
pub(crate) const KIND_LOGIN: &str = "login";
pub(crate) const KIND_SECOND: &str = "second";
/// The npass app unlocked by its device key (design note 0015).
pub(crate) const KIND_UNLOCK: &str = "unlock";

/// Roots whose attested authenticators reach level high, and the models allowed under them.
#[derive(Debug, Clone, Default)]
pub struct AttestationPolicy {
    /// PEM certificates (one or more) of the authenticator makers' attestation roots.
    pub roots_pem: Vec<u8>,
    /// AAGUIDs allowed under those roots; empty: every model they attest.
    pub aaguids: Vec<String>,
}

/// The deployment's WebAuthn relying party: its id is the host of `public_url`.
pub struct RelyingParty {
    pub(crate) core: WebauthnCore,
    attestation: Option<AttestationCaList>,
}

impl std::fmt::Debug for RelyingParty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelyingParty").finish_non_exhaustive()
    }
}

impl RelyingParty {
    /// The relying party for `public_url`, or why passkeys cannot work there (WebAuthn refuses
    /// an IP address as a relying party id).
    pub fn new(
        public_url: &str,
        service_name: &str,
        attestation: Option<&AttestationPolicy>,
    ) -> std::result::Result<RelyingParty, String> {
        let url = Url::parse(public_url).map_err(|e| format!("public_url: {e}"))?;
        let rp_id = match url.host() {
            Some(Host::Domain(d)) => d.to_owned(),
            Some(Host::Ipv4(_) | Host::Ipv6(_)) => {
                return Err(format!(
                    "passkeys are off: public_url {public_url} names an IP address, which \
                     WebAuthn refuses as a relying party id; use a host name (for a local \
                     trial, http://localhost:PORT)"
                ));
            }
            None => return Err("public_url has no host".into()),
        };
        let origin = Url::parse(&url.origin().ascii_serialization())
            .map_err(|e| format!("public_url: {e}"))?;
        let attestation = match attestation {
            Some(p) if !p.roots_pem.is_empty() => Some(ca_list(p)?),
            _ => None,
        };
        Ok(RelyingParty {
            core: WebauthnCore::new_unsafe_experts_only(
                service_name,
                &rp_id,
                vec![origin],
                Duration::from_millis(CEREMONY_TTL_MS as u64),
                Some(false),
                Some(false),
            ),
            attestation,
        })
    }

    /// Whether `cred` proved, by its attestation, to be a model the deployment trusts.
    fn attested(&self, cred: &Credential) -> bool {
        let Some(list) = &self.attestation else {
            return false;
        };
        let ca = match cred.verify_attestation(list) {
            Ok(Some(ca)) => ca,
            Ok(None) => return false,
            Err(e) => {
                tracing::info!(error = ?e, "passkey attestation not trusted");
                return false;
            }
        };
        ca.blanket_allow()
            || aaguid_of(cred).is_some_and(|id| {
                ca.aaguids()
                    .keys()
                    .any(|k| k.as_bytes().as_slice() == id.as_slice())
            })
    }
}

/// The attestation roots as the library wants them: each root for every model, or for the
/// listed models only.
fn ca_list(p: &AttestationPolicy) -> std::result::Result<AttestationCaList, String> {
    let pems = split_pem(&p.roots_pem);
    if pems.is_empty() {
        return Err("passkeys.attestation_roots: no certificate in the file".into());
    }
    let mut list = AttestationCaList::default();
    if p.aaguids.is_empty() {
        for pem in &pems {
            let ca = AttestationCaList::try_from(pem.as_bytes())
                .map_err(|e| format!("passkeys.attestation_roots: {e:?}"))?;
            list.union(&ca);
        }
        return Ok(list);
    }
    let mut b = AttestationCaListBuilder::new();
    for pem in &pems {
        for a in &p.aaguids {
            let id = uuid_of(a).ok_or_else(|| format!("passkeys.attested_aaguids: {a}"))?;
            b.insert_device_pem(pem.as_bytes(), id, a.clone(), Default::default())
                .map_err(|e| format!("passkeys.attestation_roots: {e:?}"))?;
        }
    }
    Ok(b.build())
}

fn split_pem(all: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(all);
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in text.lines() {
        if line.starts_with("-----BEGIN CERTIFICATE") {
            cur.clear();
        }
        cur.push_str(line);
        cur.push('\n');
        if line.starts_with("-----END CERTIFICATE") {
            out.push(std::mem::take(&mut cur));
        }
    }
    out
}

fn uuid_of(s: &str) -> Option<uuid::Uuid> {
    uuid::Uuid::parse_str(s.trim()).ok()
}

fn aaguid_of(cred: &Credential) -> Option<[u8; 16]> {
    match &cred.attestation.metadata {
        AttestationMetadata::Packed { aaguid } | AttestationMetadata::Tpm { aaguid, .. } => {
            Some(*aaguid.as_bytes())
        }
        _ => None,
    }
}

/// How a removal ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    Removed,
    /// No such passkey of the account (removed already, or another's).
    Gone,
    /// It is the last second factor and the login is not recent: log in again first.
    NeedsRecentLogin,
}

/// What `Passkeys::check` found of an answer.
pub(crate) enum Checked {
    /// The account's passkey signed this ceremony; `verified`: with user verification.
    Passed {
        record: PasskeyRecord,
        verified: bool,
    },
    /// Refused, and why (for the trail), with the account the passkey named, if any.
    Refused {
        reason: &'static str,
        account_id: Option<crate::ids::AccountId>,
    },
}

/// A ceremony started: the id the page posts back, and the options for
/// `navigator.credentials.create()` or `.get()` (JSON, binary fields in base64url).
#[derive(Debug, Clone)]
pub struct Ceremony {
    pub id: String,
    pub options: serde_json::Value,
}

/// The user handle a passkey keeps for the account: opaque, the same for all its passkeys.
pub(crate) fn user_handle(account_id: &str) -> Vec<u8> {
    account_id.as_bytes().to_vec()
}

/// A citizen's passkeys, and the ceremonies that register or use them.
pub struct Passkeys {
    pub(crate) store: Arc<dyn PasskeyStore>,
    pub(crate) totp: Arc<dyn TotpStore>,
    pub(crate) audit: Arc<dyn crate::store::AuditStore>,
    pub(crate) rp: std::result::Result<Arc<RelyingParty>, String>,
    pub(crate) env: Env,
}

impl Passkeys {
    /// Passkeys work on this deployment (its public URL names a host).
    pub fn enabled(&self) -> bool {
        self.rp.is_ok()
    }

    /// Why passkeys are off, for `check-config` and the log.
    pub fn disabled_reason(&self) -> Option<&str> {
        self.rp.as_ref().err().map(String::as_str)
    }

    pub(crate) fn rp(&self) -> Result<&RelyingParty> {
        self.rp
            .as_deref()
            .map_err(|_| Error::Forbidden("passkeys-off"))
    }

    pub async fn of(&self, account_id: &str) -> Result<Vec<PasskeyRecord>> {
        self.store.passkeys_of(account_id).await
    }

    async fn keep(
        &self,
        pre_id: &str,
        account_id: Option<&str>,
        kind: &str,
        state: String,
    ) -> Result<String> {
        let id = rng::token(self.env.rng.as_ref());
        self.store
            .ceremony_put(&StoredCeremony {
                key: digest(&id),
                browser_hash: digest(pre_id),
                account_id: account_id.map(Into::into),
                kind: kind.to_owned(),
                state,
                expires_at: self.env.now() + CEREMONY_TTL_MS,
            })
            .await?;
        Ok(id)
    }

    /// Starts registering a passkey for `account` in the browser `pre_id`: user verification
    /// required, a discoverable credential preferred, the account's passkeys excluded.
    pub async fn register_start(&self, account: &Account, pre_id: &str) -> Result<Ceremony> {
        let rp = self.rp()?;
        let exclude = self
            .store
            .passkeys_of(&account.id)
            .await?
            .iter()
            .filter_map(|p| BASE64URL_NOPAD.decode(p.credential_id.as_bytes()).ok())
            .collect::<Vec<_>>();
        let name = &account.profile;
        let display = format!("{} {}", name.given_name, name.family_name);
        let display = if display.trim().is_empty() {
            account.national_id.to_string()
        } else {
            display
        };
        let conveyance = if rp.attestation.is_some() {
            AttestationConveyancePreference::Direct
        } else {
            AttestationConveyancePreference::None
        };
        let builder = rp
            .core
            .new_challenge_register_builder(
                &user_handle(&account.id),
                &account.national_id.value,
                &display,
            )
            .map_err(lib_err)?
            .attestation(conveyance)
            .user_verification_policy(UserVerificationPolicy::Required)
            .require_resident_key(false)
            .exclude_credentials(Some(exclude));
        let (mut options, state) = rp
            .core
            .generate_challenge_register(builder)
            .map_err(lib_err)?;
        if let Some(sel) = options.public_key.authenticator_selection.as_mut() {
            // Preferred, not required: security keys with little room still register (they
            // then serve after a password, not alone).
            sel.resident_key = Some(ResidentKeyRequirement::Preferred);
        }
        let state = serde_json::to_string(&state).map_err(internal)?;
        let id = self
            .keep(pre_id, Some(&account.id), KIND_REGISTER, state)
            .await?;
        Ok(Ceremony {
            id,
            options: serde_json::to_value(&options).map_err(internal)?,
        })
    }

    /// Finishes a registration: the ceremony (once, this browser, this account, in time), the
    /// authenticator's answer, a name. The citizen is emailed.
    pub async fn register_finish(
        &self,
        account: &Account,
        pre_id: &str,
        ceremony: &str,
        credential: &str,
        name: &str,
        client: &Client,
    ) -> Result<PasskeyRecord> {
        self.register(account, pre_id, [ceremony, credential, name], false, client)
            .await
    }

    /// Finishes a registration whose answer is `[ceremony, credential, name]`; a `device` is
    /// the npass app's key (design note 0015).
    pub(crate) async fn register(
        &self,
        account: &Account,
        pre_id: &str,
        [ceremony, credential, name]: [&str; 3],
        device: bool,
        client: &Client,
    ) -> Result<PasskeyRecord> {
        let rp = self.rp()?;
        let name = clean_name(name)?;
        let stored = self
            .take(ceremony, pre_id, &[KIND_REGISTER], Some(&account.id))
            .await?;
        let state: webauthn_rs_core::proto::RegistrationState =
            serde_json::from_str(&stored.state).map_err(internal)?;
        let reg: RegisterPublicKeyCredential = serde_json::from_str(credential)
            .map_err(|_| Error::invalid("passkey", "passkey-refused"))?;
        if self
            .store
            .passkey(&BASE64URL_NOPAD.encode(&reg.raw_id))
            .await?
            .is_some()
        {
            return Err(Error::invalid("passkey", "passkey-exists"));
        }
        let cred = rp
            .core
            .register_credential(&reg, &state, None)
            .map_err(|e| {
                tracing::info!(error = ?e, "passkey registration refused");
                Error::invalid("passkey", "passkey-refused")
            })?;
        if !cred.user_verified {
            return Err(Error::invalid("passkey", "passkey-refused"));
        }
        let attested = rp.attested(&cred);
        let now = self.env.now();
        let record = PasskeyRecord {
            credential_id: BASE64URL_NOPAD.encode(cred.cred_id.as_ref()),
            account_id: account.id.clone(),
            name: name.clone(),
            passkey: serde_json::to_string(&cred).map_err(internal)?,
            aaguid: aaguid_of(&cred)
                .map(|a| data_encoding::HEXLOWER.encode(&a))
                .unwrap_or_else(|| "0".repeat(32)),
            attested,
            backup_eligible: cred.backup_eligible,
            backed_up: cred.backup_state,
            sign_count: i64::from(cred.counter),
            created_at: now,
            last_used_at: None,
            device,
        };
        let ev = audit::event(
            if device {
                "device.enrolled"
            } else {
                "passkey.added"
            },
            Some(&account.id),
            Some(&client.ip),
            json!({"name": name, "attested": attested, "user_agent": client.user_agent}),
        );
        let mail = self.env.mail(
            &account.profile.email,
            &account.profile.language,
            "passkey-added",
            &[("name", &name)],
        );
        self.store
            .passkey_add(&record, &ev, Some(&mail), now)
            .await
            .map_err(|e| match e {
                Error::Conflict(_) => Error::invalid("passkey", "passkey-exists"),
                e => e,
            })?;
        (self.env.mail_waker)();
        Ok(record)
    }

    pub async fn rename(
        &self,
        account: &Account,
        credential_id: &str,
        name: &str,
        client: &Client,
    ) -> Result<bool> {
        let name = clean_name(name)?;
        let ev = audit::event(
            "passkey.renamed",
            Some(&account.id),
            Some(&client.ip),
            json!({"name": name}),
        );
        self.store
            .passkey_rename(&account.id, credential_id, &name, &ev, self.env.now())
            .await
    }

    /// Whether removing `credential_id` leaves the account without a second factor (no other
    /// passkey, no Authenticator app): then only a recent login may remove it.
    async fn is_last_strong(&self, account: &Account, credential_id: &str) -> Result<bool> {
        let others = self
            .store
            .passkeys_of(&account.id)
            .await?
            .iter()
            .any(|p| p.credential_id != credential_id);
        Ok(!others && self.totp.totp(&account.id).await?.is_none())
    }

    /// Removes one of the account's passkeys; the citizen is emailed. The last second factor
    /// (no other passkey, no Authenticator app) goes only after a `recent_login`: a factor
    /// proven minutes ago.
    pub async fn remove(
        &self,
        account: &Account,
        credential_id: &str,
        recent_login: bool,
        client: &Client,
    ) -> Result<Removal> {
        let Some(p) = self.store.passkey(credential_id).await? else {
            return Ok(Removal::Gone);
        };
        if p.account_id != account.id {
            return Ok(Removal::Gone);
        }
        if !recent_login && self.is_last_strong(account, credential_id).await? {
            return Ok(Removal::NeedsRecentLogin);
        }
        let ev = audit::event(
            "passkey.removed",
            Some(&account.id),
            Some(&client.ip),
            json!({"name": p.name}),
        );
        let mail = self.env.mail(
            &account.profile.email,
            &account.profile.language,
            "passkey-removed",
            &[("name", &p.name)],
        );
        let removed = self
            .store
            .passkey_remove(&account.id, credential_id, &ev, Some(&mail), self.env.now())
            .await?;
        if !removed {
            return Ok(Removal::Gone);
        }
        (self.env.mail_waker)();
        Ok(Removal::Removed)
    }

    /// Starts a passkey login in the browser `pre_id`. Without `after` it is passwordless: any
    /// discoverable passkey, user verification required. With `after` (a stored transaction
    /// whose password was right) it is the second step: that account's passkeys only.
    pub async fn login_start(
        &self,
        pre_id: &str,
        after: Option<&LoginTransaction>,
    ) -> Result<Ceremony> {
        let Some(id) = after.and_then(|tx| tx.account_id()) else {
            return self
                .authentication(pre_id, None, Vec::new(), KIND_LOGIN, None)
                .await;
        };
        let creds = self
            .store
            .passkeys_of(id)
            .await?
            .iter()
            .filter_map(|p| serde_json::from_str::<Credential>(&p.passkey).ok())
            .collect::<Vec<_>>();
        if creds.is_empty() {
            return Err(Error::NotFound);
        }
        self.authentication(pre_id, Some(id), creds, KIND_SECOND, None)
            .await
    }

    /// A passwordless ceremony of `kind` for the browser `pre_id` whose finish must also match
    /// `binding` (what it approves): kept with the library's state (`unbind`).
    pub(crate) async fn ceremony_for(
        &self,
        pre_id: &str,
        kind: &str,
        binding: serde_json::Value,
    ) -> Result<Ceremony> {
        self.authentication(pre_id, None, Vec::new(), kind, Some(binding))
            .await
    }

    /// The npass app's unlock on `device` (one of the account's devices): that key only, user
    /// verification required, bound to the device.
    pub(crate) async fn unlock_start(&self, device: &PasskeyRecord) -> Result<Ceremony> {
        let cred = serde_json::from_str::<Credential>(&device.passkey).map_err(internal)?;
        self.authentication(
            &unlock_binding(&device.credential_id),
            Some(&device.account_id),
            vec![cred],
            KIND_UNLOCK,
            None,
        )
        .await
    }

    /// An authentication ceremony: the account's `creds` (none: any discoverable passkey),
    /// user verification required except after a password (the second step), where it is
    /// preferred.
    async fn authentication(
        &self,
        pre_id: &str,
        account: Option<&str>,
        creds: Vec<Credential>,
        kind: &str,
        binding: Option<serde_json::Value>,
    ) -> Result<Ceremony> {
        let rp = self.rp()?;
        let policy = if kind == KIND_SECOND {
            UserVerificationPolicy::Preferred
        } else {
            UserVerificationPolicy::Required
        };
        let builder = rp
            .core
            .new_challenge_authenticate_builder(creds, Some(policy))
            .map_err(lib_err)?;
        let (options, state) = rp
            .core
            .generate_challenge_authenticate(builder)
            .map_err(lib_err)?;
        let state = match binding {
            None => serde_json::to_string(&state),
            Some(b) => serde_json::to_string(&json!({"auth": state, "bind": b})),
        }
        .map_err(internal)?;
        let id = self.keep(pre_id, account, kind, state).await?;
        Ok(Ceremony {
            id,
            options: serde_json::to_value(&options).map_err(internal)?,
        })
    }

    /// Takes a ceremony once: `Expired` when it is gone, expired, another browser's, another
    /// kind's or another account's (all alike).
    pub(crate) async fn take(
        &self,
        ceremony: &str,
        pre_id: &str,
        kinds: &[&str],
        account_id: Option<&str>,
    ) -> Result<StoredCeremony> {
        use subtle::ConstantTimeEq;
        let gone = Error::Expired("passkey-ceremony");
        if ceremony.is_empty() || ceremony.len() > 100 {
            return Err(gone);
        }
        let Some(c) = self.store.ceremony_take(&digest(ceremony)).await? else {
            return Err(gone);
        };
        let mine = bool::from(digest(pre_id).as_bytes().ct_eq(c.browser_hash.as_bytes()));
        let account_ok = match account_id {
            Some(a) => c.account_id.as_deref() == Some(a),
            None => true,
        };
        let fresh = self.env.now() < c.expires_at;
        if !mine || !account_ok || !fresh || !kinds.contains(&c.kind.as_str()) {
            return Err(gone);
        }
        Ok(c)
    }

    /// Checks an authenticator's answer (`credential`, JSON) to a login ceremony whose library
    /// state is `state`: a registered passkey (of `owner`, when the ceremony names one) whose
    /// user handle, if sent, is its account's; the library's checks (challenge, origin, RP ID,
    /// type, signature, user verification when the ceremony required it, the counter); `need_uv`
    /// again; and the counter stored only if it went up. `Refused` says why, for the trail.
    pub(crate) async fn check(
        &self,
        state: &str,
        owner: Option<&str>,
        credential: &str,
        need_uv: bool,
        client: &Client,
    ) -> Result<Checked> {
        use webauthn_rs_core::error::WebauthnError;
        use webauthn_rs_core::proto::{AuthenticationState, PublicKeyCredential};
        let refused = |reason, account_id: Option<&crate::ids::AccountId>| {
            Ok(Checked::Refused {
                reason,
                account_id: account_id.cloned(),
            })
        };
        let rp = self.rp()?;
        let Ok(rsp) = serde_json::from_str::<PublicKeyCredential>(credential) else {
            return refused("passkey-malformed", None);
        };
        let cred_id = BASE64URL_NOPAD.encode(&rsp.raw_id);
        let Some(record) = self.store.passkey(&cred_id).await? else {
            return refused("passkey-unknown", None);
        };
        let handle_ok = rsp
            .response
            .user_handle
            .as_ref()
            .is_none_or(|h| *h == user_handle(&record.account_id));
        let owner_ok = owner.is_none_or(|a| *a == record.account_id);
        if rsp.type_ != "public-key" || !handle_ok || !owner_ok {
            return refused("passkey-other-account", Some(&record.account_id));
        }
        let mut cred = serde_json::from_str::<Credential>(&record.passkey).map_err(internal)?;
        let state = serde_json::from_str::<AuthenticationState>(state).map_err(internal)?;
        let result = match rp.core.authenticate_single_credential(&rsp, &state, &cred) {
            Ok(r) => r,
            Err(WebauthnError::CredentialPossibleCompromise) => {
                self.suspect_clone(&record, client).await?;
                return refused("passkey-counter", Some(&record.account_id));
            }
            Err(e) => {
                tracing::info!(error = ?e, "passkey assertion refused");
                return refused("passkey", Some(&record.account_id));
            }
        };
        if need_uv && !result.user_verified() {
            return refused("passkey-unverified", Some(&record.account_id));
        }
        cred.counter = result.counter();
        cred.backup_state = result.backup_state();
        cred.backup_eligible = result.backup_eligible();
        let updated = serde_json::to_string(&cred).map_err(internal)?;
        let used = self
            .store
            .passkey_use(
                &cred_id,
                &updated,
                i64::from(result.counter()),
                result.backup_state(),
                self.env.now(),
            )
            .await?;
        if !used {
            // Another use of the same answer, or a clone, came first.
            self.suspect_clone(&record, client).await?;
            return refused("passkey-counter", Some(&record.account_id));
        }
        Ok(Checked::Passed {
            record,
            verified: result.user_verified(),
        })
    }

    /// Records a suspected clone (a counter that went back) in the account's trail.
    pub(crate) async fn suspect_clone(&self, p: &PasskeyRecord, client: &Client) -> Result<()> {
        let ev = audit::event(
            "passkey.counter-regression",
            Some(&p.account_id),
            Some(&client.ip),
            json!({"name": p.name, "credential": p.credential_id}),
        );
        self.audit.audit_append(&ev, None, self.env.now()).await
    }
}

/// What an unlock ceremony is bound to in place of a browser: the device it is for.
pub(crate) fn unlock_binding(device: &str) -> String {
    format!("device:{device}")
}

/// A passkey's name: trimmed, not empty, at most `NAME_MAX` characters, no control characters.
fn clean_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::invalid("passkey_name", "required"));
    }
    if name.chars().count() > NAME_MAX {
        return Err(Error::Invalid {
            field: "passkey_name",
            reason: "too-long",
            n: Some(NAME_MAX as i64),
        });
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid("passkey_name", "passkey-name-invalid"));
    }
    Ok(name.to_owned())
}

fn lib_err(e: webauthn_rs_core::error::WebauthnError) -> Error {
    Error::Internal(format!("webauthn: {e:?}"))
}

fn internal(e: serde_json::Error) -> Error {
    Error::Internal(format!("webauthn state: {e}"))
}

/// A bound ceremony's state (`Passkeys::ceremony_for`): the library's, and what it approves.
pub(crate) fn unbind(state: &str) -> Result<(String, serde_json::Value)> {
    let mut v: serde_json::Value = serde_json::from_str(state).map_err(internal)?;
    let auth = v
        .get("auth")
        .map(serde_json::Value::to_string)
        .ok_or_else(|| Error::Internal("webauthn state: not bound".into()))?;
    let bind = v
        .get_mut("bind")
        .map(serde_json::Value::take)
        .unwrap_or_default();
    Ok((auth, bind))
}
