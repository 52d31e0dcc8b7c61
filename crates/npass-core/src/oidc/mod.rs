//! OpenID Connect provider (design note 0002): e-services, parked authorisation requests,
//! codes, tokens, claims. Protocol only — credentials are the login transaction's business.

pub mod cache;
pub mod flow;
pub mod jwt;
pub mod logout;
pub mod token;

use crate::ids::{AccountId, ClientId};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::keys::SigningKeys;
use crate::model::{Amr, Level};
use crate::registry::Registry;
use crate::service::Env;
use crate::store::{AccountStore, AuthRequestStore, ConsentStore, GrantStore};

/// The OpenID Connect provider's use-cases (`flow`, `token`, `logout`) over the ports they use.
pub struct Federation {
    pub(crate) registry: Registry,
    pub(crate) keys: SigningKeys,
    pub(crate) requests: Arc<dyn AuthRequestStore>,
    pub(crate) grants: Arc<dyn GrantStore>,
    pub(crate) consents: Arc<dyn ConsentStore>,
    pub(crate) accounts: Arc<dyn AccountStore>,
    pub(crate) env: Env,
    /// Derives pairwise subject identifiers (from the master key).
    pub(crate) pairwise_key: zeroize::Zeroizing<[u8; 32]>,
    /// Fetches e-services' published keys (`jwks_uri`).
    pub(crate) key_fetcher: Arc<dyn KeyFetcher>,
    /// E-services' published keys, kept a while.
    pub(crate) remote_keys: Arc<cache::KeyCache>,
    /// Citizens' roles at e-services (the `roles` claim).
    pub(crate) roles: Arc<dyn crate::store::RoleStore>,
    /// Whom a login is for (design note 0019).
    pub(crate) contexts: crate::acting::Contexts,
}

/// Scopes npass knows. `national_id` is released only to entitled e-services.
pub const KNOWN_SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "phone",
    "national_id",
    "roles",
];

/// An authorisation request, validated and parked while the citizen logs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthRequest {
    pub id: String,
    pub client_id: ClientId,
    pub redirect_uri: String,
    pub scope: Vec<String>,
    pub state: String,
    pub nonce: String,
    pub code_challenge: String,
    /// The level the login must reach: the e-service's minimum or what `acr_values` asked.
    pub min_level: Level,
    pub max_age: Option<i64>,
    pub prompt: Prompt,
    /// `ui_locales` as asked (space-separated language tags): the pages of this request are
    /// shown in the first one npass has, unless the citizen picks another.
    #[serde(default)]
    pub ui_locales: String,
    /// The `sub` of a verified `id_token_hint`: only that citizen's session may answer.
    #[serde(default)]
    pub hint_sub: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    /// Whom the citizen chose to log in for (design note 0019); `None`: not chosen, for
    /// themselves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acting: Option<crate::acting::Acting>,
    /// Who made that choice: another citizen logging in on the same browser chooses anew.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chosen_by: Option<AccountId>,
    /// What the e-service took of logins for others when the request was made: when nothing,
    /// the login is for the person and its steps need not read the e-service again (its
    /// tokens are checked against the e-service as it stands at the token endpoint).
    #[serde(default, skip_serializing_if = "crate::acting::ContextPolicy::is_none")]
    pub contexts: crate::acting::ContextPolicy,
}

/// What `prompt` asked of an authorisation request (OpenID Connect Core §3.1.2.1). Stored as
/// the parameter's text, as parked requests always were.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prompt {
    /// No page may be shown: answer at once, or with an error.
    pub none: bool,
    /// A new login, whatever session there is.
    pub login: bool,
    /// Ask for consent again.
    pub consent: bool,
    /// Accepted; npass has one account per browser, so it changes nothing.
    pub select_account: bool,
}

impl Prompt {
    /// The values of a `prompt` parameter; `None` for an unknown value or `none` with another.
    pub fn parse(text: &str) -> Option<Prompt> {
        let mut p = Prompt::default();
        let mut n = 0;
        for v in text.split_whitespace() {
            n += 1;
            match v {
                "none" => p.none = true,
                "login" => p.login = true,
                "consent" => p.consent = true,
                "select_account" => p.select_account = true,
                _ => return None,
            }
        }
        (!p.none || n == 1).then_some(p)
    }

    pub fn text(self) -> String {
        let names = [
            (self.none, "none"),
            (self.login, "login"),
            (self.consent, "consent"),
            (self.select_account, "select_account"),
        ];
        let on: Vec<&str> = names
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, n)| *n)
            .collect();
        on.join(" ")
    }
}

impl Serialize for Prompt {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

impl<'de> Deserialize<'de> for Prompt {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Prompt::parse(&text).ok_or_else(|| serde::de::Error::custom("prompt"))
    }
}

/// An authorisation code as stored (only its digest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthCode {
    pub code_hash: String,
    pub client_id: ClientId,
    pub redirect_uri: String,
    pub account_id: AccountId,
    pub scope: Vec<String>,
    pub nonce: String,
    pub code_challenge: String,
    pub auth_time: i64,
    pub level: Level,
    pub amr: Vec<Amr>,
    pub expires_at: i64,
    /// The SSO session that logged in: ending it revokes what this code gave.
    pub session_hash: String,
    /// Whom the login was for (`None`: the person themselves), resolved again at redemption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acting: Option<crate::acting::Acting>,
}

