//! E-signature login: certificates checked against the deployment's trust (design notes 0003
//! and 0004). Verification is rustls-webpki's (chain, validity against the Clock, extended key
//! usage, CRL revocation with unknown status refused); the fields it does not read (key usage
//! bits, certificate policies, the identity in the subject, QC statements) are read with
//! x509-parser. Identity comes from the subject's `serialNumber`, never the common name.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, TrustAnchor, UnixTime};
use serde::{Deserialize, Serialize};
use webpki::aws_lc_rs as algs;
use webpki::{
    EndEntityCert, ExpirationPolicy, KeyUsage, OwnedCertRevocationList, RevocationCheckDepth,
    RevocationOptionsBuilder, UnknownStatusPolicy,
};
use x509_parser::prelude::*;

use crate::national_id::{self, NationalId, Scheme};

pub mod ocsp;

/// How a subject `serialNumber` maps to a national identifier: `PNOMD-` + IDNP (ETSI EN
/// 319 412-1 semantics identifier) or, with an empty prefix, the plain number.
#[derive(Debug, Clone)]
pub struct IdRule {
    pub scheme: Scheme,
    pub prefix: String,
}

/// The deployment's e-signature trust (`[esign]` in the configuration).
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// DER of the national roots.
    pub roots: Vec<Vec<u8>>,
    /// DER of intermediates (a chain may bring its own too).
    pub intermediates: Vec<Vec<u8>>,
    /// Accepted certificate policy OIDs (dotted); empty accepts any.
    pub policies: Vec<String>,
    /// CRLs to read besides the certificate's distribution points.
    pub crl_urls: Vec<String>,
    /// Ask OCSP first: the certificate's responder (authority information access), or this
    /// one. A good or revoked answer decides; no answer falls back to the CRLs.
    pub ocsp: bool,
    pub ocsp_url: Option<String>,
    pub identifiers: Vec<IdRule>,
    /// SHA-256 fingerprints of CA certificates to refuse wherever they appear in a chain.
    pub denied_cas: Vec<[u8; 32]>,
}

/// Fetches a CRL (DER) over HTTP; the binary's adapter.
#[async_trait::async_trait]
pub trait CrlFetcher: Send + Sync {
    async fn fetch(&self, url: &str) -> std::result::Result<Vec<u8>, String>;
    /// POSTs an OCSP request (`application/ocsp-request`) and returns the response body.
    async fn ocsp(&self, url: &str, request: Vec<u8>) -> std::result::Result<Vec<u8>, String> {
        let _ = (url, request);
        Err("OCSP is not available".into())
    }
}

/// Why a certificate (or a challenge) was refused; each has its page (`err-esign-…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NotConfigured,
    NoCertificate,
    Malformed,
    Untrusted,
    Expired,
    NotYetValid,
    Revoked,
    RevocationUnknown,
    WrongUsage,
    Policy,
    NoIdentity,
    BadSignature,
    ChallengeUnknown,
    ChallengeExpired,
    ChallengeUsed,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::NotConfigured => "esign-not-configured",
            Refusal::NoCertificate => "esign-no-certificate",
            Refusal::Malformed => "esign-malformed",
            Refusal::Untrusted => "esign-untrusted",
            Refusal::Expired => "esign-expired",
            Refusal::NotYetValid => "esign-not-yet-valid",
            Refusal::Revoked => "esign-revoked",
            Refusal::RevocationUnknown => "esign-revocation-unknown",
            Refusal::WrongUsage => "esign-wrong-usage",
            Refusal::Policy => "esign-policy",
            Refusal::NoIdentity => "esign-no-identity",
            Refusal::BadSignature => "esign-bad-signature",
            Refusal::ChallengeUnknown => "esign-challenge-unknown",
            Refusal::ChallengeExpired => "esign-challenge-expired",
            Refusal::ChallengeUsed => "esign-challenge-used",
        }
    }

    pub fn from_code(code: &str) -> Option<Refusal> {
        ALL.iter().copied().find(|r| r.code() == code)
    }
}

const ALL: [Refusal; 15] = [
    Refusal::NotConfigured,
    Refusal::NoCertificate,
    Refusal::Malformed,
    Refusal::Untrusted,
    Refusal::Expired,
    Refusal::NotYetValid,
    Refusal::Revoked,
    Refusal::RevocationUnknown,
    Refusal::WrongUsage,
    Refusal::Policy,
    Refusal::NoIdentity,
    Refusal::BadSignature,
    Refusal::ChallengeUnknown,
    Refusal::ChallengeExpired,
    Refusal::ChallengeUsed,
];

/// Who a verified certificate says its holder is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertIdentity {
    pub scheme: Scheme,
    /// The national identifier, normalised.
    pub national_id: String,
    pub given_name: String,
    pub family_name: String,
    /// `organizationIdentifier` (e.g. `NTRMD-<IDNO>`) of an organisation certificate.
    pub organization_id: Option<String>,
    /// Its `organizationName` (O).
    #[serde(default)]
    pub organization_name: Option<String>,
    pub issuer: String,
    /// Hex serial number.
    pub serial: String,
    /// The key is on a qualified signature-creation device (QC statement QcSSCD).
    pub hardware: bool,
}

