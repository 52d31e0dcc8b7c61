//! XML signatures, behind npass's own small trait: the rest of the SAML code never sees the
//! library. `Xmlsec` is xmlsec1 (over libxml2 and OpenSSL) through samael's bindings; npass
//! writes no canonicalisation or signature code of its own. Documents reach it only after
//! `xml::parse` refused DTDs, entities, processing instructions and oversized input.

use samael::crypto::{
    AllowedSignatureAlgorithm, CertificateDer, Crypto, CryptoProvider, ReduceMode,
};

/// Why a signature was not good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DsigError {
    /// No signature, one by another key, a broken one, or one that covers more or less than
    /// exactly one element.
    Invalid,
    /// A signature or digest algorithm npass does not accept (SHA-1, for one).
    Algorithm,
    /// The library could not do its work (a key it cannot load, a template it cannot fill).
    Library(String),
}

/// The signature algorithms npass accepts from services: SHA-256 or stronger, RSA or ECDSA.
/// SHA-1 (and anything else) is refused before any key is tried.
const ACCEPTED: &[AllowedSignatureAlgorithm] = &[
    AllowedSignatureAlgorithm::RsaSha256,
    AllowedSignatureAlgorithm::RsaSha384,
    AllowedSignatureAlgorithm::RsaSha512,
    AllowedSignatureAlgorithm::EcdsaSha256,
    AllowedSignatureAlgorithm::EcdsaSha384,
    AllowedSignatureAlgorithm::EcdsaSha512,
];

pub const SHA1_METHODS: &[&str] = &[
    "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
    "http://www.w3.org/2000/09/xmldsig#dsa-sha1",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1",
    "http://www.w3.org/2000/09/xmldsig#sha1",
];

/// XML signatures as npass uses them.
pub trait XmlSignatures: Send + Sync {
    /// The one element of `xml` that a signature by one of `certificates` (DER) covers, as the
    /// canonical bytes the signature was checked over: the caller reads only these, never the
    /// document around them (no signature wrapping). Keys in the document's `KeyInfo` are
    /// never used.
    fn verified(&self, xml: &str, certificates: &[Vec<u8>]) -> Result<String, DsigError>;

    /// `xml`, whose first `Signature` element is a template (see `xml::signature_template`),
    /// signed with the PKCS#8 key `pkcs8`.
    fn sign(&self, xml: &str, pkcs8: &[u8]) -> Result<String, DsigError>;
}

/// xmlsec1 through samael.
pub struct Xmlsec;

impl XmlSignatures for Xmlsec {
    fn verified(&self, xml: &str, certificates: &[Vec<u8>]) -> Result<String, DsigError> {
        if SHA1_METHODS.iter().any(|m| xml.contains(m)) {
            return Err(DsigError::Algorithm);
        }
        if certificates.is_empty() {
            return Err(DsigError::Invalid);
        }
        let certs: Vec<CertificateDer> = certificates
            .iter()
            .map(|c| CertificateDer::from(c.clone()))
            .collect();
        Crypto::reduce_xml_to_signed_with_allowed_algorithms(
            xml,
            &certs,
            ReduceMode::PreDigest,
            Some(ACCEPTED),
        )
        .map_err(|_| DsigError::Invalid)
    }

    fn sign(&self, xml: &str, pkcs8: &[u8]) -> Result<String, DsigError> {
        Crypto::sign_xml(xml, pkcs8).map_err(|e| DsigError::Library(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::jwt;
    use crate::relying::SigningAlg;
    use crate::saml::xml::signature_template;

    fn key(alg: SigningAlg) -> (Vec<u8>, Vec<u8>) {
        let (der, _) = match alg {
            SigningAlg::Rs256 => jwt::generate_rs256("k").unwrap(),
            SigningAlg::Es256 => jwt::generate_es256("k").unwrap(),
        };
        let cert = jwt::self_signed_certificate(alg, &der, "k", "test", 0).unwrap();
        (der, cert)
    }

    fn message(alg: SigningAlg, cert: &[u8]) -> String {
        format!(
            r#"<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_abc" Version="2.0" IssueInstant="2026-12-07T10:00:00Z"><saml:Issuer>https://sp.example.md</saml:Issuer>{}<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:LogoutResponse>"#,
            signature_template("_abc", alg, cert)
        )
    }

    #[test]
    fn signs_and_verifies_with_npass_keys_and_only_with_the_right_one() {
        for alg in [SigningAlg::Rs256, SigningAlg::Es256] {
            let (der, cert) = key(alg);
            let signed = Xmlsec.sign(&message(alg, &cert), &der).unwrap();
            assert!(!signed.contains("<ds:SignatureValue/>"), "{signed}");
            let got = Xmlsec
                .verified(&signed, std::slice::from_ref(&cert))
                .unwrap();
            assert!(got.starts_with("<samlp:LogoutResponse"), "{got}");
            assert!(
                !got.contains("SignatureValue"),
                "the enveloped signature is left out"
            );
            // Another key: refused, even though the document names its own certificate.
            let (_, other) = key(alg);
            assert_eq!(Xmlsec.verified(&signed, &[other]), Err(DsigError::Invalid));
            // A changed byte in what was signed: refused.
            let tampered = signed.replace("sp.example.md", "sp.example.mx");
            assert_eq!(Xmlsec.verified(&tampered, &[cert]), Err(DsigError::Invalid));
        }
    }
}
