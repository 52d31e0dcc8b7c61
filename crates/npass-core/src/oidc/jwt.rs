//! Compact JWS with ES256 (P-256, SHA-256) on aws-lc-rs: signing keys, JWKS, signing and
//! verifying our own tokens. Only asymmetric algorithms exist here; `none` and HS* cannot be
//! expressed.

use crate::ids::Kid;
use crate::relying::SigningAlg;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use data_encoding::BASE64URL_NOPAD;
use serde_json::{Value, json};
use sha2::Digest;

use crate::error::{Error, Result};

/// A signing key as stored: the PKCS#8 private key is sealed; the public part is a JWK.
#[derive(Debug, Clone)]
pub struct SigningKey {
    pub kid: Kid,
    pub alg: SigningAlg,
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
    alg: SigningAlg,
    pkcs8: &[u8],
    kid: &str,
    subject: &str,
    from_ms: i64,
) -> Result<Vec<u8>> {
    let bad = |e: rcgen::Error| Error::Internal(format!("certificate: {e}"));
    let sign_alg = match alg {
        SigningAlg::Rs256 => &rcgen::PKCS_RSA_SHA256,
        SigningAlg::Es256 => &rcgen::PKCS_ECDSA_P256_SHA256,
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
    Signer::from_pkcs8(SigningAlg::Es256, pkcs8)?.sign(kid, typ, claims)
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
    pub fn from_pkcs8(alg: SigningAlg, pkcs8: &[u8]) -> Result<Self> {
        match alg {
            SigningAlg::Es256 => EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8)
                .map(Signer::Es256)
                .map_err(|_| Error::Internal("signing key".into())),
            SigningAlg::Rs256 => aws_lc_rs::rsa::KeyPair::from_pkcs8(pkcs8)
                .map(Signer::Rs256)
                .map_err(|_| Error::Internal("signing key".into())),
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
        let sig = self.sign_bytes(input.as_bytes())?;
        Ok(format!("{input}.{}", BASE64URL_NOPAD.encode(&sig)))
    }

    /// The raw signature over `msg`: PKCS#1 v1.5 with SHA-256, or ECDSA P-256 with SHA-256 as
    /// r‖s (what JWS and SAML's Redirect binding both take).
    pub fn sign_bytes(&self, msg: &[u8]) -> Result<Vec<u8>> {
        Ok(match self {
            Signer::Es256(pair) => pair
                .sign(&SystemRandom::new(), msg)
                .map_err(|_| Error::Internal("signing".into()))?
                .as_ref()
                .to_vec(),
            Signer::Rs256(pair) => {
                let mut sig = vec![0u8; pair.public_modulus_len()];
                pair.sign(
                    &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                    &SystemRandom::new(),
                    msg,
                    &mut sig,
                )
                .map_err(|_| Error::Internal("signing".into()))?;
                sig
            }
        })
    }
}

/// Verifies a JWS signed by someone else (an e-service's client assertion) with a key from
/// their registered JWKS: ES256 (P-256), RS256 or PS256 (RSA of 2048 bits or more), chosen by
/// the header's `alg` and matched by `kid` (or the only key). Returns the claims; what they say
/// (audience, expiry, replay) is the caller's to check against the Clock. The signature is
/// checked by `jsonwebtoken` on aws-lc-rs (measured against npass's own: docs/performance.md).
pub fn verify_with_jwks(token: &str, jwks: &Value) -> Option<Value> {
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::Jwk};
    if token.len() > 8192 {
        return None;
    }
    let header = jsonwebtoken::decode_header(token).ok()?;
    let keys = jwks.get("keys")?.as_array()?;
    let key = match header.kid.as_deref() {
        Some(kid) => keys
            .iter()
            .find(|k| k.get("kid").and_then(Value::as_str) == Some(kid))?,
        None if keys.len() == 1 => keys.first()?,
        None => return None,
    };
    let (kty, crv) = (
        key.get("kty").and_then(Value::as_str),
        key.get("crv").and_then(Value::as_str),
    );
    match (header.alg, kty, crv) {
        (Algorithm::ES256, Some("EC"), Some("P-256")) => {}
        (Algorithm::RS256 | Algorithm::PS256, Some("RSA"), _) => {}
        _ => return None,
    }
    let jwk: Jwk = serde_json::from_value(key.clone()).ok()?;
    let decoding = DecodingKey::from_jwk(&jwk).ok()?;
    let mut rules = Validation::new(header.alg);
    rules.required_spec_claims.clear();
    rules.validate_exp = false;
    rules.validate_aud = false;
    rules.leeway = 0;
    jsonwebtoken::decode::<Value>(token, &decoding, &rules)
        .ok()
        .map(|t| t.claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_refuse_tampering() {
        let (der, jwk) = generate_es256("k1").unwrap();
        let key = SigningKey {
            kid: "k1".into(),
            alg: SigningAlg::Es256,
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

    /// A JWS over `claims` with `header`, signed by `sign`.
    fn jws(header: &Value, claims: &Value, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
        let input = format!("{}.{}", b64json(header).unwrap(), b64json(claims).unwrap());
        let sig = sign(input.as_bytes());
        format!("{input}.{}", BASE64URL_NOPAD.encode(&sig))
    }

    #[test]
    fn client_assertions_verify_only_with_the_named_key_of_the_right_kind() {
        let claims = json!({"iss": "es_1", "jti": "j"});
        let (ec_der, ec_jwk) = generate_es256("ec").unwrap();
        let (rsa_der, rsa_jwk) = generate_rs256("rsa").unwrap();
        let jwks = json!({"keys": [ec_jwk.clone(), rsa_jwk.clone()]});
        let es = Signer::from_pkcs8(SigningAlg::Es256, &ec_der)
            .unwrap()
            .sign("ec", "JWT", &claims)
            .unwrap();
        let rs = Signer::from_pkcs8(SigningAlg::Rs256, &rsa_der)
            .unwrap()
            .sign("rsa", "JWT", &claims)
            .unwrap();
        assert_eq!(verify_with_jwks(&es, &jwks).unwrap()["iss"], "es_1");
        assert_eq!(verify_with_jwks(&rs, &jwks).unwrap()["jti"], "j");

        // PS256 with the RSA key verifies; the same bytes called RS256 do not.
        let rsa = aws_lc_rs::signature::RsaKeyPair::from_pkcs8(&rsa_der).unwrap();
        let pss = |alg: &str| {
            jws(&json!({"alg": alg, "kid": "rsa"}), &claims, |m| {
                let mut sig = vec![0; rsa.public_modulus_len()];
                rsa.sign(
                    &aws_lc_rs::signature::RSA_PSS_SHA256,
                    &SystemRandom::new(),
                    m,
                    &mut sig,
                )
                .unwrap();
                sig
            })
        };
        assert!(verify_with_jwks(&pss("PS256"), &jwks).is_some());
        assert!(verify_with_jwks(&pss("RS256"), &jwks).is_none());

        // Without a kid only a JWKS of one key names it; an unknown kid names none.
        let ec = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &ec_der).unwrap();
        let es_sign = |m: &[u8]| ec.sign(&SystemRandom::new(), m).unwrap().as_ref().to_vec();
        let no_kid = jws(&json!({"alg": "ES256"}), &claims, es_sign);
        assert!(verify_with_jwks(&no_kid, &jwks).is_none());
        assert!(verify_with_jwks(&no_kid, &json!({"keys": [ec_jwk.clone()]})).is_some());
        let other = jws(&json!({"alg": "ES256", "kid": "gone"}), &claims, es_sign);
        assert!(verify_with_jwks(&other, &jwks).is_none());

        // The key's kind and curve must be the algorithm's.
        let mut p384 = ec_jwk.clone();
        p384["crv"] = json!("P-384");
        assert!(verify_with_jwks(&es, &json!({"keys": [p384]})).is_none());
        let es_on_rsa = jws(&json!({"alg": "ES256", "kid": "rsa"}), &claims, es_sign);
        assert!(verify_with_jwks(&es_on_rsa, &jwks).is_none());

        // `none`, HMAC with a public value as the secret, a payload changed after signing.
        let none = format!(
            "{}.{}.",
            b64json(&json!({"alg": "none", "kid": "ec"})).unwrap(),
            b64json(&claims).unwrap()
        );
        assert!(verify_with_jwks(&none, &jwks).is_none());
        let x = ec_jwk["x"].as_str().unwrap().as_bytes().to_vec();
        let hs = jws(&json!({"alg": "HS256", "kid": "ec"}), &claims, |m| {
            aws_lc_rs::hmac::sign(
                &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &x),
                m,
            )
            .as_ref()
            .to_vec()
        });
        assert!(verify_with_jwks(&hs, &jwks).is_none());
        let mut parts: Vec<String> = es.split('.').map(str::to_owned).collect();
        parts[1] = b64json(&json!({"iss": "es_2", "jti": "j"})).unwrap();
        assert!(verify_with_jwks(&parts.join("."), &jwks).is_none());
    }
}
