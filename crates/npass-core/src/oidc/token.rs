//! The token side of the provider: the token endpoint (code and refresh grants), revocation
//! (RFC 7009), introspection (RFC 7662), userinfo, and the claims both protocols release.

use std::collections::HashMap;

use data_encoding::BASE64URL_NOPAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::Federation;
use super::jwt;
use super::{
    AuthCode, GrantRecord, OAuthCode, OAuthError, Redeemed, RefreshRecord, Rotated, join_scope,
    split_scope,
};
use crate::acting::{Acting, Context};
use crate::audit;
use crate::error::{Error, Result};
use crate::login::Client;
use crate::model::{Account, AccountStatus, Amr, Level};
use crate::relying::{self, Attribute, ClientAuth, EService, Released};
use crate::rng;
use crate::service::{digest, ordered_key};

const ID_TOKEN_TTL_S: i64 = 300;
const ACCESS_TOKEN_TTL_S: i64 = 600;
/// A refresh token unused this long expires ...
const REFRESH_IDLE_MS: i64 = 24 * 60 * 60 * 1000;
/// ... and a grant ends this long after its login, however it is used.
const REFRESH_ABSOLUTE_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// What tokens are issued from: a fresh code or a rotated refresh token.
struct Grant {
    family: String,
    session_hash: String,
    scope: Vec<String>,
    nonce: String,
    auth_time: i64,
    level: Level,
    amr: Vec<Amr>,
    expires_at: i64,
    /// Whom the grant acts for (`None`: the person themselves).
    acting: Option<Acting>,
}

fn unavailable(_: Error) -> OAuthError {
    OAuthError::new(OAuthCode::TemporarilyUnavailable, "try again")
}

/// The `iss` a client assertion claims, read before its signature is checked (to find the
/// e-service whose keys must verify it); `None` when it cannot be read.
pub fn assertion_issuer(assertion: &str) -> Option<String> {
    assertion
        .split('.')
        .nth(1)
        .and_then(|c| BASE64URL_NOPAD.decode(c.as_bytes()).ok())
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|v| v.get("iss").and_then(Value::as_str).map(str::to_owned))
}

/// The OpenID Connect claim that carries a released attribute.
fn claim_name(a: Attribute) -> &'static str {
    match a {
        Attribute::Subject => "sub",
        Attribute::IdentityAssurance => "identity_assurance",
        Attribute::GivenName => "given_name",
        Attribute::FamilyName => "family_name",
        Attribute::BirthDate => "birthdate",
        Attribute::Language => "locale",
        Attribute::Picture => "picture",
        Attribute::Email => "email",
        Attribute::EmailVerified => "email_verified",
        Attribute::Phone => "phone_number",
        Attribute::NationalId => "national_id",
        Attribute::NationalIdScheme => "national_id_scheme",
        Attribute::Roles => "roles",
    }
}

/// How an OpenID Connect client authenticates (`None` for an e-service of another protocol).
fn client_auth(e: &EService) -> Option<ClientAuth> {
    e.oidc().map(|o| o.auth)
}

impl Federation {
    /// Authenticates a client by its secret (SHA-256, constant-time).
    pub async fn authenticate_client(
        &self,
        client_id: &str,
        secret: &str,
    ) -> Result<EService, OAuthError> {
        let bad = || OAuthError::new(OAuthCode::InvalidClient, "client authentication failed");
        let e = self
            .registry
            .store
            .eservice(client_id)
            .await
            .map_err(|_| OAuthError::new(OAuthCode::TemporarilyUnavailable, "try again"))?;
        let e = e
            .filter(|e| !e.disabled && client_auth(e) == Some(ClientAuth::ClientSecretBasic))
            .ok_or_else(bad)?;
        let stored = e
            .oidc()
            .and_then(|o| o.secret_hash.clone())
            .ok_or_else(bad)?;
        let given = digest(secret);
        if bool::from(stored.as_bytes().ct_eq(given.as_bytes())) {
            Ok(e)
        } else {
            Err(bad())
        }
    }