struct CachedCrl {
    der: Vec<u8>,
    next_update_ms: i64,
}

/// The verifier: trust, the CRL fetcher, and CRLs kept until their `nextUpdate`.
pub struct Esign {
    pub trust: Option<Trust>,
    pub fetcher: Arc<dyn CrlFetcher>,
    crls: Mutex<HashMap<String, CachedCrl>>,
}

/// Signature algorithms a signing application may use for the challenge.
pub fn signature_algorithm(name: &str) -> Option<&'static dyn SignatureVerificationAlgorithm> {
    Some(match name {
        "ecdsa-p256-sha256" => algs::ECDSA_P256_SHA256,
        "ecdsa-p384-sha384" => algs::ECDSA_P384_SHA384,
        "rsa-pss-sha256" => algs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
        "rsa-pss-sha384" => algs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
        "rsa-pss-sha512" => algs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
        "rsa-pkcs1-sha256" => algs::RSA_PKCS1_2048_8192_SHA256,
        "rsa-pkcs1-sha384" => algs::RSA_PKCS1_2048_8192_SHA384,
        "rsa-pkcs1-sha512" => algs::RSA_PKCS1_2048_8192_SHA512,
        _ => return None,
    })
}

/// Signature algorithms accepted inside certificate chains and CRLs.
pub(crate) const CHAIN_ALGS: &[&dyn SignatureVerificationAlgorithm] = &[
    algs::ECDSA_P256_SHA256,
    algs::ECDSA_P256_SHA384,
    algs::ECDSA_P384_SHA256,
    algs::ECDSA_P384_SHA384,
    algs::ECDSA_P521_SHA512,
    algs::RSA_PKCS1_2048_8192_SHA256,
    algs::RSA_PKCS1_2048_8192_SHA384,
    algs::RSA_PKCS1_2048_8192_SHA512,
    algs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
    algs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
    algs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
];

const OID_SERIAL_NUMBER: &str = "2.5.4.5";
const OID_GIVEN_NAME: &str = "2.5.4.42";
const OID_SURNAME: &str = "2.5.4.4";
const OID_ORGANIZATION_IDENTIFIER: &str = "2.5.4.97";
const OID_ORGANIZATION_NAME: &str = "2.5.4.10";
const OID_AD_OCSP: &str = "1.3.6.1.5.5.7.48.1";
const OID_QC_STATEMENTS: &str = "1.3.6.1.5.5.7.1.3";
/// id-etsi-qcs-QcSSCD (0.4.0.1862.1.4), DER-encoded as an OBJECT IDENTIFIER.
const QC_SSCD_DER: [u8; 8] = [0x06, 0x06, 0x04, 0x00, 0x8e, 0x46, 0x01, 0x04];

fn subject_attr(cert: &X509Certificate<'_>, oid: &str) -> Option<String> {
    cert.subject()
        .iter_attributes()
        .find(|a| a.attr_type().to_id_string() == oid)
        .and_then(|a| a.as_str().ok())
        .map(|s| s.trim().to_owned())
}

fn webpki_refusal(e: webpki::Error) -> Refusal {
    use webpki::Error as E;
    match e {
        E::CertExpired { .. } => Refusal::Expired,
        E::CertNotValidYet { .. } => Refusal::NotYetValid,
        E::CertRevoked => Refusal::Revoked,
        E::UnknownRevocationStatus | E::CrlExpired { .. } => Refusal::RevocationUnknown,
        E::RequiredEkuNotFoundContext(_) => Refusal::WrongUsage,
        E::BadDer | E::BadDerTime | E::TrailingData(_) => Refusal::Malformed,
        _ => Refusal::Untrusted,
    }
}

impl Esign {
    pub fn new(trust: Option<Trust>, fetcher: Arc<dyn CrlFetcher>) -> Self {
        Esign {
            trust,
            fetcher,
            crls: Mutex::new(HashMap::new()),
        }
    }

    pub fn enabled(&self) -> bool {
        self.trust.is_some()
    }

