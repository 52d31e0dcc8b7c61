//! Storage ports. One trait per aggregate; each method is a whole atomic business operation
//! (the row change, its audit row and any email it causes commit together), so transactions never
//! leak upward. `npass-store` implements all of them over SQLite and PostgreSQL.

use async_trait::async_trait;

use crate::challenge::{Challenge, ChallengeState};
use crate::error::Result;
use crate::model::{
    Account, AccountStatus, AuditEvent, AuditRecord, Mail, Session, Throttle, TotpCredential,
};
use crate::oidc::jwt::SigningKey;
use crate::oidc::{
    AuthCode, AuthRequest, BackchannelNotice, ConsentRecord, GrantRecord, Redeemed, RefreshRecord,
    Rotated,
};
use crate::relying::EService;

#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates an account, with an email-confirmation token (hash, expiry) when it is pending.
    /// `Conflict("account-exists")` when the identifier is taken.
    async fn create_account(
        &self,
        account: &Account,
        email_token: Option<(&str, i64)>,
        mail: Option<&Mail>,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<()>;
    async fn account_by_national_id(&self, national_id: &str) -> Result<Option<Account>>;
    async fn account_by_id(&self, id: &str) -> Result<Option<Account>>;
    /// Spends an email-confirmation token and activates the account; a replacement's token
    /// (`registration_replace`) first gives the pending account the new profile and password.
    /// Every other link of the account goes with it. `NotFound` for an unknown or spent token
    /// (or an account no longer pending, for a replacement), `Expired` for an old one. The audit
    /// event gets the account id filled in.
    async fn confirm_email(&self, token_hash: &str, audit: &AuditEvent, now: i64)
    -> Result<String>;
    /// One more confirmation link for a pending account, with its email and audit row.
    async fn email_token_add(
        &self,
        account_id: &str,
        token_hash: &str,
        expires_at: i64,
        audit: &AuditEvent,
        mail: &Mail,
        now: i64,
    ) -> Result<()>;
    /// A later registration of a pending account's identifier: its profile and password wait
    /// under their own link until it is confirmed (design note 0012).
    #[allow(clippy::too_many_arguments)]
    async fn registration_replace(
        &self,
        account_id: &str,
        token_hash: &str,
        profile: &crate::model::Profile,
        password_hash: &str,
        expires_at: i64,
        audit: &AuditEvent,
        mail: &Mail,
        now: i64,
    ) -> Result<()>;
    /// Deletes the accounts still pending that were created before `created_before`, with
    /// their links; returns how many.
    async fn purge_unconfirmed(&self, created_before: i64) -> Result<u64>;
    /// Sets the phone number and the preferred language, with the audit row.
    async fn profile_update(
        &self,
        account_id: &str,
        phone: &str,
        language: &str,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<()>;
    /// Records a new address waiting for its confirmation, with its emails (the link to the new
    /// address, the warning to the old one) and the audit row.
    #[allow(clippy::too_many_arguments)]
    async fn email_change_put(
        &self,
        account_id: &str,
        token_hash: &str,
        new_email: &str,
        expires_at: i64,
        audit: &AuditEvent,
        mails: &[Mail],
        now: i64,
    ) -> Result<()>;
    /// The account and new address of an email change link neither spent nor expired.
    async fn email_change(&self, token_hash: &str, now: i64) -> Result<Option<(String, String)>>;
    /// Spends the link (only if unexpired and the account's) and sets the new address, with
    /// the email to the old address and the audit row; `false`, and nothing written, when the
    /// link was spent or had expired.
    async fn email_change_apply(
        &self,
        token_hash: &str,
        account_id: &str,
        audit: &AuditEvent,
        mail: &Mail,
        now: i64,
    ) -> Result<bool>;
    /// Deletes the account at its holder's request (design note 0013): its profile,
    /// credentials, sessions, consents, links and throttle counters go; every grant its
    /// e-services hold is revoked; the roles, administrations, memberships, mandates (given
    /// and held) and remembered login choices of design note 0019 end; the audit trail keeps
    /// its rows (the account id, times, addresses, what happened) and gains `audit`, and the
    /// goodbye email is queued, in one transaction.
    async fn account_delete(
        &self,
        account: &Account,
        audit: &[AuditEvent],
        mail: &Mail,
        now: i64,
    ) -> Result<()>;
    async fn set_status(
        &self,
        account_id: &str,
        status: AccountStatus,
        audit: &AuditEvent,
        mail: Option<&Mail>,
        now: i64,
    ) -> Result<()>;
    /// Sets the password hash, ends every session of the account but `keep_session` (the
    /// browser that changed it) and revokes every grant the account's e-services hold.
    async fn set_password(
        &self,
        account_id: &str,
        password_hash: &str,
        keep_session: &str,
        audit: &AuditEvent,
        mail: Option<&Mail>,
        now: i64,
    ) -> Result<()>;
}

/// Emailed password-reset links (design note 0011): only their digests are kept.
#[async_trait]
pub trait ResetStore: Send + Sync {
    /// Records a link for the account, queues its email and the audit row, in one transaction.
    async fn reset_token_put(
        &self,
        account_id: &str,
        token_hash: &str,
        expires_at: i64,
        audit: &AuditEvent,
        mail: &Mail,
        now: i64,
    ) -> Result<()>;

    /// The account of a link neither spent nor expired.
    async fn reset_token(&self, token_hash: &str, now: i64) -> Result<Option<String>>;

    /// Spends the link (only if unexpired and the account's), sets the password hash, deletes
    /// the account's other links, ends every session of the account and revokes every grant
    /// its e-services hold, with the audit row and the email, in one transaction. `false`, and
    /// nothing written, when the link was spent or had expired.
    async fn password_reset(
        &self,
        token_hash: &str,
        account_id: &str,
        password_hash: &str,
        audit: &AuditEvent,
        mail: &Mail,
        now: i64,
    ) -> Result<bool>;
}

/// The Authenticator app (TOTP) of an account: enrolment, activation, steps used.
// `totp_activate` is one atomic operation with seven inputs; splitting it would split the transaction.
#[allow(clippy::too_many_arguments)]
#[async_trait]
pub trait TotpStore: Send + Sync {
    async fn totp(&self, account_id: &str) -> Result<Option<TotpCredential>>;

    /// Records that `step` was used, only if it is above the last used step. `false` means the
    /// step (or a later one) was already used: a replay, refused on every node.
    async fn totp_use_step(&self, account_id: &str, step: i64) -> Result<bool>;

    /// The enrolment in progress: sealed seed and when it was made.
    async fn totp_pending(&self, account_id: &str) -> Result<Option<(Vec<u8>, i64)>>;

    async fn totp_pending_put(&self, account_id: &str, sealed: &[u8], now: i64) -> Result<()>;

    /// Makes the pending seed the account's authenticator, replacing any earlier one, with fresh
    /// recovery codes (SHA-256 digests).
    async fn totp_activate(
        &self,
        account_id: &str,
        sealed: &[u8],
        used_step: i64,
        recovery_hashes: &[String],
        audit: &AuditEvent,
        mail: Option<&Mail>,
        now: i64,
    ) -> Result<()>;

    async fn totp_remove(
        &self,
        account_id: &str,
        audit: &AuditEvent,
        mail: Option<&Mail>,
        now: i64,
    ) -> Result<()>;
}

/// An account's single-use recovery codes.
#[async_trait]
pub trait RecoveryStore: Send + Sync {
    async fn recovery_replace(
        &self,
        account_id: &str,
        hashes: &[String],
        audit: &AuditEvent,
        mail: Option<&Mail>,
        now: i64,
    ) -> Result<()>;

    /// Spends one unused recovery code; `false` if there is no such unused code.
    async fn recovery_use(
        &self,
        account_id: &str,
        hash: &str,
        audit: &AuditEvent,
        mail: Option<&Mail>,
        now: i64,
    ) -> Result<bool>;

    async fn recovery_left(&self, account_id: &str) -> Result<i64>;
}

/// What a starting session settles in its transaction: resets the throttle counters the login
/// proved, gives back one attempt on each of `releases` (the address's), spends the login's
/// Authenticator step (as `totp_use_step`) and its stored login transaction.
#[derive(Debug, Clone, Copy, Default)]
pub struct Settle<'a> {
    pub resets: &'a [String],
    pub releases: &'a [&'a str],
    pub totp_step: Option<i64>,
    /// The key of the stored login transaction the session comes from.
    pub login: Option<&'a str>,
}

