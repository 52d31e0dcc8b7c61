//! Logout for e-services: RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0),
//! back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0), and the citizen's
//! connected services.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::Federation;
use super::jwt;
use super::{BackchannelNotice, ConsentRecord};
use crate::audit;
use crate::error::{Error, Result};
use crate::login::Client;
use crate::login::SessionEnded;
use crate::relying::{EService, SigningAlg, pairwise_subject};
use crate::rng;
use crate::service::{Env, digest};
use crate::store::{AccountStore, BackchannelStore, GrantStore, RelyingPartyStore};

const LOGOUT_TOKEN_TTL_S: i64 = 120;

/// The `sid` claim for a session: derived from its stored digest, so it reveals nothing.
pub fn sid(session_hash: &str) -> String {
    digest(&format!("sid:{session_hash}"))
        .chars()
        .take(32)
        .collect()
}

/// Queues the back-channel logout notices of an ended session: one per e-service that received
/// tokens from its chain and asked to hear of logouts.
pub struct BackchannelLogout {
    pub(crate) accounts: Arc<dyn AccountStore>,
    pub(crate) eservices: Arc<dyn RelyingPartyStore>,
    pub(crate) grants: Arc<dyn GrantStore>,
    pub(crate) outbox: Arc<dyn BackchannelStore>,
    pub(crate) env: Env,
    pub(crate) pairwise_key: zeroize::Zeroizing<[u8; 32]>,
    /// Called after notices were queued.
    pub(crate) waker: Arc<dyn Fn() + Send + Sync>,
}

#[async_trait::async_trait]
impl SessionEnded for BackchannelLogout {
    async fn session_ended(&self, chain: &str, account_id: &str) -> Result<()> {
        let mut notices = Vec::new();
        let account = self
            .accounts
            .account_by_id(account_id)
            .await?
            .ok_or(Error::NotFound)?;
        let issuer = self.env.policy.public_url.trim_end_matches('/');
        for client_id in self.grants.session_clients(chain).await? {
            let Some(e) = self.eservices.eservice(&client_id).await? else {
                continue;
            };
            let Some(o) = e.oidc().filter(|o| !o.backchannel_logout_uri.is_empty()) else {
                continue;
            };
            // Signed at each delivery attempt, with its own iat, exp and jti.
            let mut claims = json!({
                "iss": issuer, "aud": e.client_id, "sid": sid(chain),
                "events": { "http://schemas.openid.net/event/backchannel-logout": {} },
            });
            // Where the session's logins may have been for mandators (their `sub`, not the
            // person's), the session is named by `sid` alone.
            if let (false, Some(c)) = (e.contexts.mandates, claims.as_object_mut()) {
                let sub = pairwise_subject(&self.pairwise_key, &e, &account.id);
                c.insert("sub".into(), json!(sub));
            }
            notices.push(BackchannelNotice {
                id: self.env.new_id(),
                client_id: e.client_id.clone(),
                uri: o.backchannel_logout_uri.clone(),
                logout_token: json!({"alg": o.id_token_alg.as_str(), "claims": claims}).to_string(),
                attempts: 0,
            });
        }
        if !notices.is_empty() {
            self.outbox
                .backchannel_enqueue(&notices, self.env.now())
                .await?;
            (self.waker)();
        }
        Ok(())
    }
}

impl Federation {
    /// Where RP-initiated logout ends: `Ok(Some(url))` back to the e-service, `Ok(None)` to npass's
    /// own "logged out" page, `Err(key)` for a request that must not be followed.
    pub async fn end_session_target(
        &self,
        p: &HashMap<String, String>,
    ) -> Result<Option<String>, &'static str> {
        let get = |k: &str| p.get(k).map(String::as_str).unwrap_or("");
        let mut client_id = get("client_id").to_owned();
        if !get("id_token_hint").is_empty() {
            let keys = self
                .keys
                .verification_keys()
                .await
                .map_err(|_| "error-unavailable")?;
            // An expired ID token is still a good hint of who asks.
            let claims =
                jwt::verify_own(get("id_token_hint"), &keys, "JWT").ok_or("oidc-bad-hint")?;
            let aud = claims
                .get("aud")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            if !client_id.is_empty() && client_id != aud {
                return Err("oidc-bad-hint");
            }
            client_id = aud;
        }
        let target = get("post_logout_redirect_uri");
        if target.is_empty() {
            return Ok(None);
        }
        let e = match self.registry.store.eservice(&client_id).await {
            Ok(Some(e)) if !e.disabled => e,
            _ => return Err("oidc-unknown-client"),
        };
        let registered = e.oidc().map(|o| o.post_logout_redirect_uris.as_slice());
        if !super::flow::redirect_uri_registered(registered.unwrap_or_default(), target) {
            return Err("oidc-bad-redirect");
        }
        let state = get("state");
        Ok(Some(if state.is_empty() {
            target.to_owned()
        } else {
            let sep = if target.contains('?') { '&' } else { '?' };
            format!("{target}{sep}state={}", crate::pct_encode(state))
        }))
    }

    /// The logout token for one delivery attempt of `n`: signed now, valid for two minutes
    /// from now, with a `jti` of its own (Back-Channel Logout 1.0 §2.4, §2.6: an e-service
    /// checks `exp` and may refuse a `jti` it has seen), so a retry hours later is still
    /// accepted.
    pub async fn logout_token(&self, n: &BackchannelNotice) -> Result<String> {
        let Ok(Value::Object(queued)) = serde_json::from_str::<Value>(&n.logout_token) else {
            // Queued by an older node: already signed.
            return Ok(n.logout_token.clone());
        };
        let alg = queued
            .get("alg")
            .and_then(Value::as_str)
            .and_then(SigningAlg::parse)
            .unwrap_or_default();
        let mut claims = queued
            .get("claims")
            .cloned()
            .ok_or_else(|| Error::Internal("back-channel notice without claims".into()))?;
        let now_s = self.env.now() / 1000;
        if let Value::Object(c) = &mut claims {
            c.insert("iat".into(), json!(now_s));
            c.insert("exp".into(), json!(now_s + LOGOUT_TOKEN_TTL_S));
            c.insert("jti".into(), json!(rng::token(self.env.rng.as_ref())));
        }
        self.keys.sign_as(alg, "logout+jwt", &claims).await
    }

    /// The e-services the citizen shares data with, with their names.
    pub async fn connected_services(
        &self,
        account_id: &str,
    ) -> Result<Vec<(ConsentRecord, EService)>> {
        let mut out = Vec::new();
        for c in self.consents.consents_for_account(account_id).await? {
            if let Some(e) = self.registry.store.eservice(&c.client_id).await? {
                out.push((c, e));
            }
        }
        Ok(out)
    }

    /// Stops sharing with an e-service: the consent goes and every token it holds is revoked.
    pub async fn withdraw_consent(
        &self,
        account_id: &str,
        client_id: &str,
        client: &Client,
    ) -> Result<()> {
        let ev = audit::event(
            "oidc.consent-withdrawn",
            Some(account_id),
            Some(&client.ip),
            json!({"client_id": client_id}),
        );
        self.consents
            .consent_withdraw(account_id, client_id, &ev, self.env.now())
            .await
    }
}