    /// `private_key_jwt` (RFC 7523 §2.2): a JWT signed with one of the e-service's registered keys,
    /// `iss` = `sub` = its client id, `aud` = npass (issuer or an endpoint), short-lived, and a `jti`
    /// never seen before.
    pub async fn authenticate_assertion(
        &self,
        p: &HashMap<String, String>,
    ) -> Result<EService, OAuthError> {
        let bad = |d: &str| OAuthError::new(OAuthCode::InvalidClient, d);
        let unavailable = |_| OAuthError::new(OAuthCode::TemporarilyUnavailable, "try again");
        if p.get("client_assertion_type").map(String::as_str)
            != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        {
            return Err(bad("unsupported client_assertion_type"));
        }
        let assertion = p.get("client_assertion").map(String::as_str).unwrap_or("");
        // Who claims to have signed it (checked again after the signature).
        let claimed = assertion_issuer(assertion)
            .ok_or_else(|| bad("the client assertion cannot be read"))?;
        if p.get("client_id").is_some_and(|c| c != &claimed) {
            return Err(bad("client_id does not match the assertion"));
        }
        let e = self
            .registry
            .store
            .eservice(&claimed)
            .await
            .map_err(unavailable)?;
        let e = e
            .filter(|e| !e.disabled && client_auth(e) == Some(ClientAuth::PrivateKeyJwt))
            .ok_or_else(|| bad("client authentication failed"))?;
        let o = e
            .oidc()
            .ok_or_else(|| bad("client authentication failed"))?;
        let c = match &o.jwks {
            Some(jwks) => jwt::verify_with_jwks(assertion, jwks),
            None if !o.jwks_uri.is_empty() => {
                self.verify_with_published_keys(&o.jwks_uri, assertion)
                    .await
            }
            None => return Err(bad("no keys registered")),
        }
        .ok_or_else(|| bad("the assertion's signature does not verify"))?;
        let text = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("");
        if text("iss") != e.client_id || text("sub") != e.client_id {
            return Err(bad("iss and sub must be the client id"));
        }
        let iss = self.issuer();
        let ours = |a: &str| {
            a == iss
                || a.strip_prefix(&iss)
                    .is_some_and(|p| ["/token", "/par", "/revoke", "/introspect"].contains(&p))
        };
        let aud_ok = match c.get("aud") {
            Some(Value::String(a)) => ours(a),
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).any(ours),
            _ => false,
        };
        if !aud_ok {
            return Err(bad("the assertion is not addressed to npass"));
        }
        let now_s = self.env.now() / 1000;
        let exp = c.get("exp").and_then(Value::as_i64).unwrap_or(0);
        if exp <= now_s || exp > now_s + 600 {
            return Err(bad(
                "the assertion has expired or lives too long (at most 10 minutes)",
            ));
        }
        let jti = text("jti");
        if jti.is_empty() || jti.len() > 256 {
            return Err(bad("the assertion needs a jti"));
        }
        if !self
            .registry
            .store
            .assertion_jti_use(&e.client_id, jti, exp * 1000, self.env.now())
            .await
            .map_err(unavailable)?
        {
            return Err(bad("the assertion was already used"));
        }
        Ok(e)
    }

    /// Verifies with the e-service's published JWKS: the cached copy first, then (for a key the
    /// copy does not know yet, e.g. after the e-service rotated) one fresh fetch.
    async fn verify_with_published_keys(&self, uri: &str, assertion: &str) -> Option<Value> {
        let now = self.env.now();
        if let Some((at, cached)) = self.remote_keys.remote(uri, now) {
            if let Some(c) = jwt::verify_with_jwks(assertion, &cached) {
                return Some(c);
            }
            if now - at < crate::oidc::cache::REMOTE_JWKS_REFETCH_MS {
                return None;
            }
        }
        match self.key_fetcher.fetch(uri).await {
            Ok(jwks) => {
                self.remote_keys.put_remote(uri, now, jwks.clone());
                jwt::verify_with_jwks(assertion, &jwks)
            }
            Err(err) => {
                tracing::warn!(uri, error = %err, "could not fetch an e-service's JWKS");
                None
            }
        }
    }

    /// The token endpoint: `authorization_code` and `refresh_token` grants.
    pub async fn token(
        &self,
        e: &EService,
        p: &HashMap<String, String>,
        client: &Client,
    ) -> Result<Value, OAuthError> {
        match p.get("grant_type").map(String::as_str) {
            Some("authorization_code") => self.code_grant(e, p, client).await,
            Some("refresh_token") => self.refresh_grant(e, p, client).await,
            _ => Err(OAuthError::new(
                OAuthCode::UnsupportedGrantType,
                "use authorization_code or refresh_token",
            )),
        }
    }

    /// The code grant. The code is read, checked, and spent in the transaction that starts its
    /// grant (one commit per redemption); a request that fails a check spends it too, so a code
    /// is tried once, and a code spent already is a replay that revokes what it gave.
    async fn code_grant(
        &self,
        e: &EService,
        p: &HashMap<String, String>,
        client: &Client,
    ) -> Result<Value, OAuthError> {
        let get = |k: &str| p.get(k).map(String::as_str).unwrap_or("");
        let hash = ordered_key(get("code"));
        let now = self.env.now();
        let Some(code) = self.requests.code(&hash).await.map_err(unavailable)? else {
            return Err(self.spend_code(&hash, now).await);
        };
        let checked =
            match Self::check_code(&code, e, get("redirect_uri"), get("code_verifier"), now) {
                Ok(()) => self.active_account(&code.account_id).await,
                Err(err) => Err(err),
            };
        let account = match checked {
            Ok(a) => a,
            Err(err) => {
                let _ = self.spend_code(&hash, now).await;
                return Err(err);
            }
        };
        let g = Grant {
            family: code.code_hash.clone(),
            session_hash: code.session_hash.clone(),
            scope: code.scope.clone(),
            nonce: code.nonce.clone(),
            auth_time: code.auth_time,
            level: code.level,
            amr: code.amr.clone(),
            expires_at: now + REFRESH_ABSOLUTE_MS,
            acting: code.acting.clone(),
        };
        let context = match self.context_of(e, &account, g.acting.as_ref()).await {
            Ok(c) => c,
            Err(err) => {
                let _ = self.spend_code(&hash, now).await;
                return Err(err);
            }
        };
        match self
            .issue_tokens(e, &g, &account, &context, client, None)
            .await
        {
            Ok(v) => Ok(v),
            // Spent by a concurrent request with the same code: that is a replay.
            Err(Error::Conflict(_)) => Err(self.spend_code(&hash, now).await),
            Err(err) => Err(unavailable(err)),
        }
    }

    /// Spends a code that is not redeemed here (a failed check, or already spent: a replay,
    /// which revokes every token the code gave); the error to answer when nothing else failed.
    async fn spend_code(&self, hash: &str, now: i64) -> OAuthError {
        let grant = |d: &str| OAuthError::new(OAuthCode::InvalidGrant, d);
        match self.requests.code_redeem(hash, now).await {
            Ok(Redeemed::Replayed) => grant("the code was already used; its tokens are revoked"),
            Ok(Redeemed::Unknown) => grant("unknown code"),
            Ok(Redeemed::Fresh(_)) => grant("the code was not redeemed"),
            Err(err) => unavailable(err),
        }
    }

    /// What a code must match: its client, redirect URI, lifetime and PKCE verifier.
    fn check_code(
        code: &AuthCode,
        e: &EService,
        redirect_uri: &str,
        verifier: &str,
        now: i64,
    ) -> Result<(), OAuthError> {
        let grant = |d: &str| Err(OAuthError::new(OAuthCode::InvalidGrant, d));
        if code.client_id != e.client_id {
            return grant("the code was issued to another client");
        }
        if code.redirect_uri != redirect_uri {
            return grant("redirect_uri does not match");
        }
        if code.expires_at <= now {
            return grant("the code has expired");
        }
        let valid_verifier = (43..=128).contains(&verifier.len())
            && verifier
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
        let computed = BASE64URL_NOPAD.encode(&Sha256::digest(verifier.as_bytes()));
        if !valid_verifier || !bool::from(computed.as_bytes().ct_eq(code.code_challenge.as_bytes()))
        {
            return grant("PKCE verification failed");
        }
        Ok(())
    }

    async fn active_account(&self, id: &str) -> Result<Account, OAuthError> {
        match self.accounts.account_by_id(id).await.map_err(unavailable)? {
            Some(a) if a.status == AccountStatus::Active => Ok(a),
            _ => Err(OAuthError::new(
                OAuthCode::InvalidGrant,
                "the account is not active",
            )),
        }
    }

    /// Rotation: each refresh token works once; a reused one revokes the whole grant. The old
    /// token is spent and the new ones recorded in one transaction.
    async fn refresh_grant(
        &self,
        e: &EService,
        p: &HashMap<String, String>,
        client: &Client,
    ) -> Result<Value, OAuthError> {
        let grant = |d: &str| OAuthError::new(OAuthCode::InvalidGrant, d);
        let now = self.env.now();
        let hash = ordered_key(p.get("refresh_token").map(String::as_str).unwrap_or(""));
        let Some(live) = self.grants.refresh(&hash, now).await.map_err(unavailable)? else {
            // Spent, revoked, expired or unknown: the rotation path tells which, and revokes
            // the grant when it was a reuse.
            return Err(
                match self
                    .grants
                    .refresh_rotate(&hash, now)
                    .await
                    .map_err(unavailable)?
                {
                    Rotated::Fresh(_) => grant("the refresh token has expired"),
                    Rotated::Reused => {
                        grant("the refresh token was already used; the grant is revoked")
                    }
                    Rotated::Unknown => grant("unknown refresh token"),
                },
            );
        };
        // Client and scope are checked before anything is spent, so a mistaken or hostile
        // request cannot burn the token.
        if live.client_id != e.client_id {
            return Err(grant("the refresh token was issued to another client"));
        }
        let scope = match p
            .get("scope")
            .map(|s| split_scope(s))
            .filter(|a| !a.is_empty())
        {
            Some(a) if a.iter().all(|s| live.scope.contains(s)) => a,
            Some(_) => {
                return Err(OAuthError::new(
                    OAuthCode::InvalidScope,
                    "a refresh cannot widen the scope",
                ));
            }
            None => live.scope.clone(),
        };
        if now >= live.idle_expires_at || now >= live.expires_at {
            return Err(grant("the refresh token has expired"));
        }
        let account = self.active_account(&live.account_id).await?;
        let g = Grant {
            family: live.family.clone(),
            session_hash: live.session_hash.clone(),
            scope,
            nonce: String::new(),
            auth_time: live.auth_time,
            level: live.level,
            amr: live.amr.clone(),
            expires_at: live.expires_at,
            acting: live.acting.clone(),
        };
        // A representation or mandate ended since: no more tokens in its name.
        let context = self.context_of(e, &account, g.acting.as_ref()).await?;
        match self
            .issue_tokens(e, &g, &account, &context, client, Some(&hash))
            .await
        {
            Ok(v) => Ok(v),
            Err(Error::Conflict(_)) => {
                // Spent by a concurrent request with the same token: that is a reuse.
                let _ = self.grants.refresh_rotate(&hash, now).await;
                Err(grant(
                    "the refresh token was already used; the grant is revoked",
                ))
            }
            Err(err) => Err(unavailable(err)),
        }
    }

    /// RFC 7009. Unknown tokens and tokens of other clients are ignored (the answer is the same).
    pub async fn revoke(
        &self,
        e: &EService,
        p: &HashMap<String, String>,
        client: &Client,
    ) -> Result<(), OAuthError> {
        let token = p.get("token").map(String::as_str).unwrap_or("");
        let now = self.env.now();
        if let Some(rec) = self
            .grants
            .refresh(&ordered_key(token), now)
            .await
            .map_err(unavailable)?
            && rec.client_id == e.client_id
        {
            let ev = audit::event(
                "oidc.revoked",
                Some(&rec.account_id),
                Some(&client.ip),
                json!({"client_id": e.client_id, "what": "grant"}),
            );
            return self
                .grants
                .revoke_family(&rec.family, &ev, now)
                .await
                .map_err(unavailable);
        }
        if let Some(claims) = self.access_claims(token).await?
            && claims.get("client_id").and_then(Value::as_str) == Some(&e.client_id)
            && let Some(jti) = claims.get("jti").and_then(Value::as_str)
            && let Some(g) = self.live_grant(&claims).await?
        {
            let ev = audit::event(
                "oidc.revoked",
                Some(&g.account_id),
                Some(&client.ip),
                json!({"client_id": e.client_id, "what": "access_token"}),
            );
            let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
            self.grants
                .revoke_access_token(jti, exp * 1000, &ev, now)
                .await
                .map_err(unavailable)?;
        }
        Ok(())
    }

    /// RFC 7662, for the client the token was issued to.
    pub async fn introspect(
        &self,
        e: &EService,
        p: &HashMap<String, String>,
    ) -> Result<Value, OAuthError> {
        let token = p.get("token").map(String::as_str).unwrap_or("");
        let now = self.env.now();
        if let Some(c) = self.access_claims(token).await?
            && c.get("client_id").and_then(Value::as_str) == Some(&e.client_id)
            && let Some(g) = self.live_grant(&c).await?
            // A token for someone else speaks while the representation or mandate stands.
            && (c.get("ctx").is_none()
                || self
                    .still_acting(e, &g.account_id, c.get("ctx"))
                    .await?
                    .is_some())
        {
            let mut out = json!({"active": true, "token_type": "Bearer"});
            if let (Some(m), Some(src)) = (out.as_object_mut(), c.as_object()) {
                for k in [
                    "scope",
                    "client_id",
                    "sub",
                    "exp",
                    "iat",
                    "iss",
                    "aud",
                    "jti",
                    "acr",
                    "amr",
                    "auth_time",
                    "act",
                ] {
                    if let Some(v) = src.get(k) {
                        m.insert(k.into(), v.clone());
                    }
                }
            }
            return Ok(out);
        }
        if let Some(r) = self
            .grants
            .refresh(&ordered_key(token), now)
            .await
            .map_err(unavailable)?
            && r.client_id == e.client_id
            && now < r.idle_expires_at
            && let Some((account, context)) = self
                .still_acting(
                    e,
                    &r.account_id,
                    serde_json::to_value(&r.acting).ok().as_ref(),
                )
                .await?
        {
            let (subject, _, act) = self.context_claims(e, &account, &context);
            let mut out = json!({
                "active": true, "token_type": "refresh_token", "client_id": r.client_id,
                "sub": self.subject(e, subject),
                "scope": join_scope(&r.scope), "exp": r.idle_expires_at.min(r.expires_at) / 1000,
                "iss": self.issuer(),
            });
            if let (Some(m), Some(act)) = (out.as_object_mut(), act) {
                m.insert("act".into(), act);
            }
            return Ok(out);
        }
        Ok(json!({"active": false}))
    }

    /// The account `account_id` and whom its grant acts for (`ctx`: an access token's claim,
    /// absent or null for the person themselves), if both still stand: `None` otherwise.
    async fn still_acting(
        &self,
        e: &EService,
        account_id: &str,
        ctx: Option<&Value>,
    ) -> Result<Option<(Account, Context)>, OAuthError> {
        let acting: Option<Acting> = match ctx.filter(|v| !v.is_null()) {
            None => None,
            Some(v) => match serde_json::from_value(v.clone()) {
                Ok(a) => Some(a),
                Err(_) => return Ok(None),
            },
        };
        let account = match self.accounts.account_by_id(account_id).await {
            Ok(Some(a)) => a,
            Ok(None) => return Ok(None),
            Err(err) => return Err(unavailable(err)),
        };
        match self.context_of(e, &account, acting.as_ref()).await {
            Ok(c) => Ok(Some((account, c))),
            Err(err) if err.error == OAuthCode::InvalidGrant => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// The claims of a valid, unexpired access token of ours (signature and `typ` checked).
    async fn access_claims(&self, token: &str) -> Result<Option<Value>, OAuthError> {
        let keys = self.keys.verification_keys().await.map_err(unavailable)?;
        let Some(c) = jwt::verify_own(token, &keys, "at+jwt") else {
            return Ok(None);
        };
        let exp = c.get("exp").and_then(Value::as_i64).unwrap_or(0);
        let iss_ok = c.get("iss").and_then(Value::as_str) == Some(&self.issuer());
        Ok((exp * 1000 > self.env.now() && iss_ok).then_some(c))
    }

    /// Whom a grant of `account` acts for, resolved now: `invalid_grant` when the
    /// representation or mandate has ended (or the e-service no longer takes it).
    async fn context_of(
        &self,
        e: &EService,
        account: &Account,
        acting: Option<&Acting>,
    ) -> Result<Context, OAuthError> {
        match self
            .contexts
            .resolve(&account.id, e, acting.unwrap_or(&Acting::Myself))
            .await
        {
            Ok(c) => Ok(c),
            Err(Error::Forbidden(_)) => Err(OAuthError::new(
                OAuthCode::InvalidGrant,
                "the representation or mandate this grant acts for has ended",
            )),
            Err(err) => Err(unavailable(err)),
        }
    }

    /// The claims that say whom a token acts for: `org` for an organisation, `act` (RFC 8693)
    /// naming the person who acted whenever it is not for themselves. The subject is the
    /// mandator for a mandate, the person otherwise.
    fn context_claims<'a>(
        &self,
        e: &EService,
        person: &'a Account,
        context: &'a Context,
    ) -> (&'a Account, Option<Value>, Option<Value>) {
        match context {
            Context::Myself => (person, None, None),
            Context::Organization { org, roles } => (
                person,
                Some(json!({"id": org.id, "number": org.number, "name": org.name, "roles": roles})),
                Some(json!({"sub": self.subject(e, person)})),
            ),
            Context::Mandator { mandator, .. } => (
                mandator,
                None,
                Some(json!({"sub": self.subject(e, person)})),
            ),
        }
    }

    /// The citizen's roles at `e` now, when `scope` asks for them (none otherwise: not read).
    async fn roles_for(
        &self,
        e: &EService,
        account: &Account,
        scope: &[String],
    ) -> crate::error::Result<Vec<String>> {
        if scope.iter().any(|s| s == "roles") {
            self.roles
                .roles_of(&e.client_id, &account.id, self.env.now())
                .await
        } else {
            Ok(Vec::new())
        }
    }

    pub(super) fn subject(&self, e: &EService, account: &Account) -> String {
        self.subject_of(e, &account.id)
    }

    /// The pairwise subject identifier of account `account_id` at e-service `e`.
    pub(super) fn subject_of(&self, e: &EService, account_id: &str) -> String {
        relying::pairwise_subject(&self.pairwise_key, e, account_id)
    }

    /// The names of the claims an e-service receives for `scope`, in the order `claims` gives
    /// them: what the audit trail records as released, without computing the values.
    pub fn released_claims(e: &EService, account: &Account, scope: &[String]) -> Vec<&'static str> {
        relying::attributes(e, account, scope)
            .into_iter()
            .map(claim_name)
            .collect()
    }

    /// The claims an e-service receives for `scope`: what `relying::release` decides, under
    /// OpenID Connect's names.
    pub fn claims(
        &self,
        e: &EService,
        account: &Account,
        scope: &[String],
        roles: &[String],
    ) -> Value {
        let mut m = serde_json::Map::new();
        for (a, v) in relying::release(&self.pairwise_key, e, account, scope, roles) {
            let v = match v {
                Released::Text(t) => json!(t),
                Released::Flag(b) => json!(b),
                Released::Path(p) => json!(format!("{}{p}", self.issuer())),
                Released::List(l) => json!(l),
            };
            m.insert(claim_name(a).into(), v);
        }
        Value::Object(m)
    }

    /// Signs and records new tokens. `spends` is the refresh token a rotation replaces, or
    /// `None` for a code redemption, which spends the code `g.family`: either is marked used in
    /// the same transaction, or nothing is issued (`Conflict`). The new refresh token keeps its
    /// grant's scope (RFC 6749 §6); a narrower `g.scope` narrows only this response's access
    /// token.
    async fn issue_tokens(
        &self,
        e: &EService,
        g: &Grant,
        account: &Account,
        context: &Context,
        client: &Client,
        spends: Option<&str>,
    ) -> Result<Value> {
        let now = self.env.now();
        let now_s = now / 1000;
        let iss = self.issuer();
        let (subject, org, act) = self.context_claims(e, account, context);
        let sub = self.subject(e, subject);
        let amr: Vec<&str> = g.amr.iter().map(|a| a.as_str()).collect();
        let scope = join_scope(&g.scope);
        let released_scope = context.released_scope(&g.scope);
        let id = IdTokenClaims {
            iss: &iss,
            sub: &sub,
            aud: &e.client_id,
            azp: &e.client_id,
            iat: now_s,
            exp: now_s + ID_TOKEN_TTL_S,
            auth_time: g.auth_time / 1000,
            acr: g.level.acr(),
            amr: &amr,
            identity_assurance: subject.assurance.as_str(),
            sid: super::logout::sid(&g.session_hash),
            nonce: (!g.nonce.is_empty()).then_some(g.nonce.as_str()),
            roles: if released_scope.iter().any(|s| s == "roles") {
                Some(self.roles_for(e, account, &released_scope).await?)
            } else {
                None
            },
            org: org.clone(),
            act: act.clone(),
        };
        let jti = rng::ordered_token(self.env.rng.as_ref(), now);
        let at = AccessTokenClaims {
            iss: &iss,
            sub: &sub,
            aud: &iss,
            client_id: &e.client_id,
            jti: &jti,
            iat: now_s,
            exp: now_s + ACCESS_TOKEN_TTL_S,
            scope: &scope,
            auth_time: g.auth_time / 1000,
            acr: g.level.acr(),
            amr: &amr,
            gid: &g.family,
            act,
            ctx: g.acting.as_ref(),
        };
        let alg = e.oidc().map(|o| o.id_token_alg).unwrap_or_default();
        let id_token = self.keys.sign_as(alg, "JWT", &id).await?;
        let access_token = self.keys.sign("at+jwt", &at).await?;
        let refresh_token = rng::ordered_token(self.env.rng.as_ref(), now);
        let released = Self::released_claims(e, subject, &released_scope);
        let refresh_hash = ordered_key(&refresh_token);
        let idle_expires_at = (now + REFRESH_IDLE_MS).min(g.expires_at);
        let detail = json!({"client_id": e.client_id, "service": e.name, "scope": scope,
                            "claims": released, "level": g.level.as_str(), "grant": g.family,
                            "acting": context.detail()});
        // A refresh extends the release the first response made: recorded, not history.
        let ev = match spends {
            Some(_) => audit::event(
                audit::TOKENS_REFRESHED,
                Some(&account.id),
                Some(&client.ip),
                detail,
            ),
            None => audit::event(
                "oidc.tokens-issued",
                Some(&account.id),
                Some(&client.ip),
                detail,
            ),
        };
        match spends {
            Some(old) => {
                let exchanged =
                    self.grants
                        .refresh_exchange(old, &refresh_hash, idle_expires_at, &ev, now);
                if !exchanged.await? {
                    return Err(Error::Conflict("refresh-spent"));
                }
            }
            None => {
                let grant = GrantRecord {
                    id: g.family.clone(),
                    client_id: e.client_id.clone(),
                    account_id: account.id.clone(),
                    session_hash: g.session_hash.clone(),
                    expires_at: g.expires_at,
                };
                let first = RefreshRecord {
                    token_hash: refresh_hash,
                    family: g.family.clone(),
                    client_id: e.client_id.clone(),
                    account_id: account.id.clone(),
                    session_hash: g.session_hash.clone(),
                    scope: g.scope.clone(),
                    auth_time: g.auth_time,
                    level: g.level,
                    amr: g.amr.clone(),
                    nonce: String::new(),
                    idle_expires_at,
                    expires_at: g.expires_at,
                    acting: g.acting.clone(),
                };
                if !self.grants.grant_put(&grant, &first, &ev, now).await? {
                    return Err(Error::Conflict("code-spent"));
                }
            }
        }
        Ok(json!({
            "access_token": access_token, "token_type": "Bearer", "expires_in": ACCESS_TOKEN_TTL_S,
            "id_token": id_token, "refresh_token": refresh_token, "scope": scope,
        }))
    }

    /// Deletes expired parked requests and codes (made more than a day ago), grants and their
    /// refresh tokens (made more than a grant's whole lifetime ago) and lapsed access-token
    /// revocations.
    pub async fn oidc_sweep(&self) -> Result<u64> {
        let now = self.env.now();
        self.grants
            .oidc_sweep(
                &rng::time_prefix(now - 24 * 60 * 60 * 1000),
                &rng::time_prefix(now - REFRESH_ABSOLUTE_MS),
                now,
            )
            .await
    }

    /// Userinfo for a bearer access token.
    pub async fn userinfo(&self, bearer: &str) -> Result<Value, OAuthError> {
        let (e, account, scope, context) = self.bearer(bearer).await?;
        let (subject, org, act) = self.context_claims(&e, &account, &context);
        let scope = context.released_scope(&scope);
        let roles = self
            .roles_for(&e, &account, &scope)
            .await
            .map_err(unavailable)?;
        let mut claims = self.claims(&e, subject, &scope, &roles);
        if let Some(m) = claims.as_object_mut() {
            if let Some(org) = org {
                m.insert("org".into(), org);
            }
            if let Some(act) = act {
                m.insert("act".into(), act);
            }
        }
        Ok(claims)
    }

    /// What an access token stands for: verified, unexpired, ours, its grant live, its
    /// e-service on, its account active and whom it acts for still valid — the e-service, the
    /// account (the person who logged in), the token's scope and the context resolved now.
    async fn bearer(
        &self,
        bearer: &str,
    ) -> Result<(EService, crate::model::Account, Vec<String>, Context), OAuthError> {
        let bad = || OAuthError::new(OAuthCode::InvalidToken, "the access token is not valid");
        let unavailable = |_| OAuthError::new(OAuthCode::TemporarilyUnavailable, "try again");
        let keys = self.keys.verification_keys().await.map_err(unavailable)?;
        let claims = jwt::verify_own(bearer, &keys, "at+jwt").ok_or_else(bad)?;
        let exp = claims.get("exp").and_then(Value::as_i64).ok_or_else(bad)?;
        if exp * 1000 <= self.env.now()
            || claims.get("iss").and_then(Value::as_str) != Some(&self.issuer())
        {
            return Err(bad());
        }
        let rec = self.live_grant(&claims).await?.ok_or_else(bad)?;
        let e = self
            .registry
            .store
            .eservice(&rec.client_id)
            .await
            .map_err(unavailable)?
            .ok_or_else(bad)?;
        let account = self
            .accounts
            .account_by_id(&rec.account_id)
            .await
            .map_err(unavailable)?
            .ok_or_else(bad)?;
        if e.disabled || account.status != AccountStatus::Active {
            return Err(bad());
        }
        let scope = claims
            .get("scope")
            .and_then(Value::as_str)
            .map(split_scope)
            .unwrap_or_default();
        let acting: Option<Acting> = match claims.get("ctx") {
            None => None,
            Some(v) => Some(serde_json::from_value(v.clone()).map_err(|_| bad())?),
        };
        // Ended since the token was made: it no longer speaks for anyone.
        let context = self
            .context_of(&e, &account, acting.as_ref())
            .await
            .map_err(|err| match err.error {
                OAuthCode::InvalidGrant => {
                    OAuthError::new(OAuthCode::InvalidToken, err.description)
                }
                _ => err,
            })?;
        Ok((e, account, scope, context))
    }

    /// The account whose picture the access token `bearer` may fetch: a live token of an
    /// e-service entitled to the picture, with the `profile` scope.
    pub async fn picture_owner(&self, bearer: &str) -> Result<crate::ids::AccountId, OAuthError> {
        let (e, account, scope, context) = self.bearer(bearer).await?;
        let (account, _, _) = self.context_claims(&e, &account, &context);
        let entitled = relying::attributes(&e, account, &scope).contains(&Attribute::Picture);
        if !entitled {
            return Err(OAuthError::new(
                OAuthCode::InsufficientScope,
                "the picture needs the profile scope and an e-service entitled to it",
            ));
        }
        Ok(account.id.clone())
    }

    /// The grant behind a verified access token: live, of the client the token names, and the
    /// token not revoked on its own.
    async fn live_grant(&self, claims: &Value) -> Result<Option<GrantRecord>, OAuthError> {
        let get = |k: &str| claims.get(k).and_then(Value::as_str);
        let (Some(gid), Some(jti), Some(client_id)) = (get("gid"), get("jti"), get("client_id"))
        else {
            return Ok(None);
        };
        let g = self
            .grants
            .access_grant(gid, jti, self.env.now())
            .await
            .map_err(unavailable)?;
        Ok(g.filter(|g| g.client_id == client_id))
    }
}

/// An ID token's claims (OpenID Connect Core §2), serialised straight into the token.
#[derive(serde::Serialize)]
struct IdTokenClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    azp: &'a str,
    iat: i64,
    exp: i64,
    auth_time: i64,
    acr: &'a str,
    amr: &'a [&'a str],
    identity_assurance: &'a str,
    sid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    /// The citizen's roles at this e-service, under the `roles` scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    roles: Option<Vec<String>>,
    /// The organisation the login is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    org: Option<Value>,
    /// Who acted (RFC 8693 §4.1), when the login is not for themselves.
    #[serde(skip_serializing_if = "Option::is_none")]
    act: Option<Value>,
}

/// An access token's claims (RFC 9068 §2.2, plus `gid`, the grant it belongs to).
#[derive(serde::Serialize)]
struct AccessTokenClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    client_id: &'a str,
    jti: &'a str,
    iat: i64,
    exp: i64,
    scope: &'a str,
    auth_time: i64,
    acr: &'a str,
    amr: &'a [&'a str],
    gid: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    act: Option<Value>,
    /// Whom the grant acts for, as npass resolves it again at userinfo.
    #[serde(skip_serializing_if = "Option::is_none")]
    ctx: Option<&'a Acting>,
}
