//! The provider's use-cases: registry, keys, the authorisation request and its decisions,
//! codes, the token endpoint and userinfo.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::jwt::{self, SigningKey};
use super::{
    AuthCode, AuthRequest, KNOWN_SCOPES, OAuthCode, OAuthError, Prompt, join_scope, split_scope,
};
use crate::audit;
use crate::error::{Error, Result};
use crate::login::Client;
use crate::model::{Level, Session};
use crate::relying::{ClientAuth, EService, OidcClient, Protocol, SigningAlg};
use crate::rng;
use crate::service::{Core, digest, ordered_key};

const REQUEST_TTL_MS: i64 = 10 * 60 * 1000;
const PAR_TTL_MS: i64 = 90 * 1000;
/// How long a replaced signing key stays in the JWKS: longer than any token it signed lives.
const KEY_OVERLAP_MS: i64 = 60 * 60 * 1000;
/// A new signing key is published at once but signs only this long after it was made: every
/// node's key cache (`cache::KEYS_TTL_MS`) and every cache holding the JWKS document (served
/// with `max-age=300`) has its new copy by then, so no e-service meets a token whose key its
/// JWKS does not list. The old key signs until then and stays published for `KEY_OVERLAP_MS`.
pub const KEY_ACTIVATION_MS: i64 = 300_000 + super::cache::KEYS_TTL_MS + 5_000;
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
    pub pairwise_sector: String,
    pub require_par: bool,
    /// Public keys, for `private_key_jwt`.
    pub jwks: Option<Value>,
    /// Or where they are published.
    pub jwks_uri: String,
    /// `ES256` (default) or `RS256`, for ID and logout tokens.
    pub id_token_alg: Option<String>,
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

/// The key of `alg` that signs at `now`: the newest published one that was made at least
/// `KEY_ACTIVATION_MS` ago; when there is none such (the first key of a deployment or of an
/// algorithm, or a rotation soon after it), the one published longest.
fn signing_key<'k>(keys: &'k [SigningKey], alg: &str, now: i64) -> Option<&'k SigningKey> {
    let published = || {
        keys.iter()
            .filter(move |k| k.alg == alg && k.retire_at.is_none_or(|at| at > now))
    };
    // Ties (keys made in the same millisecond) go to the order of the rotation: the key it
    // superseded (`retire_at` set) came first.
    published()
        .filter(|k| k.created_at + KEY_ACTIVATION_MS <= now)
        .max_by_key(|k| (k.created_at, k.retire_at.is_none()))
        .or_else(|| published().min_by_key(|k| (k.created_at, k.retire_at.is_none())))
}

fn level_of_acr(acr: &str) -> Option<Level> {
    [Level::Low, Level::Substantial, Level::High]
        .into_iter()
        .find(|l| l.acr() == acr || l.as_str() == acr)
}

impl Core {
    pub fn issuer(&self) -> String {
        self.policy.public_url.trim_end_matches('/').to_owned()
    }

    // ---- registry -------------------------------------------------------------------------