    /// Verifies `chain` (end entity first, DER) at `now_ms` and reads the identity from it.
    pub async fn verify(
        &self,
        chain: &[Vec<u8>],
        now_ms: i64,
    ) -> std::result::Result<CertIdentity, Refusal> {
        let trust = self.trust.as_ref().ok_or(Refusal::NotConfigured)?;
        let ee_der = chain.first().ok_or(Refusal::Malformed)?;
        let (_, cert) = X509Certificate::from_der(ee_der).map_err(|_| Refusal::Malformed)?;

        // 1. Chain, validity and extended key usage, before anything is fetched.
        let ee_pki = CertificateDer::from(ee_der.as_slice());
        let ee = EndEntityCert::try_from(&ee_pki).map_err(|_| Refusal::Malformed)?;
        let anchors: Vec<TrustAnchor<'_>> = trust
            .roots
            .iter()
            .filter_map(|r| {
                webpki::anchor_from_trusted_cert(&CertificateDer::from(r.as_slice()))
                    .ok()
                    .map(|a| a.to_owned())
            })
            .collect();
        let intermediates: Vec<CertificateDer<'_>> = trust
            .intermediates
            .iter()
            .chain(chain.iter().skip(1))
            .map(|c| CertificateDer::from(c.as_slice()))
            .collect();
        let time = UnixTime::since_unix_epoch(std::time::Duration::from_millis(
            u64::try_from(now_ms).unwrap_or(0),
        ));
        let verify = |revocation| {
            ee.verify_for_usage(
                CHAIN_ALGS,
                &anchors,
                &intermediates,
                time,
                KeyUsage::client_auth(),
                revocation,
                None,
            )
            .map(|path| {
                // The CA certificates that actually verified the path, from the end entity's
                // issuer up to the root (the configured root's own certificate, matched by
                // key as well as name): only these are ever asked about revocation.
                let mut cas: Vec<Vec<u8>> = path
                    .intermediate_certificates()
                    .map(|c| c.der().to_vec())
                    .collect();
                let anchor = path.anchor();
                if let Some(root) = trust.roots.iter().find(|r| {
                    webpki::anchor_from_trusted_cert(&CertificateDer::from(r.as_slice())).is_ok_and(
                        |a| {
                            a.subject == anchor.subject
                                && a.subject_public_key_info == anchor.subject_public_key_info
                        },
                    )
                }) {
                    cas.push(root.clone());
                }
                cas
            })
        };
        let path = verify(None).map_err(webpki_refusal)?;
        let issuer_der = path.first().ok_or(Refusal::Untrusted)?;

        // 2. A CA the operator denied stops every certificate under it.
        if let Some(denied) = path.iter().find(|ca| {
            let fp = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, ca);
            trust.denied_cas.iter().any(|d| d.as_slice() == fp.as_ref())
        }) {
            let name = X509Certificate::from_der(denied)
                .map(|(_, c)| c.subject().to_string())
                .unwrap_or_default();
            tracing::warn!(ca = %name, "e-signature refused: the chain has a denied CA");
            return Err(Refusal::Revoked);
        }

        // 3. Key usage: a login signs, so digitalSignature (or nonRepudiation) must be set.
        let ku = cert
            .key_usage()
            .map_err(|_| Refusal::Malformed)?
            .ok_or(Refusal::WrongUsage)?;
        if !(ku.value.digital_signature() || ku.value.non_repudiation()) {
            return Err(Refusal::WrongUsage);
        }

        // 4. Accepted policies.
        if !trust.policies.is_empty() {
            let has = cert.extensions().iter().any(|ext| {
                matches!(ext.parsed_extension(), ParsedExtension::CertificatePolicies(p)
                    if p.iter().any(|pi| trust.policies.contains(&pi.policy_id.to_id_string())))
            });
            if !has {
                return Err(Refusal::Policy);
            }
        }

        // 5. Identity.
        let identity = self.identity(trust, &cert)?;

