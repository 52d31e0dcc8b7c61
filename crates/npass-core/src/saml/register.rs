//! Registering a SAML service: from its metadata (SAML Metadata 2.0, as the operator was
//! given it) or from its entity id, ACS URL(s), SLO URL and certificate, checked here.

use serde_json::json;

use super::xml::{self, El, NS_DSIG, NS_METADATA};
use super::{BINDING_POST, BINDING_REDIRECT};
use crate::audit;
use crate::error::{Error, Result};
use crate::login::Client;
use crate::model::Level;
use crate::oidc::flow::valid_redirect_uri;
use crate::registry::Registry;
use crate::relying::{
    EService, Protocol, SAML_ATTRIBUTES, SAML_DEFAULT_ATTRIBUTES, SamlSp, SigningAlg, saml_scopes,
};
use crate::rng;

/// What an operator registers. `metadata` (the service's SAML metadata) fills in what the
/// explicit fields leave empty.
#[derive(Debug, Clone, Default)]
pub struct NewSamlService {
    pub name: String,
    pub metadata: Option<String>,
    pub entity_id: String,
    pub acs_urls: Vec<String>,
    pub slo_url: String,
    /// `slo_url` takes HTTP-Redirect (else HTTP-POST).
    pub slo_redirect: bool,
    /// Its signing certificates, DER or PEM.
    pub certificates: Vec<Vec<u8>>,
    pub encryption_certificate: Option<Vec<u8>>,
    pub sign_assertions: bool,
    pub encrypt_assertions: bool,
    /// `RS256` (default) or `ES256`.
    pub alg: Option<String>,
    /// MPass attribute names (empty: `SAML_DEFAULT_ATTRIBUTES`).
    pub attributes: Vec<String>,
    pub min_level: Option<Level>,
    pub national_id_claim: bool,
    pub pairwise_sector: String,
    /// What it takes of logins for others.
    pub contexts: crate::acting::ContextPolicy,
}

/// What a service's metadata says about it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpMetadata {
    pub entity_id: String,
    /// HTTP-POST ACS URLs, the default (or lowest index) first.
    pub acs_urls: Vec<String>,
    pub slo_url: String,
    /// Its only SingleLogoutService is HTTP-Redirect.
    pub slo_redirect: bool,
    pub signing: Vec<Vec<u8>>,
    pub encryption: Option<Vec<u8>>,
    /// The `EncryptionMethod`s of its encryption key name AES-CBC and no AES-GCM.
    pub encryption_cbc: bool,
    pub want_assertions_signed: bool,
}

/// A certificate as the operator was given it: DER (a `.cer`) or PEM.
pub fn certificate_der(bytes: &[u8]) -> Result<Vec<u8>> {
    let bad = || Error::invalid("certificate", "certificate");
    let der = match std::str::from_utf8(bytes) {
        Ok(t) if t.contains("-----BEGIN CERTIFICATE-----") => {
            let body: String = t
                .split("-----BEGIN CERTIFICATE-----")
                .nth(1)
                .and_then(|r| r.split("-----END CERTIFICATE-----").next())
                .ok_or_else(bad)?
                .chars()
                .filter(|c| !c.is_ascii_whitespace())
                .collect();
            data_encoding::BASE64
                .decode(body.as_bytes())
                .map_err(|_| bad())?
        }
        _ => bytes.to_vec(),
    };
    check_certificate(&der)?;
    Ok(der)
}

/// A service's certificate: X.509, with an RSA key of 2048 bits or more or a P-256/P-384 key.
fn check_certificate(der: &[u8]) -> Result<()> {
    let bad = Error::invalid("certificate", "certificate");
    let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|_| bad.clone())?;
    match cert.public_key().parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(rsa)) if rsa.key_size() >= 2048 => Ok(()),
        Ok(x509_parser::public_key::PublicKey::RSA(_)) => {
            Err(Error::invalid("certificate", "certificate-weak"))
        }
        Ok(x509_parser::public_key::PublicKey::EC(_)) => Ok(()),
        _ => Err(bad),
    }
}

/// Is `url` on the machine that opens it (`localhost`, a loopback address)? A test
/// deployment's services may be; a production one's are not (MPass's rule).
fn on_this_machine(url: &str) -> bool {
    match url::Url::parse(url)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_owned()))
    {
        Some(url::Host::Domain(d)) => {
            d.eq_ignore_ascii_case("localhost") || d.to_ascii_lowercase().ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_unspecified(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback() || ip.is_unspecified(),
        None => false,
    }
}

fn key_descriptors<'a>(d: &'a El, usage: &'a str) -> impl Iterator<Item = &'a El> + 'a {
    d.all(NS_METADATA, "KeyDescriptor")
        .filter(move |k| k.attr("use").is_none_or(|u| u == usage))
}

