//! How an e-service is stored: one JSON record in `eservices.record`, flat, in the shape rows
//! have had since schema 2 (`protocol` absent means OpenID Connect), so rows written by older
//! nodes read as they are and older nodes read new OpenID Connect rows. A SAML service's row
//! is `protocol: "saml"` with its settings under `saml` (and the OpenID Connect fields empty);
//! its entity id is also the row's `entity_id` column, unique, to find it by issuer.

use data_encoding::BASE64;
use npass_core::acting::ContextPolicy;
use npass_core::error::{Error, Result};
use npass_core::model::Level;
use npass_core::relying::{ClientAuth, EService, OidcClient, Protocol, SamlSp, SigningAlg};
use serde::{Deserialize, Serialize};

/// A SAML service provider's settings as stored (certificates in base64 DER).
#[derive(Serialize, Deserialize)]
pub(crate) struct SamlRecord {
    entity_id: String,
    acs_urls: Vec<String>,
    slo_url: String,
    #[serde(default)]
    slo_redirect: bool,
    certificates: Vec<String>,
    #[serde(default)]
    encryption_certificate: Option<String>,
    sign_assertions: bool,
    encrypt_assertions: bool,
    #[serde(default)]
    encryption_cbc: bool,
    alg: String,
    attributes: Vec<String>,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct EServiceRecord {
    client_id: String,
    name: String,
    #[serde(default = "oidc")]
    protocol: String,
    secret_hash: Option<String>,
    auth_method: String,
    redirect_uris: Vec<String>,
    post_logout_redirect_uris: Vec<String>,
    backchannel_logout_uri: String,
    min_level: Level,
    scopes: Vec<String>,
    national_id_claim: bool,
    #[serde(default)]
    picture_claim: bool,
    pairwise_sector: String,
    #[serde(default)]
    require_par: bool,
    #[serde(default)]
    jwks: Option<serde_json::Value>,
    #[serde(default)]
    jwks_uri: String,
    #[serde(default = "es256")]
    id_token_alg: String,
    disabled: bool,
    created_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    saml: Option<SamlRecord>,
    /// Whether logins for an organisation or a mandator are taken (absent: none).
    #[serde(default, skip_serializing_if = "is_default")]
    contexts: ContextPolicy,
}

fn is_default(p: &ContextPolicy) -> bool {
    *p == ContextPolicy::default()
}

fn oidc() -> String {
    "oidc".into()
}

fn es256() -> String {
    SigningAlg::Es256.as_str().into()
}

impl From<&EService> for EServiceRecord {
    fn from(e: &EService) -> Self {
        let o = match &e.protocol {
            Protocol::Oidc(o) => o,
            Protocol::Saml(s) => return EServiceRecord::of_saml(e, s),
        };
        EServiceRecord {
            saml: None,
            client_id: e.client_id.to_string(),
            name: e.name.clone(),
            protocol: oidc(),
            secret_hash: o.secret_hash.clone(),
            auth_method: o.auth.as_str().into(),
            redirect_uris: o.redirect_uris.clone(),
            post_logout_redirect_uris: o.post_logout_redirect_uris.clone(),
            backchannel_logout_uri: o.backchannel_logout_uri.clone(),
            min_level: e.min_level,
            scopes: e.scopes.clone(),
            national_id_claim: e.national_id_claim,
            picture_claim: e.picture_claim,
            pairwise_sector: e.pairwise_sector.clone(),
            require_par: o.require_par,
            jwks: o.jwks.clone(),
            jwks_uri: o.jwks_uri.clone(),
            id_token_alg: o.id_token_alg.as_str().into(),
            disabled: e.disabled,
            created_at: e.created_at,
            contexts: e.contexts,
        }
    }
}

impl EServiceRecord {
    fn of_saml(e: &EService, s: &SamlSp) -> Self {
        EServiceRecord {
            client_id: e.client_id.to_string(),
            name: e.name.clone(),
            protocol: "saml".into(),
            secret_hash: None,
            auth_method: String::new(),
            redirect_uris: Vec::new(),
            post_logout_redirect_uris: Vec::new(),
            backchannel_logout_uri: String::new(),
            min_level: e.min_level,
            scopes: e.scopes.clone(),
            national_id_claim: e.national_id_claim,
            picture_claim: e.picture_claim,
            pairwise_sector: e.pairwise_sector.clone(),
            require_par: false,
            jwks: None,
            jwks_uri: String::new(),
            id_token_alg: s.alg.as_str().into(),
            disabled: e.disabled,
            created_at: e.created_at,
            contexts: e.contexts,
            saml: Some(SamlRecord {
                entity_id: s.entity_id.clone(),
                acs_urls: s.acs_urls.clone(),
                slo_url: s.slo_url.clone(),
                slo_redirect: s.slo_redirect,
                certificates: s.certificates.iter().map(|c| BASE64.encode(c)).collect(),
                encryption_certificate: s.encryption_certificate.as_ref().map(|c| BASE64.encode(c)),
                sign_assertions: s.sign_assertions,
                encrypt_assertions: s.encrypt_assertions,
                encryption_cbc: s.encryption_cbc,
                alg: s.alg.as_str().into(),
                attributes: s.attributes.clone(),
            }),
        }
    }