        // 6. Revocation of the whole chain. The end entity: OCSP where configured (a fresh
        // good or revoked answer signed by its real issuer decides), else its issuer's CRL.
        // Every intermediate: its issuer's CRL (an authority revocation list). Unknown status
        // anywhere refuses.
        let mut ee_good = false;
        if trust.ocsp {
            match self.ocsp_status(trust, &cert, issuer_der, now_ms).await {
                Some(ocsp::Status::Good) => ee_good = true,
                Some(ocsp::Status::Revoked) => return Err(Refusal::Revoked),
                Some(ocsp::Status::Unknown) | None => {}
            }
        }
        let ca_certs: Vec<X509Certificate<'_>> = path
            .iter()
            .filter_map(|d| X509Certificate::from_der(d).ok().map(|(_, c)| c))
            .collect();
        let mut urls = Vec::new();
        if !ee_good {
            urls.extend(distribution_points(&cert));
        }
        // The root (last) is trusted as configured; the CAs below it are checked.
        for ca in ca_certs.iter().take(ca_certs.len().saturating_sub(1)) {
            urls.extend(distribution_points(ca));
        }
        urls.extend(trust.crl_urls.iter().cloned());
        urls.dedup();
        // A CRL counts only when one of the path's CAs issued it.
        let issued_by_path =
            |issuer: &[u8]| ca_certs.iter().any(|c| c.subject().as_raw() == issuer);
        let mut crls = Vec::new();
        for url in &urls {
            let Some(fetched) = self.crl(url, now_ms).await else {
                continue;
            };
            // The issuer's name as x509-parser gives it (whole DER), to compare with the
            // certificates'; webpki reads the same bytes for the check itself.
            let issuer = CertificateRevocationList::from_der(&fetched.der)
                .ok()
                .map(|(_, c)| c.issuer().as_raw().to_vec());
            match (OwnedCertRevocationList::from_der(&fetched.der), issuer) {
                (Ok(crl), Some(issuer)) if issued_by_path(&issuer) => {
                    crls.push((
                        url.as_str(),
                        fetched,
                        issuer,
                        webpki::CertRevocationList::from(crl),
                    ));
                }
                (Ok(_), Some(_)) => {}
                (Err(e), _) => {
                    tracing::warn!(url, error = ?e, "CRL refused: it cannot be read");
                    self.forget_crl(url);
                }
                (Ok(_), None) => {
                    tracing::warn!(url, "CRL refused: its issuer cannot be read");
                    self.forget_crl(url);
                }
            }
        }
        let has_crl_from = |issuer: &[u8]| crls.iter().any(|(_, _, i, _)| i == issuer);
        let ee_unknown = !ee_good && !has_crl_from(cert.issuer().as_raw());
        let ca_unknown = ca_certs
            .iter()
            .take(ca_certs.len().saturating_sub(1))
            .find(|c| !has_crl_from(c.issuer().as_raw()));
        if ee_unknown || ca_unknown.is_some() {
            tracing::warn!(
                ca = ca_unknown.map(|c| c.subject().to_string()),
                "e-signature refused: no usable CRL for the chain"
            );
            return Err(Refusal::RevocationUnknown);
        }
        let refs: Vec<&webpki::CertRevocationList<'_>> =
            crls.iter().map(|(_, _, _, c)| c).collect();
        let options = RevocationOptionsBuilder::new(&refs)
            .map_err(|_| Refusal::RevocationUnknown)?
            .with_depth(RevocationCheckDepth::Chain)
            .with_status_policy(if ee_good {
                UnknownStatusPolicy::Allow
            } else {
                UnknownStatusPolicy::Deny
            })
            .with_expiration_policy(ExpirationPolicy::Enforce)
            .build();
        let outcome = verify(Some(options));
        match &outcome {
            // The CRLs' signatures were checked against the path's CAs: now they may be kept.
            Ok(_) | Err(webpki::Error::CertRevoked) => {
                for (url, fetched, _, _) in &crls {
                    self.remember_crl(url, fetched);
                }
            }
            Err(e) => {
                // A forged, unverifiable or stale CRL: kept nowhere, and said so.
                tracing::warn!(error = ?e, urls = ?crls.iter().map(|c| c.0).collect::<Vec<_>>(),
                    "CRL refused: it does not verify against the certificate's CAs");
                for (url, _, _, _) in &crls {
                    self.forget_crl(url);
                }
            }
        }
        match outcome {
            Ok(_) => Ok(identity),
            Err(webpki::Error::CertRevoked) => Err(Refusal::Revoked),
            Err(_) => Err(Refusal::RevocationUnknown),
        }
    }

    /// Asks the OCSP responders about `cert`, whose issuer (from the verified path) is
    /// `issuer_der`; the first trusted answer counts, and every refused one is logged.
    async fn ocsp_status(
        &self,
        trust: &Trust,
        cert: &X509Certificate<'_>,
        issuer_der: &[u8],
        now_ms: i64,
    ) -> Option<ocsp::Status> {
        let (_, issuer) = X509Certificate::from_der(issuer_der).ok()?;
        let id = ocsp::cert_id(cert, &issuer)?;
        let request = ocsp::request(&id)?;
        let mut urls: Vec<String> = trust.ocsp_url.iter().cloned().collect();
        for ext in cert.extensions() {
            if let ParsedExtension::AuthorityInfoAccess(aia) = ext.parsed_extension() {
                for d in &aia.accessdescs {
                    if d.access_method.to_id_string() == OID_AD_OCSP
                        && let GeneralName::URI(u) = &d.access_location
                        && (u.starts_with("http://") || u.starts_with("https://"))
                    {
                        urls.push((*u).to_owned());
                    }
                }
            }
        }
        for url in urls {
            match self.fetcher.ocsp(&url, request.clone()).await {
                Ok(body) => {
                    if let Some(s) = ocsp::read(&body, &id, issuer_der, now_ms) {
                        return Some(s);
                    }
                    tracing::warn!(
                        url,
                        "OCSP answer refused: not signed by the issuer or its responder, not fresh, or not about this certificate"
                    );
                }
                Err(e) => tracing::warn!(url, error = %e, "OCSP unavailable"),
            }
        }
        None
    }

    fn identity(
        &self,
        trust: &Trust,
        cert: &X509Certificate<'_>,
    ) -> std::result::Result<CertIdentity, Refusal> {
        let serial = subject_attr(cert, OID_SERIAL_NUMBER).ok_or(Refusal::NoIdentity)?;
        let national_id = trust
            .identifiers
            .iter()
            .find_map(|rule| {
                let value = if rule.prefix.is_empty() {
                    serial.as_str()
                } else {
                    serial.strip_prefix(rule.prefix.as_str())?
                };
                national_id::parse(value, &[rule.scheme]).ok()
            })
            .ok_or(Refusal::NoIdentity)?;
        let NationalId { scheme, value } = national_id;
        let hardware = cert.extensions().iter().any(|e| {
            e.oid.to_id_string() == OID_QC_STATEMENTS
                && e.value.windows(QC_SSCD_DER.len()).any(|w| w == QC_SSCD_DER)
        });
        Ok(CertIdentity {
            scheme,
            national_id: value,
            given_name: subject_attr(cert, OID_GIVEN_NAME).unwrap_or_default(),
            family_name: subject_attr(cert, OID_SURNAME).unwrap_or_default(),
            organization_id: subject_attr(cert, OID_ORGANIZATION_IDENTIFIER),
            organization_name: subject_attr(cert, OID_ORGANIZATION_NAME),
            issuer: cert.issuer().to_string(),
            serial: cert.raw_serial_as_string().replace(':', ""),
            hardware,
        })
    }

    /// A CRL from the cache while before its `nextUpdate`, else fetched (and kept only once
    /// `remember_crl` is told it verified). `None` when it cannot be had.
    async fn crl(&self, url: &str, now_ms: i64) -> Option<FetchedCrl> {
        if let Ok(cache) = self.crls.lock()
            && let Some(c) = cache.get(url)
            && c.next_update_ms > now_ms
        {
            return Some(FetchedCrl {
                der: c.der.clone(),
                next_update_ms: c.next_update_ms,
            });
        }
        let der = match self.fetcher.fetch(url).await {
            Ok(der) => der,
            Err(e) => {
                tracing::warn!(url, error = %e, "CRL unavailable");
                return None;
            }
        };
        let next_update_ms = CertificateRevocationList::from_der(&der)
            .ok()
            .and_then(|(_, crl)| crl.next_update())
            .map(|t| t.timestamp() * 1000)
            .unwrap_or(0);
        Some(FetchedCrl {
            der,
            next_update_ms,
        })
    }

    /// Keeps a CRL whose signature verified, until its `nextUpdate`.
    fn remember_crl(&self, url: &str, crl: &FetchedCrl) {
        if crl.next_update_ms == 0 {
            return;
        }
        if let Ok(mut cache) = self.crls.lock() {
            cache.insert(
                url.to_owned(),
                CachedCrl {
                    der: crl.der.clone(),
                    next_update_ms: crl.next_update_ms,
                },
            );
        }
    }

    fn forget_crl(&self, url: &str) {
        if let Ok(mut cache) = self.crls.lock() {
            cache.remove(url);
        }
    }
}

