//! Compact JWS with ES256 (P-256, SHA-256) on aws-lc-rs: signing keys, JWKS, signing and
//! verifying our own tokens. Only asymmetric algorithms exist here; `none` and HS* cannot be
//! expressed.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair,
    UnparsedPublicKey,
};
use data_encoding::BASE64URL_NOPAD;
use serde_json::{Value, json};
use sha2::Digest;

use crate::error::{Error, Result};

/// A signing key as stored: the PKCS#8 private key is sealed; the public part is a JWK.
#[derive(Debug, Clone)]
pub struct SigningKey {
    pub kid: String,
    pub alg: String,
    pub sealed_private: Vec<u8>,
    pub public_jwk: Value,
    pub created_at: i64,
    /// Set when a newer key was made: this one signs until the newer one is active
    /// (`flow::KEY_ACTIVATION_MS`) and stays in the JWKS until `retire_at`.
    pub retire_at: Option<i64>,
    /// The same public key as a self-signed X.509 certificate (DER), for protocols that publish
    /// keys so (SAML metadata). Keys made before schema 11 get one on first need.
    pub certificate: Option<Vec<u8>>,
}

/// How long a signing key's certificate is valid: longer than any key is kept in use, so
/// nothing that reads it refuses a key npass still signs with.
const CERTIFICATE_YEARS: i64 = 20;

/// A self-signed certificate for the key `pkcs8` of `alg` (`ES256` or `RS256`), valid from
/// `from_ms`, its subject `CN=<subject>`, its serial derived from `kid`.
pub fn self_signed_certificate(
    alg: &str,
    pkcs8: &[u8],
    kid: &str,
    subject: &str,
    from_ms: i64,
) -> Result<Vec<u8>> {
    let bad = |e: rcgen::Error| Error::Internal(format!("certificate: {e}"));
    let sign_alg = match alg {
        "RS256" => &rcgen::PKCS_RSA_SHA256,
        _ => &rcgen::PKCS_ECDSA_P256_SHA256,
    };
    let der = rustls_pki_types::PrivatePkcs8KeyDer::from(pkcs8);
    let key = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&der, sign_alg).map_err(bad)?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(bad)?;
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::CommonName, subject);
    params.distinguished_name = dn;
    let from = time::OffsetDateTime::from_unix_timestamp(from_ms.div_euclid(1000))
        .map_err(|e| Error::Internal(format!("certificate: {e}")))?;
    params.not_before = from;
    params.not_after = from + time::Duration::days(365 * CERTIFICATE_YEARS);
    let serial = sha2::Sha256::digest(kid.as_bytes());
    // Positive, at most 20 bytes (RFC 5280 §4.1.2.2).
    let mut serial: Vec<u8> = serial.iter().take(16).copied().collect();
    if let Some(b) = serial.first_mut() {
        *b &= 0x7f;
    }
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
    params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    let cert = params.self_signed(&key).map_err(bad)?;
    Ok(cert.der().to_vec())
}

/// A new P-256 key: (kid, PKCS#8 DER, public JWK).
pub fn generate_es256(kid: &str) -> Result<(Vec<u8>, Value)> {
    let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
        .map_err(|_| Error::Internal("key generation".into()))?;
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, doc.as_ref())
        .map_err(|_| Error::Internal("key parse".into()))?;
    let point = pair.public_key().as_ref();
    let (x, y) = match (point.first(), point.get(1..33), point.get(33..65)) {
        (Some(4), Some(x), Some(y)) => (x, y),
        _ => return Err(Error::Internal("unexpected public key form".into())),
    };
    let jwk = json!({
        "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": kid,
        "x": BASE64URL_NOPAD.encode(x), "y": BASE64URL_NOPAD.encode(y),
    });
    Ok((doc.as_ref().to_vec(), jwk))
}

fn b64json<T: serde::Serialize + ?Sized>(v: &T) -> Result<String> {
    serde_json::to_vec(v)
        .map(|b| BASE64URL_NOPAD.encode(&b))
        .map_err(|e| Error::Internal(format!("token claims: {e}")))
}

