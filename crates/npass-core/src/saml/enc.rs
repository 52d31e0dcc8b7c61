//! Encrypting an assertion to a service's key: XML Encryption 1.1's `EncryptedData` of type
//! Element, AES-256-GCM (or AES-256-CBC for toolkits without GCM) under a fresh key carried
//! RSA-OAEP-encrypted in an `EncryptedKey` (design note 0018). aws-lc-rs does the cryptography;
//! the XML around it is a fixed template. npass never decrypts.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::cipher::{
    AES_256, AES_CBC_IV_LEN, EncryptionContext, PaddedBlockEncryptingKey, UnboundCipherKey,
};
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::rsa::{OAEP_SHA1_MGF1SHA1, OaepPublicEncryptingKey, PublicEncryptingKey};
use data_encoding::BASE64;

use crate::error::{Error, Result};
use crate::rng::Rng;

pub const AES256_GCM: &str = "http://www.w3.org/2009/xmlenc11#aes256-gcm";
pub const AES256_CBC: &str = "http://www.w3.org/2001/04/xmlenc#aes256-cbc";
pub const RSA_OAEP_MGF1P: &str = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";

/// The RSA key (2048 bits or more) of a certificate, ready for OAEP.
pub fn rsa_key(certificate: &[u8]) -> Result<OaepPublicEncryptingKey> {
    let bad = || Error::invalid("encryption_certificate", "saml-encryption-key");
    let (_, cert) = x509_parser::parse_x509_certificate(certificate).map_err(|_| bad())?;
    match cert.public_key().parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(rsa)) if rsa.key_size() >= 2048 => {}
        _ => return Err(bad()),
    }
    let key = PublicEncryptingKey::from_der(cert.public_key().raw).map_err(|_| bad())?;
    OaepPublicEncryptingKey::new(key).map_err(|_| bad())
}