/// A CRL as fetched or cached: its DER and its `nextUpdate` (0: none).
struct FetchedCrl {
    der: Vec<u8>,
    next_update_ms: i64,
}

/// A certificate's CRL distribution points (http and https URIs).
fn distribution_points(cert: &X509Certificate<'_>) -> Vec<String> {
    let mut urls = Vec::new();
    for ext in cert.extensions() {
        if let ParsedExtension::CRLDistributionPoints(points) = ext.parsed_extension() {
            for p in points.iter() {
                if let Some(DistributionPointName::FullName(names)) = &p.distribution_point {
                    for n in names {
                        if let GeneralName::URI(u) = n
                            && (u.starts_with("http://") || u.starts_with("https://"))
                        {
                            urls.push((*u).to_owned());
                        }
                    }
                }
            }
        }
    }
    urls
}

/// A signing application's answer as bytes: the chain's certificates (DER, end entity first, at
/// most `MAX_CHAIN`) and the signature.
pub fn decode_answer(a: &Answer) -> std::result::Result<(Vec<Vec<u8>>, Vec<u8>), Refusal> {
    if a.chain.is_empty() || a.chain.len() > MAX_CHAIN {
        return Err(Refusal::Malformed);
    }
    let chain = a
        .chain
        .iter()
        .map(|c| BASE64.decode(c.as_bytes()))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| Refusal::Malformed)?;
    let sig = BASE64
        .decode(a.signature.as_bytes())
        .map_err(|_| Refusal::Malformed)?;
    Ok((chain, sig))
}

/// Checks a challenge signature made with the end-entity certificate's key.
pub fn verify_signature(
    ee_der: &[u8],
    algorithm: &str,
    msg: &[u8],
    sig: &[u8],
) -> std::result::Result<(), Refusal> {
    let alg = signature_algorithm(algorithm).ok_or(Refusal::BadSignature)?;
    let der = CertificateDer::from(ee_der);
    let ee = EndEntityCert::try_from(&der).map_err(|_| Refusal::Malformed)?;
    ee.verify_signature(alg, msg, sig)
        .map_err(|_| Refusal::BadSignature)
}

/// What a signing application posts for a challenge.
#[derive(Debug, Clone, Deserialize)]
pub struct Answer {
    pub challenge: String,
    pub algorithm: String,
    /// Base64 (standard alphabet).
    pub signature: String,
    /// Base64 DER certificates, end entity first.
    pub chain: Vec<String>,
}

/// Where an e-signature login stands, for the waiting page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Waiting {
        text: String,
    },
    Verified,
    Refused(Refusal),
    /// The challenge belongs to another browser.
    Elsewhere,
    Gone,
}

/// How a verified e-signature login ends.
pub enum Finish {
    Session(crate::login::NewSession),
    /// No account yet: the mandatory-data page, with the names from the certificate.
    Register(CertIdentity),
    AccountLocked,
}

/// Lifetime of a challenge (design note 0004).
pub const CHALLENGE_TTL_MS: i64 = 2 * 60 * 1000;
/// How long after its signature a verified challenge may still open an account.
const REGISTER_WITHIN_MS: i64 = 15 * 60 * 1000;
const MAX_CHAIN: usize = 5;
const SEAL_CONTEXT: &str = "npass esign challenge nonce v1";