fn key_certificates(d: &El, usage: &str) -> Vec<Vec<u8>> {
    key_descriptors(d, usage)
        .filter_map(|k| k.child(NS_DSIG, "KeyInfo"))
        .flat_map(|ki| ki.all(NS_DSIG, "X509Data"))
        .flat_map(|x| x.all(NS_DSIG, "X509Certificate"))
        .filter_map(|c| {
            let b64: String = c
                .text
                .chars()
                .filter(|c| !c.is_ascii_whitespace())
                .collect();
            data_encoding::BASE64.decode(b64.as_bytes()).ok()
        })
        .collect()
}

/// Reads a service provider's metadata (an `EntityDescriptor` with an `SPSSODescriptor`).
pub fn sp_metadata(text: &str) -> Result<SpMetadata> {
    let bad = || Error::invalid("metadata", "saml-metadata");
    let root = xml::parse(text).map_err(|_| bad())?;
    if !root.is(NS_METADATA, "EntityDescriptor") {
        return Err(bad());
    }
    let d = root.child(NS_METADATA, "SPSSODescriptor").ok_or_else(bad)?;
    let mut acs: Vec<(bool, i64, String)> = d
        .all(NS_METADATA, "AssertionConsumerService")
        .filter(|a| a.attr("Binding") == Some(BINDING_POST))
        .filter_map(|a| {
            Some((
                a.attr("isDefault") != Some("true"),
                a.attr("index").and_then(|i| i.parse().ok()).unwrap_or(0),
                a.attr("Location")?.to_owned(),
            ))
        })
        .collect();
    acs.sort();
    let slo = |binding: &str| {
        d.all(NS_METADATA, "SingleLogoutService")
            .find(|s| s.attr("Binding") == Some(binding))
            .and_then(|s| s.attr("Location"))
            .map(str::to_owned)
    };
    Ok(SpMetadata {
        entity_id: root.attr("entityID").unwrap_or("").to_owned(),
        acs_urls: acs.into_iter().map(|(_, _, u)| u).collect(),
        slo_url: slo(BINDING_POST)
            .or_else(|| slo(BINDING_REDIRECT))
            .unwrap_or_default(),
        slo_redirect: slo(BINDING_POST).is_none() && slo(BINDING_REDIRECT).is_some(),
        signing: key_certificates(d, "signing"),
        encryption: key_certificates(d, "encryption").into_iter().next(),
        encryption_cbc: {
            let methods: Vec<&str> = key_descriptors(d, "encryption")
                .flat_map(|k| k.all(NS_METADATA, "EncryptionMethod"))
                .filter_map(|m| m.attr("Algorithm"))
                .collect();
            methods.iter().any(|a| a.ends_with("-cbc"))
                && !methods.iter().any(|a| a.ends_with("-gcm"))
        },
        want_assertions_signed: d.attr("WantAssertionsSigned") == Some("true"),
    })
}

