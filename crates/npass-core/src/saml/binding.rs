//! SAML's two bindings as npass reads and writes them: HTTP-POST (a base64 form field) and
//! HTTP-Redirect (raw DEFLATE, base64, in the query, signed over the query string). The
//! Redirect signature is over bytes, not XML: it is checked with aws-lc-rs against the
//! service's registered certificates, over the parameters exactly as the service encoded them
//! (SAML Bindings §3.4.4.1) — a library that re-encodes them would refuse services whose
//! encoder differs in case or in which characters it escapes.

use std::io::Read;

use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use data_encoding::BASE64;

use super::xml::MAX_MESSAGE;

/// Why a bound message was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindingError {
    /// Not base64, not DEFLATE, not UTF-8, or a parameter repeated or missing.
    Malformed,
    /// Larger than `MAX_MESSAGE`, encoded or inflated.
    TooLarge,
    /// No signature, a signature algorithm npass does not take, or a bad signature.
    Signature,
}

/// A POST binding's form field: base64 (line breaks allowed) of the XML.
pub fn decode_post(field: &str) -> Result<String, BindingError> {
    if field.len() > MAX_MESSAGE * 4 / 3 + 1024 {
        return Err(BindingError::TooLarge);
    }
    let compact: String = field.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = BASE64
        .decode(compact.as_bytes())
        .map_err(|_| BindingError::Malformed)?;
    if bytes.len() > MAX_MESSAGE {
        return Err(BindingError::TooLarge);
    }
    String::from_utf8(bytes).map_err(|_| BindingError::Malformed)
}

pub fn encode_post(xml: &str) -> String {
    BASE64.encode(xml.as_bytes())
}

/// A Redirect binding's message: base64 of raw DEFLATE, inflated to at most `MAX_MESSAGE`
/// bytes (a deflate bomb stops there).
pub fn decode_redirect(value: &str) -> Result<String, BindingError> {
    if value.len() > MAX_MESSAGE {
        return Err(BindingError::TooLarge);
    }
    let compressed = BASE64
        .decode(value.trim().as_bytes())
        .map_err(|_| BindingError::Malformed)?;
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(compressed.as_slice())
        .take(MAX_MESSAGE as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|_| BindingError::Malformed)?;
    if out.len() > MAX_MESSAGE {
        return Err(BindingError::TooLarge);
    }
    String::from_utf8(out).map_err(|_| BindingError::Malformed)
}

pub fn encode_redirect(xml: &str) -> String {
    use std::io::Write;
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(xml.as_bytes());
    BASE64.encode(&enc.finish().unwrap_or_default())
}

/// A Redirect binding's query, each parameter as sent (still percent-encoded) and decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RedirectQuery {
    /// `SAMLRequest` or `SAMLResponse`, whichever the query holds.
    pub kind: &'static str,
    pub message: (String, String),
    pub relay_state: Option<(String, String)>,
    pub sig_alg: Option<(String, String)>,
    pub signature: Option<String>,
}