use crate::audit;
use crate::challenge::{Challenge, ChallengeKind, ChallengeState, Challenges, Seen, Unanswerable};
use crate::error::{Error, Result};
use crate::login::{Certificate, Client, LoginError, LoginTransaction, Logins, Verifier};
use crate::model::{Account, AccountStatus, Assurance, Profile};
use crate::seal::Sealer;
use crate::service::Env;
use crate::store::{AccountStore, AuditStore};
use data_encoding::BASE64;

/// What a verified or taken e-signature challenge proved.
fn outcome_of(c: &Challenge) -> Result<CertIdentity> {
    match &c.state {
        ChallengeState::Verified { outcome } | ChallengeState::Taken { outcome } => {
            serde_json::from_str(outcome).map_err(|e| Error::Internal(e.to_string()))
        }
        _ => Err(Error::NotFound),
    }
}

/// How the holder proved possession of the certificate's key.
enum Proof<'a> {
    Signed(&'a Answer),
    Tls(&'a [Vec<u8>]),
}

impl Proof<'_> {
    fn name(&self) -> &'static str {
        match self {
            Proof::Signed(_) => "signed-challenge",
            Proof::Tls(_) => "tls-client-certificate",
        }
    }
}

/// The nonce of a challenge text (its last part).
pub fn nonce_of(text: &str) -> &str {
    text.rsplit('|').next().unwrap_or("")
}

fn challenge_text(issuer: &str, id: &str, nonce: &str) -> String {
    format!(
        "npass-esign-v1|{}|{id}|{nonce}",
        issuer.trim_end_matches('/')
    )
}

/// E-signature login and registration (design note 0004) over the cross-device challenge and
/// the login transaction it serves.
pub struct Esignatures {
    /// Organisation certificates enter the register and make their holder its administrator.
    pub(crate) orgs: crate::orgs::Organizations,
    pub(crate) challenges: Challenges,
    pub(crate) accounts: Arc<dyn AccountStore>,
    pub(crate) audit: Arc<dyn AuditStore>,
    pub(crate) logins: Arc<Logins>,
    pub(crate) verifier: Esign,
    pub(crate) env: Env,
    pub(crate) sealer: Arc<Sealer>,
}

impl Esignatures {
    /// Is e-signature login configured (trusted roots given)?
    pub fn enabled(&self) -> bool {
        self.verifier.enabled()
    }

    /// A new challenge for the browser whose pre-session id is `pre_id`, serving a login
    /// transaction stored for it: its id and the text to sign.
    pub async fn esign_start(&self, pre_id: &str) -> Result<(String, String)> {
        if !self.verifier.enabled() {
            return Err(Error::Forbidden("esign-not-configured"));
        }
        let login = self
            .logins
            .login_save(LoginTransaction::for_browser(pre_id))
            .await?;
        // While waiting, the nonce sealed under the master key, so the waiting page can show
        // the text again; the settled outcome replaces it.
        let seal = |_: &str, nonce: &str| {
            let sealed = self
                .sealer
                .seal(nonce.as_bytes(), SEAL_CONTEXT, self.env.rng.as_ref())?;
            Ok(BASE64.encode(&sealed))
        };
        let (c, nonce) = self
            .challenges
            .open(ChallengeKind::Esign, pre_id, login, CHALLENGE_TTL_MS, seal)
            .await?;
        let text = challenge_text(&self.env.policy.public_url, &c.id, &nonce);
        Ok((c.id, text))
    }

    /// A signing application's answer. `Ok(Err(refusal))` is a decision (recorded when the
    /// challenge was genuine); `Err` is a fault (nothing recorded).
    pub async fn esign_answer(
        &self,
        id: &str,
        a: &Answer,
        client: &Client,
    ) -> Result<std::result::Result<CertIdentity, Refusal>> {
        let nonce = a
            .challenge
            .strip_prefix(&challenge_text(&self.env.policy.public_url, id, ""))
            .unwrap_or("");
        self.esign_settle(id, nonce, Proof::Signed(a), client).await
    }

    /// A certificate presented in a TLS handshake on the e-signature listener (the handshake
    /// proved possession of its key) for challenge `id`, whose nonce came with the request.
    pub async fn esign_tls(
        &self,
        id: &str,
        nonce: &str,
        chain: &[Vec<u8>],
        client: &Client,
    ) -> Result<std::result::Result<CertIdentity, Refusal>> {
        self.esign_settle(id, nonce, Proof::Tls(chain), client)
            .await
    }

