//! The provider's use-cases: registry, keys, the authorisation request and its decisions,
//! codes, the token endpoint and userinfo.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::Federation;
use super::{
    AuthCode, AuthRequest, KNOWN_SCOPES, OAuthCode, OAuthError, Prompt, join_scope, split_scope,
};
use crate::acting::{Acting, Context, Pending};
use crate::audit;
use crate::error::{Error, Result};
use crate::login::Client;
use crate::model::{Level, Session};
use crate::relying::EService;
use crate::rng;
use crate::service::ordered_key;

const REQUEST_TTL_MS: i64 = 10 * 60 * 1000;
const PAR_TTL_MS: i64 = 90 * 1000;
const PAR_URN: &str = "urn:ietf:params:oauth:request_uri:";
const CODE_TTL_MS: i64 = 60 * 1000;

/// What an operator registers.
#[derive(Debug, Clone, Default)]
pub struct NewEService {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub backchannel_logout_uri: String,
    pub min_level: Option<Level>,
    pub scopes: Vec<String>,
    pub auth_method: String,
    pub national_id_claim: bool,
    /// Entitled to the citizen's picture (needs the `profile` scope).
    pub picture_claim: bool,
    pub pairwise_sector: String,
    pub require_par: bool,
    /// Public keys, for `private_key_jwt`.
    pub jwks: Option<Value>,
    /// Or where they are published.
    pub jwks_uri: String,
    /// `ES256` (default) or `RS256`, for ID and logout tokens.
    pub id_token_alg: Option<String>,
    /// What it takes of logins for others (`ContextPolicy::new` checks it).
    pub contexts: crate::acting::ContextPolicy,
}

/// Where an authorisation request goes wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    /// Unknown client or unregistered redirect URI: shown as a page, never redirected.
    Page(&'static str),
    /// Everything else goes back to the e-service.
    Redirect(String),
}

/// What happens next with a parked request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Log in; `reauth` when there is a session but it is not enough (level, age, prompt).
    Login {
        reauth: bool,
    },
    /// The session is recent enough but below the level the request needs: the citizen is
    /// shown the ways to reach `needed` (or to decline).
    StepUp {
        needed: crate::model::Level,
        have: crate::model::Level,
    },
    /// Whom the login is for: the citizen chooses (design note 0019).
    Choose,
    Consent,
    Issue,
    /// Back to the e-service with an error (prompt=none and nothing can be done silently).
    Redirect(String),
}

/// A registered redirect URI: absolute, https (or http on a loopback host, RFC 8252), no
/// fragment.
pub fn valid_redirect_uri(u: &str) -> bool {
    // No wildcards: a registered URI is compared byte for byte, and a `*` would only ever be
    // a mistake that looks like a pattern.
    if u.len() > 1000
        || u.contains(['*', '\\'])
        || u.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return false;
    }
    // The authority is written out: the URL parser would take `https:///cb` as host `cb`.
    if !u
        .split_once("://")
        .is_some_and(|(_, rest)| !rest.is_empty() && !rest.starts_with('/'))
    {
        return false;
    }
    let Ok(url) = url::Url::parse(u) else {
        return false;
    };
    // No fragment (RFC 6749 §3.1.2), no credentials in it.
    if url.fragment().is_some() || !url.username().is_empty() || url.password().is_some() {
        return false;
    }
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    };
    match url.scheme() {
        "https" => url.host().is_some(),
        // Plain HTTP only back to the citizen's own device (RFC 8252 §7.3).
        "http" => loopback,
        _ => false,
    }
}

/// Is `given` one of the `registered` redirect URIs? Exactly when it is byte for byte equal to
/// one: no normalisation, no case folding, no prefix or pattern matching (RFC 9700 §4.1.3).
pub fn redirect_uri_registered(registered: &[String], given: &str) -> bool {
    registered.iter().any(|u| u.as_bytes() == given.as_bytes())
}

fn with_params(base: &str, params: &[(&str, &str)]) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    let q: Vec<String> = params
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", crate::pct_encode(v)))
        .collect();
    format!("{base}{sep}{}", q.join("&"))
}

