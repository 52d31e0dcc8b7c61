//! The registry of e-services (relying parties), whatever protocol they speak: registration,
//! disabling, secrets. Each protocol's settings are a `relying::Protocol` variant; what the
//! e-service may receive is `relying::release`.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::audit;
use crate::error::{Error, Result};
use crate::keys::SigningKeys;
use crate::login::Client;
use crate::model::Level;
use crate::oidc::KNOWN_SCOPES;
use crate::oidc::flow::{NewEService, valid_redirect_uri};
use crate::relying::{ClientAuth, EService, OidcClient, Protocol, SigningAlg};
use crate::rng;
use crate::service::{Env, digest};
use crate::store::RelyingPartyStore;

/// The e-services over their store; registering one makes sure a key can sign for it.
#[derive(Clone)]
pub struct Registry {
    pub(crate) store: Arc<dyn RelyingPartyStore>,
    pub(crate) keys: SigningKeys,
    pub(crate) env: Env,
}

impl Registry {
    /// Registers an OpenID Connect e-service; returns it and, for `client_secret_basic`, the secret (shown once).
    pub async fn add_eservice(
        &self,
        n: NewEService,
        operator: &Client,
    ) -> Result<(EService, Option<String>)> {
        if n.name.trim().is_empty() {
            return Err(Error::invalid("name", "required"));
        }
        if !n.contexts.valid() {
            return Err(Error::invalid("require", "context-require"));
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
        if n.picture_claim && !scopes.iter().any(|s| s == "profile") {
            scopes.push("profile".into());
        }
        let id_token_alg = match n.id_token_alg.as_deref() {
            None => SigningAlg::Es256,
            Some(a) => {
                SigningAlg::parse(a).ok_or(Error::invalid("id_token_alg", "id-token-alg"))?
            }
        };
        self.keys.ensure_for(id_token_alg).await?;
        let secret =
            (method == ClientAuth::ClientSecretBasic).then(|| rng::token(self.env.rng.as_ref()));
        let e = EService {
            client_id: format!("es_{}", rng::id(self.env.rng.as_ref())).into(),
            name: n.name.trim().to_owned(),
            min_level: n.min_level.unwrap_or(Level::Low),
            scopes,
            national_id_claim: n.national_id_claim,
            picture_claim: n.picture_claim,
            pairwise_sector: n.pairwise_sector,
            disabled: false,
            created_at: self.env.now(),
            contexts: n.contexts,
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
        self.store.eservice_create(&e, &ev, self.env.now()).await?;
        Ok((e, secret))
    }

    pub async fn eservice(&self, client_id: &str) -> Result<EService> {
        self.store.eservice(client_id).await?.ok_or(Error::NotFound)
    }

    /// Every registered e-service.
    pub async fn eservices(&self) -> Result<Vec<EService>> {
        self.store.eservices().await
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
        self.store.eservice_update(&e, &ev, self.env.now()).await?;
        Ok(e)
    }

    /// What the e-service takes of people acting for others (design note 0019): logins for an
    /// organisation, for a mandator, and which of them it requires (`none`, `organization`,
    /// `mandator`); `None` keeps a setting as it is. A required context must be one it takes.
    pub async fn set_eservice_contexts(
        &self,
        client_id: &str,
        (organizations, mandates, require): (Option<bool>, Option<bool>, Option<&str>),
        operator: &Client,
    ) -> Result<EService> {
        let mut e = self.eservice(client_id).await?;
        let was = e.contexts;
        let contexts = crate::acting::ContextPolicy::new(
            organizations.unwrap_or(was.organizations),
            mandates.unwrap_or(was.mandates),
            require.unwrap_or(was.require.map_or("none", |r| r.as_str())),
        )?;
        e.contexts = contexts;
        let ev = audit::event(
            "admin.eservice-contexts",
            None,
            Some(&operator.ip),
            json!({"client_id": client_id, "organizations": contexts.organizations,
                   "mandates": contexts.mandates,
                   "require": contexts.require.map(|r| r.as_str())}),
        );
        self.store.eservice_update(&e, &ev, self.env.now()).await?;
        Ok(e)
    }

    /// A new client secret; the old one stops working at once.
    pub async fn rotate_eservice_secret(
        &self,
        client_id: &str,
        operator: &Client,
    ) -> Result<(EService, String)> {
        let mut e = self.eservice(client_id).await?;
        let secret = rng::token(self.env.rng.as_ref());
        let o = e.oidc_mut().ok_or(Error::NotFound)?;
        o.secret_hash = Some(digest(&secret));
        let ev = audit::event(
            "admin.eservice-secret-rotated",
            None,
            Some(&operator.ip),
            json!({"client_id": client_id, "by": operator.user_agent}),
        );
        self.store.eservice_update(&e, &ev, self.env.now()).await?;
        Ok((e, secret))
    }
}