/// `assertion` (a whole element that declares its namespaces) as a
/// `<saml:EncryptedAssertion>` for the holder of `certificate`'s key.
pub fn encrypt_assertion(
    assertion: &str,
    certificate: &[u8],
    cbc: bool,
    rng: &dyn Rng,
) -> Result<String> {
    let failed = |what: &str| Error::Internal(format!("encrypting an assertion: {what}"));
    let mut key = [0u8; 32];
    rng.fill(&mut key);
    let (method, data) = if cbc {
        let mut iv = [0u8; AES_CBC_IV_LEN];
        rng.fill(&mut iv);
        let cipher = UnboundCipherKey::new(&AES_256, &key)
            .and_then(PaddedBlockEncryptingKey::cbc_pkcs7)
            .map_err(|_| failed("AES-CBC key"))?;
        let mut body = assertion.as_bytes().to_vec();
        cipher
            .less_safe_encrypt(&mut body, EncryptionContext::Iv128(FixedLength::from(iv)))
            .map_err(|_| failed("AES-CBC"))?;
        (AES256_CBC, [iv.as_slice(), &body].concat())
    } else {
        let mut iv = [0u8; NONCE_LEN];
        rng.fill(&mut iv);
        let aead = UnboundKey::new(&AES_256_GCM, &key)
            .map(LessSafeKey::new)
            .map_err(|_| failed("AES-GCM key"))?;
        let mut body = assertion.as_bytes().to_vec();
        aead.seal_in_place_append_tag(Nonce::assume_unique_for_key(iv), Aad::empty(), &mut body)
            .map_err(|_| failed("AES-GCM"))?;
        (AES256_GCM, [iv.as_slice(), &body].concat())
    };
    let oaep = rsa_key(certificate)?;
    let mut wrapped = vec![0u8; oaep.ciphertext_size()];
    let wrapped = oaep
        .encrypt(&OAEP_SHA1_MGF1SHA1, &key, &mut wrapped, None)
        .map_err(|_| failed("RSA-OAEP"))?;
    Ok(format!(
        concat!(
            r#"<saml:EncryptedAssertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">"#,
            r#"<xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Type="http://www.w3.org/2001/04/xmlenc#Element">"#,
            r#"<xenc:EncryptionMethod Algorithm="{method}"/>"#,
            r#"<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><xenc:EncryptedKey>"#,
            r#"<xenc:EncryptionMethod Algorithm="{transport}"><ds:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/></xenc:EncryptionMethod>"#,
            r#"<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"#,
            r#"<xenc:CipherData><xenc:CipherValue>{key}</xenc:CipherValue></xenc:CipherData>"#,
            r#"</xenc:EncryptedKey></ds:KeyInfo>"#,
            r#"<xenc:CipherData><xenc:CipherValue>{data}</xenc:CipherValue></xenc:CipherData>"#,
            r#"</xenc:EncryptedData></saml:EncryptedAssertion>"#
        ),
        method = method,
        transport = RSA_OAEP_MGF1P,
        cert = BASE64.encode(certificate),
        key = BASE64.encode(wrapped),
        data = BASE64.encode(&data),
    ))
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::cipher::{DecryptionContext, PaddedBlockDecryptingKey};
    use aws_lc_rs::rsa::{OaepPrivateDecryptingKey, PrivateDecryptingKey};

    use super::*;
    use crate::oidc::jwt::{generate_rs256, self_signed_certificate};
    use crate::relying::SigningAlg;
    use crate::rng::OsRng;

    /// The text between `open` and `close` after the `nth` `open`.
    fn between<'a>(s: &'a str, open: &str, close: &str, nth: usize) -> &'a str {
        let from = s.split(open).nth(nth + 1).unwrap();
        &from[..from.find(close).unwrap()]
    }

    /// Decrypts as a service does: the key with its private key, then the data.
    fn decrypt(xml: &str, pkcs8: &[u8]) -> Vec<u8> {
        let rsa = OaepPrivateDecryptingKey::new(PrivateDecryptingKey::from_pkcs8(pkcs8).unwrap())
            .unwrap();
        let wrapped = BASE64
            .decode(between(xml, "<xenc:CipherValue>", "<", 0).as_bytes())
            .unwrap();
        let mut key = vec![0u8; rsa.min_output_size()];
        let key = rsa
            .decrypt(&OAEP_SHA1_MGF1SHA1, &wrapped, &mut key, None)
            .unwrap()
            .to_vec();
        let mut data = BASE64
            .decode(between(xml, "<xenc:CipherValue>", "<", 1).as_bytes())
            .unwrap();
        if xml.contains(AES256_GCM) {
            let (iv, body) = data.split_at_mut(NONCE_LEN);
            let aead = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &key).unwrap());
            let nonce = Nonce::try_assume_unique_for_key(iv).unwrap();
            aead.open_in_place(nonce, Aad::empty(), body)
                .unwrap()
                .to_vec()
        } else {
            let (iv, body) = data.split_at_mut(AES_CBC_IV_LEN);
            let iv: [u8; AES_CBC_IV_LEN] = (&*iv).try_into().unwrap();
            let cipher =
                PaddedBlockDecryptingKey::cbc_pkcs7(UnboundCipherKey::new(&AES_256, &key).unwrap())
                    .unwrap();
            cipher
                .decrypt(body, DecryptionContext::Iv128(FixedLength::from(iv)))
                .unwrap()
                .to_vec()
        }
    }

    #[test]
    fn only_the_certificates_key_opens_it_and_each_time_differently() {
        let (pkcs8, _) = generate_rs256("sp").unwrap();
        let cert = self_signed_certificate(SigningAlg::Rs256, &pkcs8, "sp", "sp", 0).unwrap();
        let assertion = r#"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a">2000123456789</saml:Assertion>"#;
        for cbc in [false, true] {
            let one = encrypt_assertion(assertion, &cert, cbc, &OsRng).unwrap();
            assert!(!one.contains("2000123456789"));
            assert!(one.contains(if cbc { AES256_CBC } else { AES256_GCM }));
            assert_eq!(decrypt(&one, &pkcs8), assertion.as_bytes());
            let two = encrypt_assertion(assertion, &cert, cbc, &OsRng).unwrap();
            assert_ne!(
                between(&one, "<xenc:CipherValue>", "<", 1),
                between(&two, "<xenc:CipherValue>", "<", 1),
                "a fresh key and IV each time"
            );
        }
        // Another key cannot unwrap it.
        let (other, _) = generate_rs256("other").unwrap();
        let one = encrypt_assertion(assertion, &cert, false, &OsRng).unwrap();
        let rsa = OaepPrivateDecryptingKey::new(PrivateDecryptingKey::from_pkcs8(&other).unwrap())
            .unwrap();
        let wrapped = BASE64
            .decode(between(&one, "<xenc:CipherValue>", "<", 0).as_bytes())
            .unwrap();
        let mut out = vec![0u8; rsa.min_output_size()];
        assert!(
            rsa.decrypt(&OAEP_SHA1_MGF1SHA1, &wrapped, &mut out, None)
                .is_err()
        );
    }

    #[test]
    fn only_rsa_keys_of_2048_bits_or_more() {
        let (pkcs8, _) = generate_rs256("sp").unwrap();
        let rsa = self_signed_certificate(SigningAlg::Rs256, &pkcs8, "sp", "sp", 0).unwrap();
        assert!(rsa_key(&rsa).is_ok());
        let ec = aws_lc_rs::signature::EcdsaKeyPair::generate_pkcs8(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            &aws_lc_rs::rand::SystemRandom::new(),
        )
        .unwrap();
        let ec = self_signed_certificate(SigningAlg::Es256, ec.as_ref(), "sp", "sp", 0).unwrap();
        assert!(rsa_key(&ec).is_err());
        assert!(rsa_key(b"not a certificate").is_err());
    }
}