impl<'a> Settle<'a> {
    pub fn resets(resets: &'a [String]) -> Self {
        Settle {
            resets,
            ..Default::default()
        }
    }
}

/// A login transaction kept between requests (design note 0010).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLogin {
    /// `ordered_key` of a fresh ordered token: new rows append.
    pub key: String,
    pub browser_hash: String,
    pub account_id: Option<crate::ids::AccountId>,
    pub factors: Vec<crate::login::Factor>,
    pub settle: crate::login::Settlement,
    pub expires_at: i64,
}

#[async_trait]
pub trait LoginStore: Send + Sync {
    async fn login_put(&self, l: &StoredLogin) -> Result<()>;
    async fn login(&self, key: &str) -> Result<Option<StoredLogin>>;
}

/// One attempt to take on a throttle counter (`ThrottleStore::throttle_take`).
#[derive(Debug, Clone, Copy)]
pub struct ThrottleTake<'a> {
    pub key: &'a str,
    /// The counter as it was read.
    pub seen: Throttle,
    /// What it becomes.
    pub failures: i64,
}

#[async_trait]
pub trait ThrottleStore: Send + Sync {
    async fn throttle(&self, key: &str) -> Result<Throttle>;
    /// Takes one attempt on each counter of `takes` before the secrets they guard are checked,
    /// and gives back one on each of `releases`, in one transaction: each take sets its counter
    /// to `failures` at `now` only if it still reads `seen` (a compare-and-set), so concurrent
    /// attempts on any node each see the count the others took. `false` when another attempt
    /// came first on any of them: then nothing is written, and the caller reads again.
    async fn throttle_take(
        &self,
        takes: &[ThrottleTake<'_>],
        releases: &[&str],
        now: i64,
    ) -> Result<bool>;
    /// Gives back one attempt taken by `throttle_take` (the secret was right, or was never
    /// checked).
    async fn throttle_release(&self, key: &str) -> Result<()>;
    async fn throttle_reset(&self, key: &str) -> Result<()>;
    /// Deletes the counters whose key starts with one of `prefixes` and whose last attempt came
    /// before `before`, in one transaction; returns how many.
    async fn throttles_sweep(&self, prefixes: &[&str], before: i64) -> Result<u64>;
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Writes a new session, deletes the one it replaces (step-up), settles what the login
    /// holds (`Settle`), and records the login, in one transaction. When the Authenticator step
    /// (or a later one) was used already, or the stored login transaction is gone, nothing is
    /// written and the answer is `false`.
    async fn session_start(
        &self,
        session: &Session,
        replaces: Option<&str>,
        settle: Settle<'_>,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<bool>;
    async fn session(&self, id_hash: &str) -> Result<Option<Session>>;
    async fn session_touch(&self, id_hash: &str, now: i64, idle_expires_at: i64) -> Result<()>;
    async fn session_end(&self, id_hash: &str, audit: Option<&AuditEvent>, now: i64) -> Result<()>;
    /// Ends every session of an account and revokes every token it gave e-services.
    async fn sessions_end_for_account(&self, account_id: &str, now: i64) -> Result<u64>;
    /// The account's live sessions, newest first.
    async fn sessions_for_account(&self, account_id: &str, now: i64) -> Result<Vec<Session>>;
    /// Ends one session of the account (a citizen's "sign out" of another browser), revoking
    /// what it gave e-services, with the audit row; its chain, or `None` when the account has
    /// no such session.
    async fn session_end_of_account(
        &self,
        account_id: &str,
        id_hash: &str,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<Option<String>>;
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn audit_append(&self, event: &AuditEvent, mail: Option<&Mail>, now: i64) -> Result<()>;
    /// The newest events of an account whose kind starts with one of `prefixes`: the citizen's
    /// history, which leaves out refreshes (`audit::TOKENS_REFRESHED`, design note 0007).
    async fn audit_for_account(
        &self,
        account_id: &str,
        prefixes: &[&str],
        limit: i64,
    ) -> Result<Vec<AuditRecord>>;
    /// The trail in order from `after_seq`.
    async fn audit_range(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditRecord>>;
}

#[async_trait]
pub trait MailStore: Send + Sync {
    /// Takes the oldest mail due for sending and leases it for `lease_ms` (any node may send it;
    /// one does).
    async fn mail_claim(&self, now: i64, lease_ms: i64) -> Result<Option<Mail>>;
    async fn mail_done(&self, id: &str) -> Result<()>;
    async fn mail_retry(&self, id: &str, at: i64) -> Result<()>;
}

/// The e-services that rely on npass (OpenID Connect now, SAML next) and what their clients
/// presented.
#[async_trait]
pub trait RelyingPartyStore: Send + Sync {
    /// `Conflict` when the client id exists.
    async fn eservice_create(&self, e: &EService, audit: &AuditEvent, now: i64) -> Result<()>;

    async fn eservice(&self, client_id: &str) -> Result<Option<EService>>;

    async fn eservices(&self) -> Result<Vec<EService>>;

    /// The SAML service whose entity id is `entity_id`.
    async fn eservice_by_entity(&self, entity_id: &str) -> Result<Option<EService>>;

    /// Replaces the whole record (secret rotation, disabling), with its audit row.
    async fn eservice_update(&self, e: &EService, audit: &AuditEvent, now: i64) -> Result<()>;

    /// Records a client assertion's `jti` until it expires; `false` if it was seen (a replay).
    async fn assertion_jti_use(
        &self,
        client_id: &str,
        jti: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<bool>;
}

/// The keys npass signs with.
#[async_trait]
pub trait SigningKeyStore: Send + Sync {
    async fn signing_keys(&self) -> Result<Vec<SigningKey>>;

    async fn signing_key_add(&self, key: &SigningKey, audit: &AuditEvent, now: i64) -> Result<()>;

    /// Gives a key made before certificates were kept its certificate, once: `false` when it
    /// has one already (another node's, equally valid).
    async fn signing_key_certify(&self, kid: &str, certificate: &[u8]) -> Result<bool>;

    /// Sets when a key leaves the JWKS (it signs nothing from now on).
    async fn signing_key_retire(
        &self,
        kid: &str,
        at: i64,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<()>;
}

/// Authorisation requests parked while the citizen logs in, and the codes they yield.
#[async_trait]
pub trait AuthRequestStore: Send + Sync {
    async fn auth_request_put(&self, r: &AuthRequest) -> Result<()>;
    /// Rewrites a parked request still parked (the context chosen at login): `false` if it
    /// is gone.
    async fn auth_request_update(&self, r: &AuthRequest) -> Result<bool>;

    async fn auth_request(&self, id: &str) -> Result<Option<AuthRequest>>;

    async fn auth_request_delete(&self, id: &str) -> Result<()>;

    /// Issues a code for the parked request `request_id`, which it consumes (one request, one
    /// code: `NotFound` if it is gone), recording the consent just given (its audit event) in
    /// the same transaction, with the events `audit` (the authorisation, and the use of a
    /// mandate in its mandator's history).
    async fn code_put(
        &self,
        c: &AuthCode,
        request_id: &str,
        consent: Option<&AuditEvent>,
        audit: &[AuditEvent],
        now: i64,
    ) -> Result<()>;

    /// A code not yet spent (expired or not).
    async fn code(&self, code_hash: &str) -> Result<Option<AuthCode>>;

    /// Spends a code once. A second redemption revokes every token issued from it.
    async fn code_redeem(&self, code_hash: &str, now: i64) -> Result<Redeemed>;
}

/// What e-services were granted: grants, their refresh tokens, revocations, the sessions they
/// came from.
#[async_trait]
pub trait GrantStore: Send + Sync {
    /// Redeems the code a grant is named after (`g.id`) and starts the grant with its first
    /// refresh token, in one transaction; `false` (and nothing written) if that code was spent
    /// already or is unknown. The grant keeps the terms (scope, `auth_time`, level, methods)
    /// every later token of it shares.
    async fn grant_put(
        &self,
        g: &GrantRecord,
        first: &RefreshRecord,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<bool>;

    /// Spends `old` (only if unused and its grant unrevoked) and records the refresh token
    /// replacing it (digest `new_hash`, same grant and terms), in one transaction; `false` (and
    /// nothing written) if `old` was no longer live.
    async fn refresh_exchange(
        &self,
        old: &str,
        new_hash: &str,
        idle_expires_at: i64,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<bool>;

    /// Spends a refresh token once (rotation). Presenting a spent or revoked one revokes its
    /// whole grant.
    async fn refresh_rotate(&self, token_hash: &str, now: i64) -> Result<Rotated>;

    /// A live refresh token (unspent, unexpired, its grant unrevoked).
    async fn refresh(&self, token_hash: &str, now: i64) -> Result<Option<RefreshRecord>>;

    /// Revokes a grant: every access and refresh token issued from it.
    async fn revoke_family(&self, family: &str, audit: &AuditEvent, now: i64) -> Result<()>;

    /// Revokes one access token until it expires (`expires_at`).
    async fn revoke_access_token(
        &self,
        jti: &str,
        expires_at: i64,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<()>;

    /// Deletes what OpenID Connect no longer needs, once expired by `now`: parked requests and
    /// codes keyed before `requests_before`, grants and their refresh tokens keyed before
    /// `grants_before` (both `rng::time_prefix`es), and lapsed access-token revocations.
    /// Returns how many rows went.
    async fn oidc_sweep(&self, requests_before: &str, grants_before: &str, now: i64)
    -> Result<u64>;

    /// The live (unrevoked, unexpired) grant of an access token, unless the token `jti` itself
    /// was revoked.
    async fn access_grant(
        &self,
        grant_id: &str,
        jti: &str,
        now: i64,
    ) -> Result<Option<GrantRecord>>;

    /// The e-services that received tokens from a session (for back-channel logout).
    async fn session_clients(&self, session_hash: &str) -> Result<Vec<String>>;
}

/// What a citizen agreed to share with each e-service.
#[async_trait]
pub trait ConsentStore: Send + Sync {
    async fn consent(&self, account_id: &str, client_id: &str) -> Result<Option<Vec<String>>>;

    async fn consents_for_account(&self, account_id: &str) -> Result<Vec<ConsentRecord>>;

    /// Withdraws a consent and revokes every token the e-service holds for the account.
    async fn consent_withdraw(
        &self,
        account_id: &str,
        client_id: &str,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<()>;

    async fn consent_put(
        &self,
        account_id: &str,
        client_id: &str,
        scope: &[String],
        audit: &AuditEvent,
        now: i64,
    ) -> Result<()>;
}

/// Back-channel logout notices waiting to be delivered.
#[async_trait]
pub trait BackchannelStore: Send + Sync {
    async fn backchannel_enqueue(&self, notices: &[BackchannelNotice], now: i64) -> Result<()>;

    /// Takes the oldest due notice and leases it for `lease_ms`.
    async fn backchannel_claim(&self, now: i64, lease_ms: i64)
    -> Result<Option<BackchannelNotice>>;

    async fn backchannel_done(&self, id: &str) -> Result<()>;

    async fn backchannel_retry(&self, id: &str, at: i64) -> Result<()>;
}

#[async_trait]
pub trait ChallengeStore: Send + Sync {
    async fn challenge_put(&self, c: &Challenge) -> Result<()>;
    async fn challenge(&self, id: &str) -> Result<Option<Challenge>>;
    /// `Waiting` → `to` (`Verified` or `Refused`), once and before expiry; `false` when it was
    /// not waiting any more. The audit row commits with it.
    async fn challenge_settle(
        &self,
        id: &str,
        to: &ChallengeState,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<bool>;
    /// `Verified` → `Taken`, once, for the browser it was created for.
    async fn challenge_take(&self, id: &str, browser_hash: &str) -> Result<Option<Challenge>>;
    /// Deletes challenges, stored login transactions and WebAuthn ceremonies that expired
    /// before `before`; returns how many.
    async fn challenges_sweep(&self, before: i64) -> Result<u64>;
}

/// A passkey as kept (design note 0014): the WebAuthn library's serialised credential, opaque
/// here, and what pages and rules read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyRecord {
    /// The credential id, base64url.
    pub credential_id: String,
    pub account_id: crate::ids::AccountId,
    /// The citizen's name for it ("phone", "work key").
    pub name: String,
    /// The library's credential, serialised (JSON).
    pub passkey: String,
    /// The authenticator model (AAGUID), all zeros when it did not say.
    pub aaguid: String,
    /// Its attestation chained to a root the deployment trusts for level high.
    pub attested: bool,
    pub backup_eligible: bool,
    pub backed_up: bool,
    /// The authenticator's signature counter as last seen (0 when it keeps none).
    pub sign_count: i64,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    /// Made by the npass app after an app login: the account's *device* (design note 0015),
    /// which may hold an app grant.
    pub device: bool,
}

#[async_trait]
pub trait PasskeyStore: Send + Sync {
    /// Adds a passkey with its audit row and email; `Conflict` when the credential id is
    /// registered already (to any account).
    async fn passkey_add(
        &self,
        p: &PasskeyRecord,
        audit: &AuditEvent,
        mail: Option<&Mail>,
        now: i64,
    ) -> Result<()>;
    /// An account's passkeys, oldest first.
    async fn passkeys_of(&self, account_id: &str) -> Result<Vec<PasskeyRecord>>;
    async fn passkey(&self, credential_id: &str) -> Result<Option<PasskeyRecord>>;
    /// Renames one of the account's passkeys; `false` when it has no such passkey.
    async fn passkey_rename(
        &self,
        account_id: &str,
        credential_id: &str,
        name: &str,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<bool>;
    /// Removes one of the account's passkeys, with the audit row and email; `false` when it
    /// has no such passkey.
    async fn passkey_remove(
        &self,
        account_id: &str,
        credential_id: &str,
        audit: &AuditEvent,
        mail: Option<&Mail>,
        now: i64,
    ) -> Result<bool>;
    /// Records a use: the credential as updated by the library, its counter and backup state,
    /// only if the counter went up (or the authenticator keeps none: both zero). `false`, and
    /// nothing written, for a counter that did not increase — a cloned authenticator, or a
    /// replay racing the real use.
    async fn passkey_use(
        &self,
        credential_id: &str,
        passkey: &str,
        sign_count: i64,
        backed_up: bool,
        now: i64,
    ) -> Result<bool>;
    /// Keeps a WebAuthn ceremony under way until its finish.
    async fn ceremony_put(&self, c: &StoredCeremony) -> Result<()>;
    /// Takes the ceremony `key` (its row is deleted: a second finish finds nothing).
    async fn ceremony_take(&self, key: &str) -> Result<Option<StoredCeremony>>;
}

/// A device's app grant (design note 0015): digests of its access and refresh tokens, and when
/// the device key last unlocked the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppGrant {
    /// The device (a passkey's credential id): one grant each.
    pub credential_id: String,
    pub account_id: crate::ids::AccountId,
    pub access_hash: String,
    pub access_expires_at: i64,
    pub refresh_hash: String,
    pub unlocked_at: i64,
    pub created_at: i64,
}

/// Where a device's push service takes notifications for it (RFC 8030), and the keys that
/// encrypt them for the device (RFC 8291: its P-256 public key and auth secret, base64url).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushSubscription {
    pub credential_id: String,
    pub account_id: crate::ids::AccountId,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

/// A refresh token presented, and the tokens that replace it.
#[derive(Debug, Clone)]
pub struct Rotate<'a> {
    pub refresh_hash: &'a str,
    pub access_hash: &'a str,
    pub access_expires_at: i64,
    pub new_refresh_hash: &'a str,
    /// `Locked` when the grant's access token ran out before this: the app sat idle.
    pub used_after: i64,
    /// `Locked` when the device key last unlocked the app before this.
    pub unlocked_after: i64,
}

/// What presenting a refresh token found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// It was the grant's current one: the grant now holds the new tokens.
    Rotated(AppGrant),
    /// It is current but the device has not unlocked the app recently enough: nothing changed.
    Locked,
    /// It was spent already: the grant is revoked (a stolen copy, or the app's own replay);
    /// the grant's account and device.
    Reused {
        account_id: crate::ids::AccountId,
        credential_id: String,
    },
    Unknown,
}

#[async_trait]
pub trait AppGrantStore: Send + Sync {
    /// Starts the device's grant, or replaces its tokens (an unlock), with its audit row.
    async fn app_grant_put(&self, g: &AppGrant, audit: &AuditEvent, now: i64) -> Result<()>;
    /// The grant whose access token has digest `access_hash`, while its device is still a
    /// device of the account (revoking it deletes the grant in the same transaction).
    async fn app_grant_by_access(&self, access_hash: &str) -> Result<Option<AppGrant>>;
    /// Swaps the refresh token `r.refresh_hash` for new tokens, once cluster-wide, while the
    /// app is unlocked (`Rotate`). A spent refresh token revokes its grant; the audit row
    /// `reuse` commits with it, with the grant's account and its device (`detail.device`)
    /// filled in.
    async fn app_grant_rotate(
        &self,
        r: &Rotate<'_>,
        reuse: &AuditEvent,
        now: i64,
    ) -> Result<Rotation>;
    /// Ends the device's grant (a lock, a logout from the app); `false` when it had none.
    async fn app_grant_end(&self, credential_id: &str) -> Result<bool>;
    /// Lists the QR login `challenge_id` in the app of the account's devices until
    /// `expires_at` (a request sent without scanning).
    async fn app_request_put(
        &self,
        challenge_id: &str,
        account_id: &str,
        expires_at: i64,
    ) -> Result<()>;
    /// The challenges sent to the account's devices that have not expired at `now`, newest
    /// first.
    async fn app_requests_of(&self, account_id: &str, now: i64) -> Result<Vec<String>>;
    /// Keeps (or replaces) the device's Web Push subscription; `NotFound` when it is not a
    /// device of the account.
    async fn app_push_put(&self, s: &PushSubscription, now: i64) -> Result<()>;
    /// The account's devices' subscriptions.
    async fn app_push_of(&self, account_id: &str) -> Result<Vec<PushSubscription>>;
    /// Forgets the device's subscription; `false` when it had none.
    async fn app_push_end(&self, credential_id: &str) -> Result<bool>;
}

#[async_trait]
pub trait PictureStore: Send + Sync {
    /// Keeps (or replaces) the account's picture, with its audit row.
    async fn picture_put(
        &self,
        account_id: &str,
        jpeg: &[u8],
        audit: &AuditEvent,
        now: i64,
    ) -> Result<()>;
    async fn picture(&self, account_id: &str) -> Result<Option<Vec<u8>>>;
    /// Removes it, with its audit row; `false` when there was none.
    async fn picture_remove(&self, account_id: &str, audit: &AuditEvent, now: i64) -> Result<bool>;
}

/// A WebAuthn ceremony under way (design note 0014): the library's state, opaque here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCeremony {
    /// Digest of the ceremony id the page holds.
    pub key: String,
    /// Digest of the pre-session cookie of the browser it was started in.
    pub browser_hash: String,
    /// The account it is for (a registration, a second factor); none for a passwordless login.
    pub account_id: Option<crate::ids::AccountId>,
    pub kind: String,
    pub state: String,
    pub expires_at: i64,
}

/// The SAML identity provider's state (design note 0016, schema 16).
#[async_trait]
pub trait SamlStore: Send + Sync {
    /// Records message `message_id` of `issuer` as seen until `until`: `false` when it was
    /// seen before (a replay), on any node.
    async fn saml_seen_once(
        &self,
        issuer: &str,
        message_id: &str,
        until: i64,
        now: i64,
    ) -> Result<bool>;

    async fn saml_request_put(&self, r: &crate::saml::SamlRequest) -> Result<()>;
    /// Rewrites a parked request still parked (the context chosen at login): `false` if it
    /// is gone.
    async fn saml_request_update(&self, r: &crate::saml::SamlRequest) -> Result<bool>;

    async fn saml_request(&self, id: &str) -> Result<Option<crate::saml::SamlRequest>>;

    /// Ends a parked request answered with an error status: `NotFound` when it is gone.
    async fn saml_request_take(&self, id: &str) -> Result<()>;

    /// Answers a parked request: consumes it (`NotFound` when it is gone: one request, one
    /// response), records the service as a participant of the session chain, the consent
    /// just given (account, scope and its audit event) and the audit row, in one transaction.
    async fn saml_answered(
        &self,
        request_id: &str,
        p: &crate::saml::Participant,
        consent: Option<(&str, &[String], &AuditEvent)>,
        audit: &[AuditEvent],
        now: i64,
    ) -> Result<()>;

    /// The SAML services a session chain answered, oldest first.
    async fn saml_participants(&self, chain: &str) -> Result<Vec<crate::saml::Participant>>;

    /// Parks a service's LogoutRequest (stage `asked`).
    async fn saml_logout_put(&self, l: &crate::saml::logout::SamlLogout) -> Result<()>;

    async fn saml_logout(
        &self,
        id: &str,
    ) -> Result<
        Option<(
            crate::saml::logout::SamlLogout,
            crate::saml::logout::LogoutStage,
        )>,
    >;

    /// Runs a logout for session chain `chain`: the logout (parked, or new for npass's own) is
    /// `running` with its notices, the chain's participants are forgotten and the audit row
    /// written, in one transaction. `false`, changing nothing, when it runs already.
    async fn saml_logout_run(
        &self,
        l: &crate::saml::logout::SamlLogout,
        chain: &str,
        notices: &[crate::saml::logout::LogoutNotice],
        audit: &AuditEvent,
        now: i64,
    ) -> Result<bool>;

    /// A running logout's notices, by position.
    async fn saml_logout_notices(
        &self,
        logout_id: &str,
    ) -> Result<Vec<crate::saml::logout::LogoutNotice>>;

    /// The notice npass's LogoutRequest `request_id` belongs to.
    async fn saml_logout_notice(
        &self,
        request_id: &str,
    ) -> Result<Option<crate::saml::logout::LogoutNotice>>;

    /// Records service `client_id`'s answer to `request_id` if it has none yet: `None` when
    /// recorded, else the answer that stands.
    async fn saml_logout_answer(
        &self,
        request_id: &str,
        client_id: &crate::ids::ClientId,
        outcome: crate::saml::logout::Outcome,
    ) -> Result<Option<crate::saml::logout::Outcome>>;

    /// Ends a logout (parked or running), once: its notices as they ended; `NotFound` when
    /// it is gone.
    async fn saml_logout_take(&self, id: &str) -> Result<Vec<crate::saml::logout::LogoutNotice>>;

    /// Forgets expired requests and seen IDs, and participants recorded before
    /// `participants_before` (their sessions have ended by then).
    async fn saml_sweep(&self, participants_before: i64, now: i64) -> Result<u64>;
}

/// E-service roles (design note 0019, schema 19). Each write is one transaction with its audit
/// row; a grant is written only while its grantor administers the e-service and the role is
/// declared, decided in that transaction.
#[async_trait]
pub trait RoleStore: Send + Sync {
    /// Declares `roles` of e-service `client_id` (those it has stay).
    async fn roles_declare(
        &self,
        client_id: &str,
        roles: &[String],
        audit: &AuditEvent,
        now: i64,
    ) -> Result<()>;

    /// Retires `role` of `client_id`: no longer declared, and every grant of it ends, in one
    /// transaction with `audit` and, for each citizen who held it unexpired,
    /// `holder(account_id)`: `false`, writing nothing, when it is not declared. (A grant
    /// racing the retirement may outlive it as a row: only grants of declared roles are read,
    /// and declaring the role again clears such rows first.)
    async fn role_retire(
        &self,
        client_id: &str,
        role: &str,
        holder: &(dyn for<'a> Fn(&'a str) -> AuditEvent + Send + Sync),
        audit: &AuditEvent,
        now: i64,
    ) -> Result<bool>;

    /// An e-service's declared roles, by name.
    async fn roles_declared(&self, client_id: &str) -> Result<Vec<String>>;

    /// Makes `account_id` an administrator of `client_id`, named by the operator (`granted_by`
    /// `None`) or by another administrator, who must be one when it is written: `false`,
    /// writing nothing, when it is one already or the namer is not.
    async fn service_admin_add(
        &self,
        client_id: &str,
        account_id: &str,
        granted_by: Option<&str>,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<bool>;

    /// Ends `account_id`'s administration of `client_id`: by the operator (`by` `None`) or by
    /// another administrator, who must be one when it is written (nobody removes themselves
    /// this way, so the page never leaves an e-service without one): `false`, writing
    /// nothing, otherwise.
    async fn service_admin_remove(
        &self,
        client_id: &str,
        account_id: &str,
        by: Option<&str>,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<bool>;

    /// The accounts that administer `client_id`.
    async fn service_admins(&self, client_id: &str) -> Result<Vec<String>>;

    /// The e-services `account_id` administers.
    async fn services_administered(&self, account_id: &str) -> Result<Vec<crate::ids::ClientId>>;

    /// Grants `g` (a grant of the same role to the same citizen takes its new end date), only
    /// while the role is declared and — unless `by_operator` (the admin API) — `g.granted_by`
    /// administers the e-service: `false`, writing nothing, otherwise.
    async fn role_grant(
        &self,
        g: &crate::roles::RoleGrant,
        by_operator: bool,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<bool>;

    /// Withdraws a role, only while `by` administers the e-service (`None`: the operator):
    /// `false`, writing nothing, when it does not or there was no such grant.
    async fn role_withdraw(
        &self,
        client_id: &str,
        role: &str,
        account_id: &str,
        by: Option<&str>,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<bool>;

    /// The roles `account_id` holds at `client_id` at `now` (ended ones are not), by name.
    async fn roles_of(&self, client_id: &str, account_id: &str, now: i64) -> Result<Vec<String>>;

    /// An e-service's grants standing at `now`.
    async fn role_grants(&self, client_id: &str, now: i64) -> Result<Vec<crate::roles::RoleGrant>>;

    /// The grants `account_id` holds at `now`, at every e-service (for their own page).
    async fn roles_held(&self, account_id: &str, now: i64) -> Result<Vec<crate::roles::RoleGrant>>;
}

/// Organisations and their members (design note 0019, schema 20). A member is written by an
/// administrator only while they administer the organisation, decided in that statement.
#[async_trait]
pub trait OrgStore: Send + Sync {
    /// Adds the organisations, or renames those known, in one transaction with its audit row.
    async fn orgs_upsert(
        &self,
        entries: &[crate::orgs::OrgEntry],
        audit: &AuditEvent,
        now: i64,
    ) -> Result<()>;

    async fn org(&self, id: &str) -> Result<Option<crate::orgs::OrgEntry>>;

    /// Writes a membership (replacing the person's earlier one), only when `by_operator` or
    /// while `m.granted_by` administers the organisation — who never turns another
    /// administrator into a representative: `false`, writing nothing, otherwise.
    async fn org_member_put(
        &self,
        m: &crate::orgs::Membership,
        by_operator: bool,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<bool>;

    /// Removes a representative, only while `by` administers the organisation (`None`: the
    /// operator, who may remove an administrator too): `false`, writing nothing, otherwise.
    async fn org_member_remove(
        &self,
        org_id: &str,
        account_id: &str,
        by: Option<&str>,
        audit: &AuditEvent,
        now: i64,
    ) -> Result<bool>;

    /// An organisation's members standing at `now`.
    async fn org_members(&self, org_id: &str, now: i64) -> Result<Vec<crate::orgs::Membership>>;

    /// The organisations `account_id` administers or represents at `now`.
    async fn memberships_of(
        &self,
        account_id: &str,
        now: i64,
    ) -> Result<Vec<(crate::orgs::OrgEntry, crate::orgs::Membership)>>;
}

/// Mandates (schema 21, design note 0019) and the contexts citizens chose per e-service. A
/// mandate is accepted only by its representative while offered and unexpired, and ended only
/// by one of its two citizens, each decided in the store's statement.
#[async_trait]
pub trait MandateStore: Send + Sync {
    /// Records a new (offered) mandate, with its events, in one transaction.
    async fn mandate_put(
        &self,
        m: &crate::mandates::Mandate,
        audit: &[AuditEvent],
        now: i64,
    ) -> Result<()>;

    async fn mandate(&self, id: &str) -> Result<Option<crate::mandates::Mandate>>;

    /// Makes an offered, unexpired mandate to `representative` active: `false`, writing
    /// nothing, otherwise.
    async fn mandate_accept(
        &self,
        id: &str,
        representative: &str,
        audit: &[AuditEvent],
        now: i64,
    ) -> Result<bool>;

    /// Deletes a mandate `by` one of its two citizens, or by the operator (`by` `None`):
    /// `false`, writing nothing, otherwise.
    async fn mandate_end(
        &self,
        id: &str,
        by: Option<&str>,
        audit: &[AuditEvent],
        now: i64,
    ) -> Result<bool>;

    /// The unexpired mandates `account_id` gave or holds, oldest first.
    async fn mandates_of(
        &self,
        account_id: &str,
        now: i64,
    ) -> Result<Vec<crate::mandates::Mandate>>;

    /// Deletes the mandates that expired by `now` (they count for nothing from then on; their
    /// history is the audit trail's); how many.
    async fn mandates_sweep(&self, now: i64) -> Result<u64>;

    /// What `account_id` chose last at `client_id` (`Acting::value`).
    async fn acting_choice(&self, account_id: &str, client_id: &str) -> Result<Option<String>>;

    async fn acting_choice_put(
        &self,
        account_id: &str,
        client_id: &str,
        choice: &str,
        now: i64,
    ) -> Result<()>;
}

#[async_trait]
pub trait Store:
    AccountStore
    + TotpStore
    + RecoveryStore
    + ThrottleStore
    + SessionStore
    + AuditStore
    + MailStore
    + RelyingPartyStore
    + SigningKeyStore
    + AuthRequestStore
    + GrantStore
    + ConsentStore
    + BackchannelStore
    + ChallengeStore
    + LoginStore
    + ResetStore
    + PasskeyStore
    + AppGrantStore
    + PictureStore
    + SamlStore
    + RoleStore
    + OrgStore
    + MandateStore
{
    /// A round trip to the database, for readiness checks.
    /// Commits a small write (the readiness probe): `Ok` only when the database can write.
    async fn ping(&self, now: i64) -> Result<()>;
}