/// A JWS header; serialised without building a map first.
#[derive(serde::Serialize)]
struct Header<'a> {
    alg: &'a str,
    kid: &'a str,
    typ: &'a str,
}

/// Signs `claims` with header `{alg: ES256, kid, typ}` (tests sign as an e-service would).
pub fn sign_es256(pkcs8: &[u8], kid: &str, typ: &str, claims: &Value) -> Result<String> {
    Signer::from_pkcs8("ES256", pkcs8)?.sign(kid, typ, claims)
}

/// Verifies one of our own tokens (ES256 or RS256) against our published keys; checks `typ`;
/// returns the claims. Expiry is the caller's to check against the Clock.
pub fn verify_own(token: &str, keys: &[SigningKey], typ: &str) -> Option<Value> {
    let h = token.split('.').next()?;
    let header: Value = serde_json::from_slice(&BASE64URL_NOPAD.decode(h.as_bytes()).ok()?).ok()?;
    if header.get("typ")?.as_str()? != typ || header.get("kid").is_none() {
        return None;
    }
    let alg = header.get("alg")?.as_str()?;
    if !["ES256", "RS256"].contains(&alg) {
        return None;
    }
    let jwks = json!({ "keys": keys.iter().map(|k| k.public_jwk.clone()).collect::<Vec<_>>() });
    verify_with_jwks(token, &jwks)
}

/// A new RSA-2048 key for e-services that need RS256: (PKCS#8 DER, public JWK).
pub fn generate_rs256(kid: &str) -> Result<(Vec<u8>, Value)> {
    use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
    use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
    let pair = RsaKeyPair::generate(KeySize::Rsa2048)
        .map_err(|_| Error::Internal("RSA key generation".into()))?;
    let der: Pkcs8V1Der<'static> = pair
        .as_der()
        .map_err(|_| Error::Internal("RSA key encoding".into()))?;
    let public = pair.public_key();
    let jwk = json!({
        "kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid,
        "n": BASE64URL_NOPAD.encode(public.modulus().big_endian_without_leading_zero()),
        "e": BASE64URL_NOPAD.encode(public.exponent().big_endian_without_leading_zero()),
    });
    Ok((der.as_ref().to_vec(), jwk))
}

/// A parsed private key, kept in memory so each signature does not parse PKCS#8 again.
pub enum Signer {
    Es256(EcdsaKeyPair),
    Rs256(aws_lc_rs::rsa::KeyPair),
}

impl Signer {
    pub fn from_pkcs8(alg: &str, pkcs8: &[u8]) -> Result<Self> {
        match alg {
            "ES256" => EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8)
                .map(Signer::Es256)
                .map_err(|_| Error::Internal("signing key".into())),
            "RS256" => aws_lc_rs::rsa::KeyPair::from_pkcs8(pkcs8)
                .map(Signer::Rs256)
                .map_err(|_| Error::Internal("signing key".into())),
            other => Err(Error::Internal(format!("no signer for {other}"))),
        }
    }

    /// A compact JWS with header `{alg, kid, typ}`.
    pub fn sign<T: serde::Serialize + ?Sized>(
        &self,
        kid: &str,
        typ: &str,
        claims: &T,
    ) -> Result<String> {
        let alg = match self {
            Signer::Es256(_) => "ES256",
            Signer::Rs256(_) => "RS256",
        };
        let input = format!(
            "{}.{}",
            b64json(&Header { alg, kid, typ })?,
            b64json(claims)?
        );
        let sig = match self {
            Signer::Es256(pair) => pair
                .sign(&SystemRandom::new(), input.as_bytes())
                .map_err(|_| Error::Internal("signing".into()))?
                .as_ref()
                .to_vec(),
            Signer::Rs256(pair) => {
                let mut sig = vec![0u8; pair.public_modulus_len()];
                pair.sign(
                    &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                    &SystemRandom::new(),
                    input.as_bytes(),
                    &mut sig,
                )
                .map_err(|_| Error::Internal("signing".into()))?;
                sig
            }
        };
        Ok(format!("{input}.{}", BASE64URL_NOPAD.encode(&sig)))
    }
}