    /// Registers an e-service; returns it and, for `client_secret_basic`, the secret (shown once).
    pub async fn add_eservice(
        &self,
        n: NewEService,
        operator: &Client,
    ) -> Result<(EService, Option<String>)> {
        if n.name.trim().is_empty() {
            return Err(Error::invalid("name", "required"));
        }
        if n.redirect_uris.is_empty() || !n.redirect_uris.iter().all(|u| valid_redirect_uri(u)) {
            return Err(Error::invalid("redirect_uri", "redirect-uri"));
        }
        if !n
            .post_logout_redirect_uris
            .iter()
            .all(|u| valid_redirect_uri(u))
            || !(n.backchannel_logout_uri.is_empty()
                || valid_redirect_uri(&n.backchannel_logout_uri))
        {
            return Err(Error::invalid("redirect_uri", "redirect-uri"));
        }
        let method = if n.auth_method.is_empty() {
            Some(ClientAuth::ClientSecretBasic)
        } else {
            ClientAuth::parse(&n.auth_method)
        };
        let method = method.ok_or(Error::invalid("auth", "auth-method"))?;
        match method {
            ClientAuth::ClientSecretBasic => {}
            ClientAuth::PrivateKeyJwt if n.jwks.is_none() && !n.jwks_uri.is_empty() => {
                if !valid_redirect_uri(&n.jwks_uri) {
                    return Err(Error::invalid("jwks_uri", "jwks-uri"));
                }
            }
            ClientAuth::PrivateKeyJwt => {
                let usable = n
                    .jwks
                    .as_ref()
                    .and_then(|j| j.get("keys"))
                    .and_then(Value::as_array)
                    .is_some_and(|k| {
                        !k.is_empty()
                            && k.iter()
                                .all(|k| k.get("d").is_none() && k.get("kty").is_some())
                    });
                if !usable {
                    return Err(Error::invalid("jwks", "jwks"));
                }
            }
        }
        let mut scopes = if n.scopes.is_empty() {
            vec![
                "openid".to_owned(),
                "profile".to_owned(),
                "email".to_owned(),
            ]
        } else {
            n.scopes.clone()
        };
        if let Some(bad) = scopes.iter().find(|s| !KNOWN_SCOPES.contains(&s.as_str())) {
            return Err(Error::Invalid {
                field: "scope",
                reason: "scope-unknown",
                n: Some(bad.len() as i64),
            });
        }
        if !scopes.iter().any(|s| s == "openid") {
            scopes.insert(0, "openid".into());
        }
        if n.national_id_claim && !scopes.iter().any(|s| s == "national_id") {
            scopes.push("national_id".into());
        }
        let id_token_alg = match n.id_token_alg.as_deref() {
            None => SigningAlg::Es256,
            Some(a) => {
                SigningAlg::parse(a).ok_or(Error::invalid("id_token_alg", "id-token-alg"))?
            }
        };
        self.ensure_signing_key_for(id_token_alg.as_str()).await?;
        let secret =
            (method == ClientAuth::ClientSecretBasic).then(|| rng::token(self.rng.as_ref()));
        let e = EService {
            client_id: format!("es_{}", rng::id(self.rng.as_ref())),
            name: n.name.trim().to_owned(),
            min_level: n.min_level.unwrap_or(Level::Low),
            scopes,
            national_id_claim: n.national_id_claim,
            pairwise_sector: n.pairwise_sector,
            disabled: false,
            created_at: self.now(),
            protocol: Protocol::Oidc(OidcClient {
                secret_hash: secret.as_deref().map(digest),
                auth: method,
                redirect_uris: n.redirect_uris,
                post_logout_redirect_uris: n.post_logout_redirect_uris,
                backchannel_logout_uri: n.backchannel_logout_uri,
                require_par: n.require_par,
                jwks: n.jwks.clone(),
                jwks_uri: n.jwks_uri.clone(),
                id_token_alg,
            }),
        };
        let ev = audit::event(
            "admin.eservice-added",
            None,
            Some(&operator.ip),
            json!({"client_id": e.client_id, "name": e.name, "by": operator.user_agent}),
        );
        self.store.eservice_create(&e, &ev, self.now()).await?;
        Ok((e, secret))
    }

    pub async fn eservice(&self, client_id: &str) -> Result<EService> {
        self.store.eservice(client_id).await?.ok_or(Error::NotFound)
    }

    pub async fn set_eservice_disabled(
        &self,
        client_id: &str,
        disabled: bool,
        operator: &Client,
    ) -> Result<EService> {
        let mut e = self.eservice(client_id).await?;
        e.disabled = disabled;
        let kind = if disabled {
            "admin.eservice-disabled"
        } else {
            "admin.eservice-enabled"
        };
        let ev = audit::event(
            kind,
            None,
            Some(&operator.ip),
            json!({"client_id": client_id, "by": operator.user_agent}),
        );
        self.store.eservice_update(&e, &ev, self.now()).await?;
        Ok(e)
    }