    /// Checks that the challenge may be answered with `nonce`, then the proof, and records the
    /// decision once.
    async fn esign_settle(
        &self,
        id: &str,
        nonce: &str,
        proof: Proof<'_>,
        client: &Client,
    ) -> Result<std::result::Result<CertIdentity, Refusal>> {
        let now = self.env.now();
        let via = proof.name();
        // An answer refused before its proof is looked at is recorded too (docs/esign.md).
        let refuse = |r: Refusal| async move {
            let ev = audit::event(
                "esign.answer-refused",
                None,
                Some(&client.ip),
                serde_json::json!({"reason": r.code(), "via": via}),
            );
            self.audit.audit_append(&ev, None, now).await?;
            Ok(Err(r))
        };
        if let Err(u) = self
            .challenges
            .answerable(ChallengeKind::Esign, id, nonce)
            .await?
        {
            return refuse(match u {
                Unanswerable::Unknown => Refusal::ChallengeUnknown,
                Unanswerable::Used => Refusal::ChallengeUsed,
                Unanswerable::Expired => Refusal::ChallengeExpired,
            })
            .await;
        }
        let decision = match proof {
            Proof::Signed(a) => self.esign_check(a, now).await,
            Proof::Tls([]) => Err(Refusal::NoCertificate),
            Proof::Tls(chain) => self.verifier.verify(chain, now).await,
        };
        let (to, ev) = match &decision {
            Ok(ident) => (
                ChallengeState::Verified {
                    outcome: serde_json::to_string(ident)
                        .map_err(|e| Error::Internal(e.to_string()))?,
                },
                audit::event(
                    "esign.verified",
                    None,
                    Some(&client.ip),
                    serde_json::json!({"issuer": ident.issuer, "serial": ident.serial,
                        "organization_id": ident.organization_id, "hardware": ident.hardware,
                        "via": proof.name()}),
                ),
            ),
            Err(r) => (
                ChallengeState::Refused {
                    reason: r.code().to_owned(),
                },
                audit::event(
                    "esign.refused",
                    None,
                    Some(&client.ip),
                    serde_json::json!({"reason": r.code(), "via": proof.name()}),
                ),
            ),
        };
        if !self.challenges.settle(id, &to, &ev, now).await? {
            return refuse(Refusal::ChallengeUsed).await;
        }
        Ok(decision)
    }

    async fn esign_check(
        &self,
        a: &Answer,
        now: i64,
    ) -> std::result::Result<CertIdentity, Refusal> {
        let (chain, sig) = decode_answer(a)?;
        let ee = chain.first().ok_or(Refusal::Malformed)?;
        verify_signature(ee, &a.algorithm, a.challenge.as_bytes(), &sig)?;
        self.verifier.verify(&chain, now).await
    }

    /// Where the challenge stands for this browser.
    pub async fn esign_state(&self, id: &str, pre_id: &str) -> Result<State> {
        let c = match self.challenges.seen(id, pre_id).await? {
            Seen::Gone => return Ok(State::Gone),
            Seen::Elsewhere => return Ok(State::Elsewhere),
            Seen::Expired => return Ok(State::Refused(Refusal::ChallengeExpired)),
            Seen::Current(c) if c.kind == ChallengeKind::Esign => c,
            Seen::Current(_) => return Ok(State::Gone),
        };
        Ok(match c.state {
            ChallengeState::Waiting { shown } => {
                let sealed = BASE64
                    .decode(shown.as_bytes())
                    .map_err(|e| Error::Internal(e.to_string()))?;
                let nonce = self.sealer.open(&sealed, SEAL_CONTEXT)?;
                State::Waiting {
                    text: challenge_text(
                        &self.env.policy.public_url,
                        id,
                        &String::from_utf8_lossy(&nonce),
                    ),
                }
            }
            ChallengeState::Verified { .. } => State::Verified,
            ChallengeState::Refused { reason } => {
                State::Refused(Refusal::from_code(&reason).unwrap_or(Refusal::Untrusted))
            }
            ChallengeState::Taken { .. } => State::Gone,
        })
    }

    /// Takes a verified challenge (once, by the browser it is bound to) and logs its holder in
    /// through the certificate verifier and the login transaction the challenge serves, or
    /// sends a newcomer to the mandatory-data page.
    pub async fn esign_finish(
        &self,
        id: &str,
        pre_id: &str,
        replaces: Option<&str>,
        client: &Client,
    ) -> Result<Finish> {
        // The transaction it serves must still be there before the challenge is spent.
        let Seen::Current(seen) = self.challenges.seen(id, pre_id).await? else {
            return Err(Error::NotFound);
        };
        let mut tx = self
            .logins
            .login_resume(&seen.login, pre_id)
            .await?
            .ok_or(Error::NotFound)?;
        let c = self.challenges.take(id, pre_id).await?;
        let ident = outcome_of(&c)?;
        let Some(account) = self
            .accounts
            .account_by_national_id(&ident.national_id)
            .await?
        else {
            return Ok(Finish::Register(ident));
        };
        tx.account = Some(account.clone());
        match self.esign_login(tx, &ident, replaces, client).await? {
            Ok(ns) => {
                self.note_certificate(&account, &ident, client).await?;
                if let Some(org) = &ident.organization_id {
                    let name = ident.organization_name.as_deref().unwrap_or_default();
                    self.orgs
                        .from_certificate(&account, org, name, client)
                        .await?;
                }
                Ok(Finish::Session(ns))
            }
            Err(LoginError::AccountLocked) => Ok(Finish::AccountLocked),
            Err(_) => Err(Error::NotFound),
        }
    }