/// A query value percent-decoded (`+` is a space), as `application/x-www-form-urlencoded`.
fn pct_decode(raw: &str) -> Result<String, BindingError> {
    url::form_urlencoded::parse(format!("v={raw}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .ok_or(BindingError::Malformed)
}

impl RedirectQuery {
    /// Reads a raw query string; a repeated SAML parameter is refused (which one would count?).
    pub fn parse(query: &str) -> Result<RedirectQuery, BindingError> {
        if query.len() > MAX_MESSAGE * 2 {
            return Err(BindingError::TooLarge);
        }
        let mut q = RedirectQuery::default();
        let mut seen = Vec::new();
        for part in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            if !matches!(
                k,
                "SAMLRequest" | "SAMLResponse" | "RelayState" | "SigAlg" | "Signature"
            ) {
                continue;
            }
            if seen.contains(&k) {
                return Err(BindingError::Malformed);
            }
            seen.push(k);
            let pair = (v.to_owned(), pct_decode(v)?);
            match k {
                "SAMLRequest" => {
                    q.kind = "SAMLRequest";
                    q.message = pair;
                }
                "SAMLResponse" => {
                    q.kind = "SAMLResponse";
                    q.message = pair;
                }
                "RelayState" => q.relay_state = Some(pair),
                "SigAlg" => q.sig_alg = Some(pair),
                _ => q.signature = Some(pair.1),
            }
        }
        if q.kind.is_empty() || (seen.contains(&"SAMLRequest") && seen.contains(&"SAMLResponse")) {
            return Err(BindingError::Malformed);
        }
        Ok(q)
    }

    /// The signature is good for one of `certificates` (DER), over the parameters as sent.
    pub fn verify(&self, certificates: &[Vec<u8>]) -> Result<(), BindingError> {
        let (Some((raw_alg, alg)), Some(sig)) = (&self.sig_alg, &self.signature) else {
            return Err(BindingError::Signature);
        };
        let sig = BASE64
            .decode(sig.trim().as_bytes())
            .map_err(|_| BindingError::Signature)?;
        let mut signed = format!("{}={}", self.kind, self.message.0);
        if let Some((raw, _)) = &self.relay_state {
            signed.push_str("&RelayState=");
            signed.push_str(raw);
        }
        signed.push_str("&SigAlg=");
        signed.push_str(raw_alg);
        let good = certificates
            .iter()
            .any(|c| verify_with(c, alg, signed.as_bytes(), &sig));
        if good {
            Ok(())
        } else {
            Err(BindingError::Signature)
        }
    }
}

/// Signs a Redirect message (npass's own logout requests and responses) with a PKCS#8 key:
/// the query string to append to the service's URL.
pub fn sign_redirect(
    kind: &str,
    deflated: &str,
    relay_state: &str,
    alg: crate::relying::SigningAlg,
    pkcs8: &[u8],
) -> Result<String, crate::Error> {
    let enc = |s: &str| crate::pct_encode(s);
    let mut q = format!("{kind}={}", enc(deflated));
    if !relay_state.is_empty() {
        q.push_str(&format!("&RelayState={}", enc(relay_state)));
    }
    q.push_str(&format!(
        "&SigAlg={}",
        enc(super::xml::signature_method(alg))
    ));
    let sig = crate::oidc::jwt::Signer::from_pkcs8(alg, pkcs8)?.sign_bytes(q.as_bytes())?;
    q.push_str(&format!("&Signature={}", enc(&BASE64.encode(&sig))));
    Ok(q)
}

/// Does `sig` by the key of certificate `der` under signature method `alg` cover `msg`? RSA
/// keys under 2048 bits and SHA-1 are never good.
pub fn verify_with(der: &[u8], alg: &str, msg: &[u8], sig: &[u8]) -> bool {
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) else {
        return false;
    };
    let spki = cert.public_key();
    let key = spki.subject_public_key.data.as_ref();
    let rsa = spki.algorithm.algorithm == x509_parser::oid_registry::OID_PKCS1_RSAENCRYPTION;
    let algs: &[&'static dyn VerificationAlgorithm] = match (alg, rsa) {
        ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", true) => {
            &[&signature::RSA_PKCS1_2048_8192_SHA256]
        }
        ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha384", true) => {
            &[&signature::RSA_PKCS1_2048_8192_SHA384]
        }
        ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha512", true) => {
            &[&signature::RSA_PKCS1_2048_8192_SHA512]
        }
        // Services differ in how they write an ECDSA signature here: DER or r‖s.
        ("http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", false) => &[
            &signature::ECDSA_P256_SHA256_ASN1,
            &signature::ECDSA_P256_SHA256_FIXED,
        ],
        _ => &[],
    };
    algs.iter()
        .any(|a| UnparsedPublicKey::new(*a, key).verify(msg, sig).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_messages_inflate_within_the_cap() {
        let xml = "<samlp:AuthnRequest/>";
        assert_eq!(decode_redirect(&encode_redirect(xml)).unwrap(), xml);
        // A deflate bomb: a few hundred bytes that would inflate to 10 MB.
        let bomb = encode_redirect(&"a".repeat(10 * 1024 * 1024));
        assert!(bomb.len() < 20_000);
        assert_eq!(decode_redirect(&bomb), Err(BindingError::TooLarge));
        assert_eq!(decode_redirect("%%%"), Err(BindingError::Malformed));
        assert_eq!(decode_post(&encode_post(xml)).unwrap(), xml);
        assert_eq!(
            decode_post(&"QUFB".repeat(MAX_MESSAGE)),
            Err(BindingError::TooLarge)
        );
    }

    #[test]
    fn redirect_signatures_are_over_the_parameters_as_sent() {
        use crate::relying::SigningAlg;
        for alg in [SigningAlg::Rs256, SigningAlg::Es256] {
            let (der, _) = match alg {
                SigningAlg::Rs256 => crate::oidc::jwt::generate_rs256("k").unwrap(),
                SigningAlg::Es256 => crate::oidc::jwt::generate_es256("k").unwrap(),
            };
            let cert = crate::oidc::jwt::self_signed_certificate(alg, &der, "k", "t", 0).unwrap();
            let msg = encode_redirect("<samlp:LogoutRequest/>");
            let q = sign_redirect("SAMLRequest", &msg, "back to/here", alg, &der).unwrap();
            let parsed = RedirectQuery::parse(&q).unwrap();
            assert_eq!(parsed.relay_state.as_ref().unwrap().1, "back to/here");
            assert_eq!(parsed.verify(std::slice::from_ref(&cert)), Ok(()));
            // Another RelayState, the same signature: refused.
            let forged = q.replace("back%20to", "back%20xx");
            assert_eq!(
                RedirectQuery::parse(&forged)
                    .unwrap()
                    .verify(std::slice::from_ref(&cert)),
                Err(BindingError::Signature)
            );
            // No signature, or a repeated parameter: refused.
            let unsigned = q.split("&SigAlg").next().unwrap();
            assert_eq!(
                RedirectQuery::parse(unsigned)
                    .unwrap()
                    .verify(std::slice::from_ref(&cert)),
                Err(BindingError::Signature)
            );
            assert_eq!(
                RedirectQuery::parse(&format!("{q}&RelayState=x")),
                Err(BindingError::Malformed)
            );
        }
    }
}