/// A refresh token as stored (its digest). `family` is the digest of the code that started the
/// grant: every token of one grant shares it, so one reuse revokes them all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshRecord {
    pub token_hash: String,
    pub family: String,
    pub client_id: ClientId,
    pub account_id: AccountId,
    pub session_hash: String,
    pub scope: Vec<String>,
    pub auth_time: i64,
    pub level: Level,
    pub amr: Vec<Amr>,
    pub nonce: String,
    pub idle_expires_at: i64,
    pub expires_at: i64,
    /// Whom the grant acts for (`None`: the person themselves), resolved again at each refresh.
    pub acting: Option<crate::acting::Acting>,
}

/// What a refresh-token rotation found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotated {
    Fresh(Box<RefreshRecord>),
    /// Used before (or revoked): the whole family is now revoked.
    Reused,
    Unknown,
}

/// What a redemption found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redeemed {
    Fresh(Box<AuthCode>),
    /// Already redeemed once: a replay. Tokens issued from it have been revoked.
    Replayed,
    Unknown,
}

/// A grant: what one code redemption started (design note 0005). Its tokens are revoked by
/// revoking it; access tokens carry its id (`gid`) and are not stored themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRecord {
    /// The family: the digest of the code.
    pub id: String,
    pub client_id: ClientId,
    pub account_id: AccountId,
    pub session_hash: String,
    pub expires_at: i64,
}

/// An OAuth error: the code from RFC 6749 / OIDC Core and a description for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub error: OAuthCode,
    pub description: String,
}

/// The error codes of OAuth 2.0 (RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3.1), OpenID Connect Core
/// §3.1.2.6 and PAR (RFC 9126) that npass answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    AccessDenied,
    LoginRequired,
    ConsentRequired,
    InteractionRequired,
    RequestNotSupported,
    RequestUriNotSupported,
    InvalidToken,
    /// RFC 6750 §3.1: the token is good but not for this resource.
    InsufficientScope,
    ServerError,
    TemporarilyUnavailable,
}

impl OAuthCode {
    pub fn as_str(self) -> &'static str {
        match self {
            OAuthCode::InvalidRequest => "invalid_request",
            OAuthCode::InvalidClient => "invalid_client",
            OAuthCode::InvalidGrant => "invalid_grant",
            OAuthCode::UnauthorizedClient => "unauthorized_client",
            OAuthCode::UnsupportedGrantType => "unsupported_grant_type",
            OAuthCode::UnsupportedResponseType => "unsupported_response_type",
            OAuthCode::InvalidScope => "invalid_scope",
            OAuthCode::AccessDenied => "access_denied",
            OAuthCode::LoginRequired => "login_required",
            OAuthCode::ConsentRequired => "consent_required",
            OAuthCode::InteractionRequired => "interaction_required",
            OAuthCode::RequestNotSupported => "request_not_supported",
            OAuthCode::RequestUriNotSupported => "request_uri_not_supported",
            OAuthCode::InvalidToken => "invalid_token",
            OAuthCode::InsufficientScope => "insufficient_scope",
            OAuthCode::ServerError => "server_error",
            OAuthCode::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }
}

impl std::fmt::Display for OAuthCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl OAuthError {
    pub fn new(error: OAuthCode, description: impl Into<String>) -> Self {
        OAuthError {
            error,
            description: description.into(),
        }
    }
}

pub fn join_scope(s: &[String]) -> String {
    s.join(" ")
}

pub fn split_scope(s: &str) -> Vec<String> {
    let mut v: Vec<String> = s.split_whitespace().map(str::to_owned).collect();
    v.dedup();
    v
}

/// A back-channel logout waiting to be delivered to an e-service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackchannelNotice {
    pub id: String,
    pub client_id: ClientId,
    pub uri: String,
    /// What the logout token says, unsigned (`{"alg", "claims"}` as JSON): each delivery
    /// attempt signs a token of its own, valid when it is sent (`Federation::logout_token`). Rows
    /// queued before this hold a signed token, which is sent as it is.
    pub logout_token: String,
    pub attempts: i64,
}

/// An e-service a citizen agreed to share data with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRecord {
    pub client_id: ClientId,
    pub scope: Vec<String>,
    pub created_at: i64,
}

/// Fetches an e-service's published JWKS (`jwks_uri`). The binary implements it over HTTPS; the
/// core only decides when to ask.
#[async_trait::async_trait]
pub trait KeyFetcher: Send + Sync {
    async fn fetch(&self, uri: &str) -> Result<serde_json::Value, String>;
}

/// A fetcher for deployments that allow no outgoing requests (and for tests that need none).
pub struct NoFetcher;

#[async_trait::async_trait]
impl KeyFetcher for NoFetcher {
    async fn fetch(&self, _uri: &str) -> Result<serde_json::Value, String> {
        Err("fetching keys is switched off".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_values_parse_and_keep_their_stored_text() {
        let p = Prompt::parse("login consent").unwrap();
        assert!(p.login && p.consent && !p.none);
        assert_eq!(Prompt::parse(""), Some(Prompt::default()));
        assert_eq!(Prompt::parse("none").map(|p| p.none), Some(true));
        assert_eq!(Prompt::parse("none login"), None, "none stands alone");
        assert_eq!(Prompt::parse("create"), None);
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, "\"login consent\"");
        assert_eq!(
            serde_json::from_str::<Prompt>("\"consent login\"").unwrap(),
            p
        );
    }
}