fn level_of_acr(acr: &str) -> Option<Level> {
    [Level::Low, Level::Substantial, Level::High]
        .into_iter()
        .find(|l| l.acr() == acr || l.as_str() == acr)
}

impl Federation {
    pub fn issuer(&self) -> String {
        self.env.policy.public_url.trim_end_matches('/').to_owned()
    }

    pub fn discovery(&self) -> Value {
        let iss = self.issuer();
        json!({
            "issuer": iss,
            "authorization_endpoint": format!("{iss}/authorize"),
            "token_endpoint": format!("{iss}/token"),
            "userinfo_endpoint": format!("{iss}/userinfo"),
            "jwks_uri": format!("{iss}/jwks"),
            "scopes_supported": KNOWN_SCOPES,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "end_session_endpoint": format!("{iss}/end-session"),
            "pushed_authorization_request_endpoint": format!("{iss}/par"),
            "require_pushed_authorization_requests": false,
            "backchannel_logout_supported": true,
            "backchannel_logout_session_supported": true,
            "revocation_endpoint": format!("{iss}/revoke"),
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "private_key_jwt"],
            "revocation_endpoint_auth_signing_alg_values_supported": ["ES256", "RS256", "PS256"],
            "introspection_endpoint": format!("{iss}/introspect"),
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "private_key_jwt"],
            "introspection_endpoint_auth_signing_alg_values_supported": ["ES256", "RS256", "PS256"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["ES256", "RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["ES256", "RS256", "PS256"],
            "code_challenge_methods_supported": ["S256"],
            "acr_values_supported": [Level::Low.acr(), Level::Substantial.acr(), Level::High.acr()],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp",
                "identity_assurance", "given_name", "family_name", "birthdate", "locale", "picture", "email", "email_verified",
                "phone_number", "national_id", "national_id_scheme", "roles", "org", "act"],
            "claims_parameter_supported": false,
            "request_parameter_supported": false,
            "request_uri_parameter_supported": false,
            "authorization_response_iss_parameter_supported": true,
            "ui_locales_supported": ["ro", "ru", "en"],
        })
    }

    // ---- authorisation request ------------------------------------------------------------

    /// Validates an authorisation request from the browser and parks it. A `request_uri` from
    /// a pushed request (RFC 9126) stands for the parameters pushed earlier, once.
    pub async fn authorization_request(
        &self,
        p: &HashMap<String, String>,
    ) -> Result<AuthRequest, AuthorizeError> {
        let get = |k: &str| p.get(k).map(String::as_str).unwrap_or("");
        let client = match self.registry.store.eservice(get("client_id")).await {
            Ok(Some(e)) if !e.disabled => e,
            Ok(_) => return Err(AuthorizeError::Page("oidc-unknown-client")),
            Err(_) => return Err(AuthorizeError::Page("error-unavailable")),
        };
        if let Some(id) = get("request_uri").strip_prefix(PAR_URN) {
            let pushed = match self.requests.auth_request(id).await {
                Ok(Some(r)) if r.client_id == client.client_id && r.expires_at > self.env.now() => {
                    r
                }
                Ok(_) => return Err(AuthorizeError::Page("oidc-bad-request-uri")),
                Err(_) => return Err(AuthorizeError::Page("error-unavailable")),
            };
            let unavailable = |_| AuthorizeError::Page("error-unavailable");
            self.requests
                .auth_request_delete(&pushed.id)
                .await
                .map_err(unavailable)?;
            let now = self.env.now();
            let req = AuthRequest {
                id: rng::ordered_token(self.env.rng.as_ref(), now),
                created_at: now,
                expires_at: now + REQUEST_TTL_MS,
                ..pushed
            };
            self.requests
                .auth_request_put(&req)
                .await
                .map_err(unavailable)?;
            return Ok(req);
        }
        let Some(o) = client.oidc() else {
            return Err(AuthorizeError::Page("oidc-unknown-client"));
        };
        let redirect_uri = get("redirect_uri");
        if !redirect_uri_registered(&o.redirect_uris, redirect_uri) {
            return Err(AuthorizeError::Page("oidc-bad-redirect"));
        }
        let back = |e: OAuthError| {
            AuthorizeError::Redirect(self.error_redirect(redirect_uri, get("state"), &e))
        };
        if o.require_par {
            return Err(back(OAuthError::new(
                OAuthCode::InvalidRequest,
                "this e-service must push its requests (PAR)",
            )));
        }
        if p.contains_key("request_uri") {
            // Only pushed requests' URNs are ours (discovery: request_uri_parameter_supported
            // is false).
            return Err(back(OAuthError::new(
                OAuthCode::RequestUriNotSupported,
                "only request_uri values from the pushed authorization request endpoint are accepted",
            )));
        }
        let mut req = self
            .build_request(&client, p, REQUEST_TTL_MS)
            .map_err(back)?;
        req.hint_sub = self
            .hint_subject(&client, get("id_token_hint"))
            .await
            .map_err(back)?;
        self.requests
            .auth_request_put(&req)
            .await
            .map_err(|_| AuthorizeError::Page("error-unavailable"))?;
        Ok(req)
    }

    /// RFC 9126: an authenticated e-service pushes its parameters; the answer names them by a
    /// `request_uri` usable once within 90 s.
    pub async fn pushed_request(
        &self,
        e: &EService,
        p: &HashMap<String, String>,
    ) -> Result<Value, OAuthError> {
        if p.contains_key("request_uri") {
            return Err(OAuthError::new(
                OAuthCode::InvalidRequest,
                "request_uri cannot be pushed",
            ));
        }
        if p.get("client_id").is_some_and(|c| c != &e.client_id) {
            return Err(OAuthError::new(
                OAuthCode::InvalidRequest,
                "client_id does not match the authenticated client",
            ));
        }
        let redirect_uri = p.get("redirect_uri").map(String::as_str).unwrap_or("");
        let registered = e.oidc().map(|o| o.redirect_uris.as_slice());
        if !redirect_uri_registered(registered.unwrap_or_default(), redirect_uri) {
            return Err(OAuthError::new(
                OAuthCode::InvalidRequest,
                "redirect_uri is not registered",
            ));
        }
        let mut req = self.build_request(e, p, PAR_TTL_MS)?;
        req.hint_sub = self
            .hint_subject(e, p.get("id_token_hint").map(String::as_str).unwrap_or(""))
            .await?;
        self.requests
            .auth_request_put(&req)
            .await
            .map_err(|_| OAuthError::new(OAuthCode::TemporarilyUnavailable, "try again"))?;
        Ok(
            json!({ "request_uri": format!("{PAR_URN}{}", req.id), "expires_in": PAR_TTL_MS / 1000 }),
        )
    }

    /// Checks the parameters of an authorisation request whose client and redirect URI are
    /// already known good.
    fn build_request(
        &self,
        client: &EService,
        p: &HashMap<String, String>,
        ttl_ms: i64,
    ) -> Result<AuthRequest, OAuthError> {
        let get = |k: &str| p.get(k).map(String::as_str).unwrap_or("");
        let fail = |error: OAuthCode, d: &str| OAuthError::new(error, d);
        let state = get("state");
        if state.len() > 1024 {
            return Err(fail(OAuthCode::InvalidRequest, "state is too long"));
        }
        if get("response_type") != "code" {
            return Err(fail(
                OAuthCode::UnsupportedResponseType,
                "only the authorization code flow is supported",
            ));
        }
        if !matches!(get("response_mode"), "" | "query") {
            return Err(fail(
                OAuthCode::InvalidRequest,
                "response_mode is not supported: only query",
            ));
        }
        let ui_locales = get("ui_locales");
        if ui_locales.len() > 200 {
            return Err(fail(OAuthCode::InvalidRequest, "ui_locales is too long"));
        }
        if p.contains_key("request") {
            return Err(fail(
                OAuthCode::RequestNotSupported,
                "request objects are not supported",
            ));
        }
        let requested = split_scope(get("scope"));
        if !requested.iter().any(|s| s == "openid") {
            return Err(fail(
                OAuthCode::InvalidScope,
                "the openid scope is required",
            ));
        }
        // Only what the e-service is registered for is granted; unknown scopes are ignored.
        let scope: Vec<String> = requested
            .into_iter()
            .filter(|s| client.scopes.contains(s))
            .collect();
        let challenge = get("code_challenge");
        if challenge.is_empty() {
            return Err(fail(
                OAuthCode::InvalidRequest,
                "code_challenge (PKCE) is required",
            ));
        }
        if get("code_challenge_method") != "S256" {
            return Err(fail(
                OAuthCode::InvalidRequest,
                "code_challenge_method must be S256",
            ));
        }
        if challenge.len() != 43
            || !challenge
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(fail(
                OAuthCode::InvalidRequest,
                "code_challenge must be a base64url SHA-256",
            ));
        }
        let prompt = Prompt::parse(get("prompt"))
            .ok_or_else(|| fail(OAuthCode::InvalidRequest, "prompt is not valid"))?;
        let max_age = match get("max_age") {
            "" => None,
            m => match m.parse::<i64>() {
                Ok(v) if v >= 0 => Some(v),
                _ => {
                    return Err(fail(
                        OAuthCode::InvalidRequest,
                        "max_age must be a number of seconds",
                    ));
                }
            },
        };
        let asked = split_scope(get("acr_values"))
            .iter()
            .filter_map(|a| level_of_acr(a))
            .min();
        let min_level = asked.map_or(client.min_level, |a| a.max(client.min_level));
        if get("nonce").len() > 512 {
            return Err(fail(OAuthCode::InvalidRequest, "nonce is too long"));
        }
        let now = self.env.now();
        let req = AuthRequest {
            id: rng::ordered_token(self.env.rng.as_ref(), now),
            client_id: client.client_id.clone(),
            redirect_uri: get("redirect_uri").to_owned(),
            scope,
            state: state.to_owned(),
            nonce: get("nonce").to_owned(),
            code_challenge: challenge.to_owned(),
            min_level,
            max_age,
            prompt,
            ui_locales: ui_locales.to_owned(),
            hint_sub: None,
            created_at: now,
            expires_at: now + ttl_ms,
            acting: None,
            chosen_by: None,
            contexts: client.contexts,
        };
        Ok(req)
    }

    /// The subject of an `id_token_hint`: one of our ID tokens (expired ones too: it is a hint
    /// of who asks, not a credential) issued to this e-service. Empty: none.
    async fn hint_subject(&self, e: &EService, hint: &str) -> Result<Option<String>, OAuthError> {
        if hint.is_empty() {
            return Ok(None);
        }
        let keys = self
            .keys
            .verification_keys()
            .await
            .map_err(|_| OAuthError::new(OAuthCode::TemporarilyUnavailable, "try again"))?;
        let bad = || {
            OAuthError::new(
                OAuthCode::InvalidRequest,
                "id_token_hint is not an ID token of ours for this e-service",
            )
        };
        let claims = super::jwt::verify_own(hint, &keys, "JWT").ok_or_else(bad)?;
        let aud_ok = match claims.get("aud") {
            Some(Value::String(a)) => a == &e.client_id,
            Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some(&e.client_id)),
            _ => false,
        };
        let sub = claims.get("sub").and_then(Value::as_str).filter(|_| aud_ok);
        sub.map(|s| Some(s.to_owned())).ok_or_else(bad)
    }

    pub async fn parked_request(&self, id: &str) -> Result<AuthRequest> {
        match self.requests.auth_request(id).await? {
            Some(r) if r.expires_at > self.env.now() => Ok(r),
            Some(_) => Err(Error::Expired("authorization-request")),
            None => Err(Error::NotFound),
        }
    }

    pub fn error_redirect(&self, redirect_uri: &str, state: &str, e: &OAuthError) -> String {
        let iss = self.issuer();
        with_params(
            redirect_uri,
            &[
                ("error", e.error.as_str()),
                ("error_description", &e.description),
                ("state", state),
                ("iss", &iss),
            ],
        )
    }

    /// What the browser needs next for a parked request. With `prompt=none` a choice of whom
    /// to act for is made silently — the one remembered for this e-service, else "for myself"
    /// where allowed — and kept on `req`.
    pub async fn next_step(
        &self,
        req: &mut AuthRequest,
        session: Option<&Session>,
        consented_now: bool,
    ) -> Result<Next> {
        let none = req.prompt.none;
        let silent_fail = |error: OAuthCode, d: &str| {
            Next::Redirect(self.error_redirect(
                &req.redirect_uri,
                &req.state,
                &OAuthError::new(error, d),
            ))
        };
        let Some(s) = session else {
            return Ok(if none {
                silent_fail(OAuthCode::LoginRequired, "no session")
            } else {
                Next::Login { reauth: false }
            });
        };
        if let Some(hint) = &req.hint_sub {
            let e = self.registry.eservice(&req.client_id).await?;
            if self.subject_of(&e, &s.account_id) != *hint {
                // Another citizen is logged in than the one the e-service named.
                return Ok(if none {
                    silent_fail(
                        OAuthCode::LoginRequired,
                        "the session is not the id_token_hint's subject",
                    )
                } else {
                    Next::Login { reauth: true }
                });
            }
        }
        let too_old = req
            .max_age
            .is_some_and(|m| self.env.now() - s.auth_time > m * 1000);
        let must_login = req.prompt.login && s.auth_time < req.created_at;
        if !too_old && !must_login && s.level < req.min_level && !none {
            return Ok(Next::StepUp {
                needed: req.min_level,
                have: s.level,
            });
        }
        if too_old || must_login || s.level < req.min_level {
            return Ok(if none {
                silent_fail(
                    OAuthCode::LoginRequired,
                    "a new or stronger login is needed",
                )
            } else {
                Next::Login { reauth: true }
            });
        }
        if req.chosen_by.as_ref() != Some(&s.account_id) {
            // Chosen by someone else (another citizen since logged in on this browser): anew.
            req.acting = None;
        }
        if req.acting.is_none() && !req.contexts.is_none() {
            let e = self.registry.eservice(&req.client_id).await?;
            match self.contexts.pending(&s.account_id, &e, none).await? {
                Pending::Nothing => {}
                Pending::Ask => return Ok(Next::Choose),
                Pending::Take(a) => {
                    req.acting = Some(a);
                    req.chosen_by = Some(s.account_id.clone());
                    self.requests.auth_request_update(req).await?;
                }
                Pending::Impossible => {
                    return Ok(silent_fail(
                        OAuthCode::InteractionRequired,
                        "the citizen must choose whom to act for",
                    ));
                }
            }
        }
        if consented_now {
            return Ok(Next::Issue);
        }
        let ask_consent = req.prompt.consent;
        let given = self
            .consents
            .consent(&s.account_id, &req.client_id)
            .await?
            .unwrap_or_default();
        if ask_consent || !req.scope.iter().all(|x| given.contains(x)) {
            return Ok(if none {
                silent_fail(OAuthCode::ConsentRequired, "consent is needed")
            } else {
                Next::Consent
            });
        }
        Ok(Next::Issue)
    }

    /// The citizen chose whom to log in for (a form value, `Acting::value`): resolved against
    /// the register and the mandates now, remembered for this e-service, kept on the parked
    /// request. `Forbidden("context")`, changing nothing, for a choice not theirs to make.
    pub async fn choose(
        &self,
        req: &mut AuthRequest,
        session: &Session,
        value: &str,
    ) -> Result<()> {
        let acting = self
            .contexts
            .choose(&session.account_id, &req.client_id, value);
        req.acting = Some(acting.await?);
        req.chosen_by = Some(session.account_id.clone());
        if self.requests.auth_request_update(req).await? {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }

    /// The citizen said no: back to the e-service with `access_denied`.
    pub async fn deny(&self, req: &AuthRequest) -> Result<String> {
        self.requests.auth_request_delete(&req.id).await?;
        Ok(self.error_redirect(
            &req.redirect_uri,
            &req.state,
            &OAuthError::new(OAuthCode::AccessDenied, "the citizen declined"),
        ))
    }

    /// Issues the code and returns the redirect to the e-service. `consented_now`: the citizen
    /// has just agreed to release `req.scope`; the consent is recorded with the code.
    pub async fn issue_code(
        &self,
        req: &AuthRequest,
        session: &Session,
        client: &Client,
        consented_now: bool,
    ) -> Result<String> {
        let now = self.env.now();
        let acting = req.acting.clone().unwrap_or(Acting::Myself);
        let (resolved, e) = match (&acting, req.contexts.is_none()) {
            // An e-service that takes no logins for others: for the person, as always.
            (Acting::Myself, true) => (Ok(Context::Myself), None),
            _ => {
                let e = self.registry.eservice(&req.client_id).await?;
                let c = self.contexts.resolve(&session.account_id, &e, &acting);
                (c.await, Some(e))
            }
        };
        let context = match resolved {
            Ok(c) => c,
            // Ended meanwhile, or never theirs: no code, and never one for the person instead.
            Err(Error::Forbidden(_)) => {
                self.requests.auth_request_delete(&req.id).await?;
                return Ok(self.error_redirect(
                    &req.redirect_uri,
                    &req.state,
                    &OAuthError::new(
                        OAuthCode::AccessDenied,
                        "the representation or mandate chosen is not valid",
                    ),
                ));
            }
            Err(err) => return Err(err),
        };
        let code = rng::ordered_token(self.env.rng.as_ref(), now);
        let c = AuthCode {
            code_hash: ordered_key(&code),
            client_id: req.client_id.clone(),
            redirect_uri: req.redirect_uri.clone(),
            account_id: session.account_id.clone(),
            scope: req.scope.clone(),
            nonce: req.nonce.clone(),
            code_challenge: req.code_challenge.clone(),
            auth_time: session.auth_time,
            level: session.level,
            amr: session.amr.clone(),
            expires_at: now + CODE_TTL_MS,
            session_hash: session.chain.clone(),
            acting: (acting != Acting::Myself).then(|| acting.clone()),
        };
        let mut events = vec![audit::event(
            "oidc.authorized",
            Some(&session.account_id),
            Some(&client.ip),
            json!({"client_id": req.client_id, "scope": join_scope(&req.scope),
                   "level": session.level.as_str(), "acting": context.detail()}),
        )];
        if let Some(e) = &e {
            events.extend(context.used(e, &session.account_id, client));
        }
        let consent = consented_now.then(|| {
            audit::event(
                "oidc.consent",
                Some(&session.account_id),
                Some(&client.ip),
                json!({"client_id": req.client_id, "scope": join_scope(&req.scope)}),
            )
        });
        self.requests
            .code_put(&c, &req.id, consent.as_ref(), &events, now)
            .await?;
        let iss = self.issuer();
        Ok(with_params(
            &req.redirect_uri,
            &[("code", &code), ("state", &req.state), ("iss", &iss)],
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris() {
        assert!(valid_redirect_uri("https://tax.example.md/callback"));
        assert!(valid_redirect_uri("http://127.0.0.1:9000/cb"));
        assert!(valid_redirect_uri("http://localhost/cb"));
        assert!(!valid_redirect_uri("http://tax.example.md/cb"));
        assert!(!valid_redirect_uri("http://localhost.evil.example/cb"));
        assert!(!valid_redirect_uri("https://tax.example.md/cb#x"));
        assert!(!valid_redirect_uri("javascript:alert(1)"));
        assert!(!valid_redirect_uri("https://user:pw@tax.example.md/cb"));
        assert!(!valid_redirect_uri("https:///cb"));
        assert!(!valid_redirect_uri("ftp://tax.example.md/cb"));
        assert!(!valid_redirect_uri("https://tax.example.md/cb#"));
        assert!(!valid_redirect_uri("https://*.example.md/cb"));
        assert!(valid_redirect_uri("http://[::1]:8000/cb"));
        assert!(!valid_redirect_uri("https:\\\\evil.example\\cb"));
    }

    #[test]
    fn params_are_encoded() {
        assert_eq!(
            with_params("https://a/cb", &[("code", "x y"), ("state", "")]),
            "https://a/cb?code=x%20y"
        );
        assert_eq!(
            with_params("https://a/cb?k=1", &[("code", "c")]),
            "https://a/cb?k=1&code=c"
        );
    }
}