/// Verifies a JWS signed by someone else (an e-service's client assertion) with a key from
/// their registered JWKS: ES256, RS256 or PS256, chosen by the header's `alg` and matched by
/// `kid` (or the only key). Returns the claims.
pub fn verify_with_jwks(token: &str, jwks: &Value) -> Option<Value> {
    use aws_lc_rs::signature::{
        RSA_PKCS1_2048_8192_SHA256, RSA_PSS_2048_8192_SHA256, RsaPublicKeyComponents,
    };
    if token.len() > 8192 {
        return None;
    }
    let mut parts = token.split('.');
    let (h, c, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header: Value = serde_json::from_slice(&BASE64URL_NOPAD.decode(h.as_bytes()).ok()?).ok()?;
    let alg = header.get("alg")?.as_str()?;
    let keys = jwks.get("keys")?.as_array()?;
    let key = match header.get("kid").and_then(Value::as_str) {
        Some(kid) => keys
            .iter()
            .find(|k| k.get("kid").and_then(Value::as_str) == Some(kid))?,
        None if keys.len() == 1 => keys.first()?,
        None => return None,
    };
    let b = |name: &str| {
        BASE64URL_NOPAD
            .decode(key.get(name)?.as_str()?.as_bytes())
            .ok()
    };
    let sig = BASE64URL_NOPAD.decode(s.as_bytes()).ok()?;
    let msg = format!("{h}.{c}");
    let ok = match (alg, key.get("kty")?.as_str()?) {
        ("ES256", "EC") if key.get("crv")?.as_str()? == "P-256" => {
            let mut point = vec![4u8];
            point.extend_from_slice(&b("x")?);
            point.extend_from_slice(&b("y")?);
            UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
                .verify(msg.as_bytes(), &sig)
                .is_ok()
        }
        ("RS256" | "PS256", "RSA") => {
            let (n, e) = (b("n")?, b("e")?);
            if n.len() < 256 {
                return None; // under 2048 bits
            }
            let params = if alg == "RS256" {
                &RSA_PKCS1_2048_8192_SHA256
            } else {
                &RSA_PSS_2048_8192_SHA256
            };
            RsaPublicKeyComponents { n: &n, e: &e }
                .verify(params, msg.as_bytes(), &sig)
                .is_ok()
        }
        _ => false,
    };
    if !ok {
        return None;
    }
    serde_json::from_slice(&BASE64URL_NOPAD.decode(c.as_bytes()).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_refuse_tampering() {
        let (der, jwk) = generate_es256("k1").unwrap();
        let key = SigningKey {
            kid: "k1".into(),
            alg: "ES256".into(),
            sealed_private: vec![],
            public_jwk: jwk,
            created_at: 0,
            retire_at: None,
            certificate: None,
        };
        let t = sign_es256(&der, "k1", "JWT", &json!({"sub": "a"})).unwrap();
        assert_eq!(
            verify_own(&t, std::slice::from_ref(&key), "JWT").unwrap()["sub"],
            "a"
        );
        assert!(
            verify_own(&t, std::slice::from_ref(&key), "at+jwt").is_none(),
            "typ is checked"
        );
        let mut parts: Vec<&str> = t.split('.').collect();
        let forged = b64json(&json!({"sub": "b"})).unwrap();
        parts[1] = &forged;
        assert!(verify_own(&parts.join("."), std::slice::from_ref(&key), "JWT").is_none());
        // alg none / HS256 headers never verify
        for alg in ["none", "HS256"] {
            let h = b64json(&json!({"alg": alg, "kid": "k1", "typ": "JWT"})).unwrap();
            let t2 = format!(
                "{h}.{}.{}",
                t.split('.').nth(1).unwrap(),
                t.split('.').nth(2).unwrap()
            );
            assert!(verify_own(&t2, std::slice::from_ref(&key), "JWT").is_none());
        }
    }
}