    /// The entity id a SAML service's row is found by.
    pub(crate) fn entity_id(&self) -> Option<&str> {
        self.saml.as_ref().map(|s| s.entity_id.as_str())
    }

    pub(crate) fn into_eservice(self) -> Result<EService> {
        let bad = |what: &str| Error::Internal(format!("e-service {}: {what}", self.client_id));
        let protocol = match (self.protocol.as_str(), &self.saml) {
            ("oidc", _) => None,
            ("saml", Some(s)) => {
                let der = |c: &String| BASE64.decode(c.as_bytes()).map_err(|_| bad("certificate"));
                Some(Protocol::Saml(SamlSp {
                    entity_id: s.entity_id.clone(),
                    acs_urls: s.acs_urls.clone(),
                    slo_url: s.slo_url.clone(),
                    slo_redirect: s.slo_redirect,
                    certificates: s.certificates.iter().map(der).collect::<Result<_>>()?,
                    encryption_certificate: s
                        .encryption_certificate
                        .as_ref()
                        .map(der)
                        .transpose()?,
                    sign_assertions: s.sign_assertions,
                    encrypt_assertions: s.encrypt_assertions,
                    encryption_cbc: s.encryption_cbc,
                    alg: SigningAlg::parse(&s.alg).ok_or_else(|| bad("alg"))?,
                    attributes: s.attributes.clone(),
                }))
            }
            _ => return Err(bad("unknown protocol")),
        };
        if let Some(protocol) = protocol {
            return Ok(EService {
                client_id: self.client_id.into(),
                name: self.name,
                min_level: self.min_level,
                scopes: self.scopes,
                national_id_claim: self.national_id_claim,
                picture_claim: self.picture_claim,
                pairwise_sector: self.pairwise_sector,
                disabled: self.disabled,
                created_at: self.created_at,
                contexts: self.contexts,
                protocol,
            });
        }
        let oidc = OidcClient {
            auth: ClientAuth::parse(&self.auth_method).ok_or_else(|| bad("auth_method"))?,
            id_token_alg: SigningAlg::parse(&self.id_token_alg)
                .ok_or_else(|| bad("id_token_alg"))?,
            secret_hash: self.secret_hash,
            redirect_uris: self.redirect_uris,
            post_logout_redirect_uris: self.post_logout_redirect_uris,
            backchannel_logout_uri: self.backchannel_logout_uri,
            require_par: self.require_par,
            jwks: self.jwks,
            jwks_uri: self.jwks_uri,
        };
        Ok(EService {
            client_id: self.client_id.into(),
            name: self.name,
            min_level: self.min_level,
            scopes: self.scopes,
            national_id_claim: self.national_id_claim,
            picture_claim: self.picture_claim,
            pairwise_sector: self.pairwise_sector,
            disabled: self.disabled,
            created_at: self.created_at,
            protocol: Protocol::Oidc(oidc),
            contexts: self.contexts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row as schema 2 wrote it, before PAR, key sets and RSA ID tokens.
    const OLD_ROW: &str = r#"{"client_id":"es_1","name":"Tax portal","secret_hash":"h",
        "auth_method":"client_secret_basic","redirect_uris":["https://tax.example.md/cb"],
        "post_logout_redirect_uris":[],"backchannel_logout_uri":"","min_level":"substantial",
        "scopes":["openid"],"national_id_claim":false,"pairwise_sector":"","disabled":false,
        "created_at":1}"#;

    #[test]
    fn rows_of_older_nodes_read_as_openid_connect_clients() {
        let r: EServiceRecord = serde_json::from_str(OLD_ROW).unwrap();
        let e = r.into_eservice().unwrap();
        let o = e.oidc().unwrap();
        assert_eq!(o.auth, ClientAuth::ClientSecretBasic);
        assert_eq!(o.id_token_alg, SigningAlg::Es256);
        assert!(!o.require_par && o.jwks.is_none());
        // Written back, the row keeps the shape older nodes read.
        let back = serde_json::to_value(EServiceRecord::from(&e)).unwrap();
        let old: serde_json::Value = serde_json::from_str(OLD_ROW).unwrap();
        for (k, v) in old.as_object().unwrap() {
            assert_eq!(back.get(k), Some(v), "{k}");
        }
        assert_eq!(back["protocol"], "oidc");
    }

    #[test]
    fn an_unknown_protocol_or_method_is_an_error_not_a_guess() {
        for (k, v) in [
            ("protocol", "carrier-pigeon"),
            ("auth_method", "none"),
            ("id_token_alg", "HS256"),
        ] {
            let mut row: serde_json::Value = serde_json::from_str(OLD_ROW).unwrap();
            row[k] = v.into();
            let r: EServiceRecord = serde_json::from_value(row).unwrap();
            assert!(r.into_eservice().is_err(), "{k}");
        }
    }
}