impl Registry {
    /// Registers a SAML service provider.
    pub async fn add_saml_service(&self, n: NewSamlService, operator: &Client) -> Result<EService> {
        if n.name.trim().is_empty() {
            return Err(Error::invalid("name", "required"));
        }
        if !n.contexts.valid() {
            return Err(Error::invalid("require", "context-require"));
        }
        let meta = match &n.metadata {
            Some(m) => sp_metadata(m)?,
            None => SpMetadata::default(),
        };
        let pick = |given: String, found: String| if given.is_empty() { found } else { given };
        let entity_id = pick(n.entity_id, meta.entity_id);
        if entity_id.is_empty() || entity_id.len() > 1024 || entity_id.chars().any(char::is_control)
        {
            return Err(Error::invalid("entity_id", "entity-id"));
        }
        let acs_urls = if n.acs_urls.is_empty() {
            meta.acs_urls
        } else {
            n.acs_urls
        };
        if acs_urls.is_empty() || !acs_urls.iter().all(|u| valid_redirect_uri(u)) {
            return Err(Error::invalid("acs_url", "redirect-uri"));
        }
        let local_refused = !self.env.policy.loopback_services;
        if local_refused && acs_urls.iter().any(|u| on_this_machine(u)) {
            return Err(Error::invalid("acs_url", "saml-endpoint-local"));
        }
        let slo_redirect = if n.slo_url.is_empty() {
            meta.slo_redirect
        } else {
            n.slo_redirect
        };
        let slo_url = pick(n.slo_url, meta.slo_url);
        if !slo_url.is_empty() && !valid_redirect_uri(&slo_url) {
            return Err(Error::invalid("slo_url", "redirect-uri"));
        }
        if local_refused && on_this_machine(&slo_url) {
            return Err(Error::invalid("slo_url", "saml-endpoint-local"));
        }
        // Given ones are read (DER or PEM) and checked by `certificate_der`; the metadata's
        // are DER already and checked here.
        let certificates: Vec<Vec<u8>> = if n.certificates.is_empty() {
            for c in &meta.signing {
                check_certificate(c)?;
            }
            meta.signing
        } else {
            n.certificates
                .iter()
                .map(|c| certificate_der(c))
                .collect::<Result<_>>()?
        };
        if certificates.is_empty() {
            return Err(Error::invalid("certificate", "certificate"));
        }
        let encryption_certificate = match n.encryption_certificate {
            Some(c) => Some(certificate_der(&c)?),
            None => meta.encryption,
        };
        if n.encrypt_assertions {
            // Found now, not at the first login: a key assertions can be encrypted to.
            match &encryption_certificate {
                Some(c) if super::enc::rsa_key(c).is_ok() => {}
                Some(_) => {
                    return Err(Error::invalid(
                        "encryption_certificate",
                        "saml-encryption-key",
                    ));
                }
                None => {
                    return Err(Error::invalid(
                        "encryption_certificate",
                        "saml-encryption-certificate",
                    ));
                }
            }
        }
        let alg = match n.alg.as_deref() {
            None => SigningAlg::Rs256,
            Some(a) => SigningAlg::parse(a).ok_or(Error::invalid("alg", "id-token-alg"))?,
        };
        let attributes: Vec<String> = if n.attributes.is_empty() {
            SAML_DEFAULT_ATTRIBUTES
                .iter()
                .map(|a| (*a).to_owned())
                .collect()
        } else {
            n.attributes
        };
        if let Some(bad) = attributes
            .iter()
            .find(|a| !SAML_ATTRIBUTES.iter().any(|(n, _)| n == a))
        {
            return Err(Error::Invalid {
                field: "attribute",
                reason: "saml-attribute-unknown",
                n: Some(bad.len() as i64),
            });
        }
        if attributes.iter().any(|a| a == "NameIdentifier") && !n.national_id_claim {
            return Err(Error::invalid("attribute", "saml-national-id-not-entitled"));
        }
        self.keys.ensure_for(alg).await?;
        let e = EService {
            client_id: format!("es_{}", rng::id(self.env.rng.as_ref())).into(),
            name: n.name.trim().to_owned(),
            min_level: n.min_level.unwrap_or(Level::Low),
            scopes: saml_scopes(&attributes, n.national_id_claim),
            national_id_claim: n.national_id_claim,
            picture_claim: false,
            pairwise_sector: n.pairwise_sector,
            disabled: false,
            created_at: self.env.now(),
            contexts: n.contexts,
            protocol: Protocol::Saml(SamlSp {
                entity_id,
                acs_urls,
                slo_url,
                slo_redirect,
                certificates,
                encryption_certificate,
                sign_assertions: n.sign_assertions || meta.want_assertions_signed,
                encrypt_assertions: n.encrypt_assertions,
                encryption_cbc: meta.encryption_cbc,
                alg,
                attributes,
            }),
        };
        let ev = audit::event(
            "admin.eservice-added",
            None,
            Some(&operator.ip),
            json!({"client_id": e.client_id, "name": e.name, "protocol": "saml", "by": operator.user_agent}),
        );
        self.store.eservice_create(&e, &ev, self.env.now()).await?;
        Ok(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_service_providers_metadata() {
        let (der, _) = crate::oidc::jwt::generate_rs256("k").unwrap();
        let cert = crate::oidc::jwt::self_signed_certificate(SigningAlg::Rs256, &der, "k", "sp", 0)
            .unwrap();
        let b64 = data_encoding::BASE64.encode(&cert);
        let md = format!(
            r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://tax.example.md/saml">
  <md:SPSSODescriptor AuthnRequestsSigned="true" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>
{b64}
    </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://tax.example.md/slo-redirect"/>
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://tax.example.md/slo"/>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact" Location="https://tax.example.md/art" index="0"/>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://tax.example.md/acs2" index="2"/>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://tax.example.md/acs" index="1" isDefault="true"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>"#
        );
        let m = sp_metadata(&md).unwrap();
        assert_eq!(m.entity_id, "https://tax.example.md/saml");
        assert_eq!(
            m.acs_urls,
            vec!["https://tax.example.md/acs", "https://tax.example.md/acs2"]
        );
        assert_eq!(m.slo_url, "https://tax.example.md/slo");
        assert_eq!(m.signing, vec![cert.clone()]);
        assert!(m.want_assertions_signed && m.encryption.is_none());
        let pem = format!("-----BEGIN CERTIFICATE-----\n{b64}\n-----END CERTIFICATE-----\n");
        assert_eq!(certificate_der(pem.as_bytes()).unwrap(), cert);
        assert!(certificate_der(b"not a certificate").is_err());
        assert!(
            sp_metadata("<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\"/>")
                .is_err()
        );
    }
}