    /// A certificate the account never logged in with before (nor opened it with) is
    /// recorded, and the citizen is emailed: a new card or token in someone else's hands
    /// would otherwise go unnoticed.
    async fn note_certificate(
        &self,
        account: &Account,
        ident: &CertIdentity,
        client: &Client,
    ) -> Result<()> {
        let seen = self
            .audit
            .audit_for_account(
                &account.id,
                &["esign.certificate-new", "account.register-esign"],
                1000,
            )
            .await?;
        let same = |d: &serde_json::Value| {
            d.get("issuer").and_then(|v| v.as_str()) == Some(ident.issuer.as_str())
                && d.get("serial").and_then(|v| v.as_str()) == Some(ident.serial.as_str())
        };
        if seen.iter().any(|r| same(&r.event.detail)) {
            return Ok(());
        }
        let ev = audit::event(
            "esign.certificate-new",
            Some(&account.id),
            Some(&client.ip),
            serde_json::json!({"issuer": ident.issuer, "serial": ident.serial}),
        );
        let mail = self.env.mail(
            &account.profile.email,
            &account.profile.language,
            "certificate-new",
            &[("issuer", &ident.issuer), ("serial", &ident.serial)],
        );
        self.audit
            .audit_append(&ev, Some(&mail), self.env.now())
            .await?;
        (self.env.mail_waker)();
        Ok(())
    }

    /// The certificate verifier and the session, for a transaction; faults apart.
    async fn esign_login(
        &self,
        mut tx: LoginTransaction,
        ident: &CertIdentity,
        replaces: Option<&str>,
        client: &Client,
    ) -> Result<std::result::Result<crate::login::NewSession, LoginError>> {
        let run = async {
            Certificate
                .verify(&self.logins, &mut tx, ident, client)
                .await?;
            self.logins.complete(tx, replaces, client).await
        };
        match run.await {
            Err(LoginError::Unavailable(e)) => Err(e),
            r => Ok(r),
        }
    }

    /// Deletes challenges no page can use any more (an hour after they expired: well past the
    /// registration window of a verified one).
    pub async fn esign_sweep(&self) -> Result<u64> {
        self.challenges
            .sweep(self.env.now() - CHALLENGE_TTL_MS - 60 * 60 * 1000)
            .await
    }

    /// The identity a taken challenge proved, while it may still open an account, with the
    /// challenge.
    async fn esign_taken(&self, id: &str, pre_id: &str) -> Result<(Challenge, CertIdentity)> {
        let Seen::Current(c) = self.challenges.seen(id, pre_id).await? else {
            return Err(Error::NotFound);
        };
        let fresh = c
            .settled_at
            .is_some_and(|t| self.env.now() < t + REGISTER_WITHIN_MS);
        if !matches!(c.state, ChallengeState::Taken { .. }) || !fresh {
            return Err(Error::NotFound);
        }
        let ident = outcome_of(&c)?;
        Ok((c, ident))
    }

    /// The identity a taken challenge proved, while it may still open an account.
    pub async fn esign_newcomer(&self, id: &str, pre_id: &str) -> Result<CertIdentity> {
        Ok(self.esign_taken(id, pre_id).await?.1)
    }

    /// Opens the account of a person the certificate identified (assurance `verified`) with the
    /// mandatory data they gave, and logs them in at level high.
    pub async fn esign_register(
        &self,
        id: &str,
        pre_id: &str,
        data: crate::register::MandatoryData,
        client: &Client,
    ) -> std::result::Result<crate::login::NewSession, Vec<Error>> {
        let (c, ident) = self.esign_taken(id, pre_id).await.map_err(|e| vec![e])?;
        let tx = self
            .logins
            .login_resume(&c.login, pre_id)
            .await
            .and_then(|tx| tx.ok_or(Error::NotFound))
            .map_err(|e| vec![e])?;
        let profile = Profile {
            given_name: ident.given_name.clone(),
            family_name: ident.family_name.clone(),
            birth_date: data.birth_date.trim().to_owned(),
            email: data.email.trim().to_owned(),
            phone: String::new(),
            language: data.language.clone(),
        };
        let mut errors = Vec::new();
        let now = self.env.now();
        if let Err(e) = crate::register::check_birth_date(&profile.birth_date, now) {
            errors.push(e);
        }
        if let Err(e) = crate::register::check_email(&profile.email) {
            errors.push(e);
        }
        let phone = crate::register::check_phone(&data.phone, &self.env.policy.phone_region)
            .unwrap_or_else(|e| {
                errors.push(e);
                String::new()
            });
        if !errors.is_empty() {
            return Err(errors);
        }
        let account = Account {
            id: self.env.new_id().into(),
            national_id: crate::national_id::NationalId {
                scheme: ident.scheme,
                value: ident.national_id.clone(),
            },
            profile: Profile { phone, ..profile },
            assurance: Assurance::Verified,
            status: AccountStatus::Active,
            password_hash: None,
            created_at: now,
        };
        let ev = audit::event(
            "account.register-esign",
            Some(&account.id),
            Some(&client.ip),
            serde_json::json!({"issuer": ident.issuer, "serial": ident.serial}),
        );
        self.accounts
            .create_account(&account, None, None, &ev, now)
            .await
            .map_err(|e| match e {
                Error::Conflict(_) => vec![Error::invalid("national_id", "account-exists")],
                e => vec![e],
            })?;
        let mut tx = tx;
        tx.account = Some(account);
        match self.esign_login(tx, &ident, None, client).await {
            Ok(Ok(ns)) => Ok(ns),
            Ok(Err(_)) => Err(vec![Error::NotFound]),
            Err(e) => Err(vec![e]),
        }
    }
}