    /// A new client secret; the old one stops working at once.
    pub async fn rotate_eservice_secret(
        &self,
        client_id: &str,
        operator: &Client,
    ) -> Result<(EService, String)> {
        let mut e = self.eservice(client_id).await?;
        let secret = rng::token(self.rng.as_ref());
        let o = e.oidc_mut().ok_or(Error::NotFound)?;
        o.secret_hash = Some(digest(&secret));
        let ev = audit::event(
            "admin.eservice-secret-rotated",
            None,
            Some(&operator.ip),
            json!({"client_id": client_id, "by": operator.user_agent}),
        );
        self.store.eservice_update(&e, &ev, self.now()).await?;
        Ok((e, secret))
    }

    // ---- keys -----------------------------------------------------------------------------

    /// Makes sure a signing key of `alg` exists (first start makes the ES256 one; the first
    /// e-service that needs RS256 makes that one).
    pub async fn ensure_signing_key_for(&self, alg: &str) -> Result<()> {
        let keys = self.store.signing_keys().await?;
        if keys.iter().any(|k| k.retire_at.is_none() && k.alg == alg) {
            return Ok(());
        }
        match self.add_signing_key(alg).await {
            // Another node made one at the same moment: fine.
            Ok(_) | Err(Error::Conflict(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    pub async fn ensure_signing_key(&self) -> Result<()> {
        self.ensure_signing_key_for("ES256").await
    }

    async fn add_signing_key(&self, alg: &str) -> Result<String> {
        let kid = rng::id(self.rng.as_ref())
            .chars()
            .take(16)
            .collect::<String>();
        let (der, jwk) = match alg {
            "RS256" => jwt::generate_rs256(&kid)?,
            _ => jwt::generate_es256(&kid)?,
        };
        let now = self.now();
        let certificate =
            jwt::self_signed_certificate(alg, &der, &kid, &self.certificate_subject(&kid), now)?;
        let key = SigningKey {
            sealed_private: self.sealer.seal(
                &der,
                &format!("signing-key:{kid}"),
                self.rng.as_ref(),
            )?,
            kid: kid.clone(),
            alg: alg.to_owned(),
            public_jwk: jwk,
            created_at: now,
            retire_at: None,
            certificate: Some(certificate),
        };
        let ev = audit::event(
            "admin.signing-key-added",
            None,
            None,
            json!({"kid": key.kid, "alg": key.alg}),
        );
        self.store.signing_key_add(&key, &ev, self.now()).await?;
        self.key_cache.clear();
        Ok(kid)
    }

    fn certificate_subject(&self, kid: &str) -> String {
        format!("{} signing key {kid}", self.policy.service_name)
    }

    /// The published signing keys as (kid, alg, X.509 certificate DER): the same keys as the
    /// JWKS, for protocols that publish certificates. A key made before certificates were kept
    /// gets its own now, once (any node's is as good).
    pub async fn signing_certificates(&self) -> Result<Vec<(String, String, Vec<u8>)>> {
        let mut out = Vec::new();
        let (mut changed, mut raced) = (false, false);
        for k in self.verification_keys().await? {
            let der = match k.certificate {
                Some(der) => der,
                None => {
                    let pkcs8 = self
                        .sealer
                        .open(&k.sealed_private, &format!("signing-key:{}", k.kid))?;
                    let subject = self.certificate_subject(&k.kid);
                    let der = jwt::self_signed_certificate(
                        &k.alg,
                        &pkcs8,
                        &k.kid,
                        &subject,
                        k.created_at,
                    )?;
                    changed = true;
                    raced |= !self.store.signing_key_certify(&k.kid, &der).await?;
                    der
                }
            };
            out.push((k.kid, k.alg, der));
        }
        if changed {
            self.key_cache.clear();
        }
        if raced {
            // Another node certified a key first: publish what is stored (every key has one now).
            return Box::pin(self.signing_certificates()).await;
        }
        Ok(out)
    }

    /// The keys tokens may be verified with: the current ones and those retired less than
    /// `KEY_OVERLAP_MS` ago (every token they signed is still valid until then).
    pub async fn verification_keys(&self) -> Result<Vec<SigningKey>> {
        let now = self.now();
        let mut keys = (*self.all_keys().await?).clone();
        keys.retain(|k| k.retire_at.is_none_or(|at| at > now));
        Ok(keys)
    }

    /// Every signing key row, from the in-memory copy when it is fresh.
    async fn all_keys(&self) -> Result<std::sync::Arc<Vec<SigningKey>>> {
        let now = self.now();
        if let Some(k) = self.key_cache.get(now) {
            return Ok(k);
        }
        Ok(self.key_cache.put(now, self.store.signing_keys().await?))
    }

    /// The JWKS as served (JSON text), made once per key list.
    pub async fn jwks(&self) -> Result<std::sync::Arc<str>> {
        let now = self.now();
        let all = self.all_keys().await?;
        let published = || all.iter().filter(|k| k.retire_at.is_none_or(|at| at > now));
        let count = published().count();
        if let Some(doc) = self.key_cache.jwks_doc(&all, count) {
            return Ok(doc);
        }
        let keys: Vec<&Value> = published().map(|k| &k.public_jwk).collect();
        let doc: std::sync::Arc<str> = json!({ "keys": keys }).to_string().into();
        self.key_cache.put_jwks_doc(&all, count, doc.clone());
        Ok(doc)
    }

    /// For every algorithm in use, a new signing key is published at once and takes over after
    /// `KEY_ACTIVATION_MS`; the old ones sign until then and stay in the JWKS for the overlap.
    /// Returns the new key ids.
    pub async fn rotate_signing_key(&self, operator: &Client) -> Result<Vec<String>> {
        let old: Vec<SigningKey> = self
            .store
            .signing_keys()
            .await?
            .into_iter()
            .filter(|k| k.retire_at.is_none())
            .collect();
        let mut algs: Vec<String> = old.iter().map(|k| k.alg.clone()).collect();
        algs.sort();
        algs.dedup();
        if algs.is_empty() {
            algs.push("ES256".into());
        }
        let mut new = Vec::new();
        for alg in &algs {
            new.push(self.add_signing_key(alg).await?);
        }
        let at = self.now() + KEY_OVERLAP_MS;
        for k in old {
            let ev = audit::event(
                "admin.signing-key-retired",
                None,
                Some(&operator.ip),
                json!({"kid": k.kid, "retire_at": at, "by": operator.user_agent}),
            );
            self.store
                .signing_key_retire(&k.kid, at, &ev, self.now())
                .await?;
        }
        self.key_cache.clear();
        Ok(new)
    }

    /// Signs with the key of `alg` that `signing_key` picks.
    pub(super) async fn sign_as<T: serde::Serialize + ?Sized>(
        &self,
        alg: &str,
        typ: &str,
        claims: &T,
    ) -> Result<String> {
        let keys = self.all_keys().await?;
        let key = signing_key(&keys, alg, self.now())
            .ok_or_else(|| Error::Internal(format!("no {alg} signing key")))?;
        let signer = match self.key_cache.signer(&key.kid) {
            Some(s) => s,
            None => {
                let der = self
                    .sealer
                    .open(&key.sealed_private, &format!("signing-key:{}", key.kid))?;
                self.key_cache
                    .put_signer(&key.kid, jwt::Signer::from_pkcs8(alg, &der)?)
            }
        };
        signer.sign(&key.kid, typ, claims)
    }

    pub(super) async fn sign<T: serde::Serialize + ?Sized>(
        &self,
        typ: &str,
        claims: &T,
    ) -> Result<String> {
        self.sign_as("ES256", typ, claims).await
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
                "identity_assurance", "given_name", "family_name", "birthdate", "email", "email_verified",
                "phone_number", "national_id", "national_id_scheme"],
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
        let client = match self.store.eservice(get("client_id")).await {
            Ok(Some(e)) if !e.disabled => e,
            Ok(_) => return Err(AuthorizeError::Page("oidc-unknown-client")),
            Err(_) => return Err(AuthorizeError::Page("error-unavailable")),
        };
        if let Some(id) = get("request_uri").strip_prefix(PAR_URN) {
            let pushed = match self.store.auth_request(id).await {
                Ok(Some(r)) if r.client_id == client.client_id && r.expires_at > self.now() => r,
                Ok(_) => return Err(AuthorizeError::Page("oidc-bad-request-uri")),
                Err(_) => return Err(AuthorizeError::Page("error-unavailable")),
            };
            let unavailable = |_| AuthorizeError::Page("error-unavailable");
            self.store
                .auth_request_delete(&pushed.id)
                .await
                .map_err(unavailable)?;
            let now = self.now();
            let req = AuthRequest {
                id: rng::ordered_token(self.rng.as_ref(), now),
                created_at: now,
                expires_at: now + REQUEST_TTL_MS,
                ..pushed
            };
            self.store
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
        self.store
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
        self.store
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
        let now = self.now();
        let req = AuthRequest {
            id: rng::ordered_token(self.rng.as_ref(), now),
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
        match self.store.auth_request(id).await? {
            Some(r) if r.expires_at > self.now() => Ok(r),
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

    /// What the browser needs next for a parked request.
    pub async fn next_step(
        &self,
        req: &AuthRequest,
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
            let e = self.eservice(&req.client_id).await?;
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
            .is_some_and(|m| self.now() - s.auth_time > m * 1000);
        let must_login = req.prompt.login && s.auth_time < req.created_at;
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
        if consented_now {
            return Ok(Next::Issue);
        }
        let ask_consent = req.prompt.consent;
        let given = self
            .store
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

    /// The citizen said no: back to the e-service with `access_denied`.
    pub async fn deny(&self, req: &AuthRequest) -> Result<String> {
        self.store.auth_request_delete(&req.id).await?;
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
        let now = self.now();
        let code = rng::ordered_token(self.rng.as_ref(), now);
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
        };
        let ev = audit::event(
            "oidc.authorized",
            Some(&session.account_id),
            Some(&client.ip),
            json!({"client_id": req.client_id, "scope": join_scope(&req.scope), "level": session.level.as_str()}),
        );
        let consent = consented_now.then(|| {
            audit::event(
                "oidc.consent",
                Some(&session.account_id),
                Some(&client.ip),
                json!({"client_id": req.client_id, "scope": join_scope(&req.scope)}),
            )
        });
        self.store
            .code_put(&c, &req.id, consent.as_ref(), &ev, now)
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
    fn a_new_key_signs_only_after_its_activation() {
        let key = |kid: &str, created_at: i64, retire_at: Option<i64>| SigningKey {
            kid: kid.into(),
            alg: "ES256".into(),
            public_jwk: Value::Null,
            sealed_private: Vec::new(),
            created_at,
            retire_at,
            certificate: None,
        };
        let t = 10 * KEY_ACTIVATION_MS;
        let keys = vec![key("old", 0, Some(t + KEY_OVERLAP_MS)), key("new", t, None)];
        let at = |now| signing_key(&keys, "ES256", now).map(|k| k.kid.as_str());
        assert_eq!(at(t), Some("old"));
        assert_eq!(at(t + KEY_ACTIVATION_MS - 1), Some("old"));
        assert_eq!(at(t + KEY_ACTIVATION_MS), Some("new"));
        assert!(signing_key(&keys, "RS256", t).is_none());
        // Made in the same millisecond, in either order: the superseded one signs first.
        let same = vec![key("new", 0, None), key("old", 0, Some(KEY_OVERLAP_MS))];
        assert_eq!(
            signing_key(&same, "ES256", 1).map(|k| k.kid.as_str()),
            Some("old")
        );
        assert_eq!(
            signing_key(&same, "ES256", KEY_ACTIVATION_MS).map(|k| k.kid.as_str()),
            Some("new")
        );
        // A deployment's first key signs at once.
        let first = vec![key("first", t, None)];
        assert_eq!(
            signing_key(&first, "ES256", t).map(|k| k.kid.as_str()),
            Some("first")
        );
    }

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
