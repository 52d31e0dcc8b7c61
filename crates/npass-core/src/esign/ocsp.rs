//! OCSP (RFC 6960) for e-signature certificates, where the deployment turns it on. Requests and
//! responses are RustCrypto's `x509-ocsp` types over `der` (strict DER: what it decodes
//! re-encodes to the same bytes, so the signed `tbsResponseData` is checked as sent). The
//! request names the certificate by a CertID with SHA-1, as every responder accepts (it only
//! names the certificate); an answer is trusted only when signed by the issuer or by a
//! responder the issuer certified for OCSP signing, about this CertID, and fresh.

use der::asn1::{Null, OctetString};
use der::{Any, Decode, Encode};
use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, TrustAnchor, UnixTime};
use webpki::aws_lc_rs as algs;
use webpki::{EndEntityCert, KeyUsage};
use x509_ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspGeneralizedTime, OcspRequest, OcspResponse,
    OcspResponseStatus, Request, TbsRequest, Version,
};
use x509_parser::prelude::*;

/// What a responder said about one certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Good,
    Revoked,
    Unknown,
}

const ID_SHA1: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const ID_PKIX_OCSP_BASIC: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.1");
const EKU_OCSP_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x09];
/// How far ahead of our clock a responder's `thisUpdate` may be.
const SKEW_MS: i64 = 5 * 60 * 1000;
/// How long an answer without `nextUpdate` counts as fresh.
const NO_NEXT_UPDATE_MS: i64 = 15 * 60 * 1000;

/// The CertID naming `cert` (issued by `issuer`): SHA-1 of the issuer's name and key, and the
/// serial. `None` for a serial no CertID can carry (over 20 octets).
pub fn cert_id(cert: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> Option<CertId> {
    let sha1 = |b: &[u8]| {
        OctetString::new(
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, b).as_ref(),
        )
        .ok()
    };
    Some(CertId {
        hash_algorithm: spki::AlgorithmIdentifierOwned {
            oid: ID_SHA1,
            parameters: Some(Any::from(Null)),
        },
        issuer_name_hash: sha1(issuer.subject().as_raw())?,
        issuer_key_hash: sha1(&issuer.public_key().subject_public_key.data)?,
        // The serial as an unsigned number: a leading zero octet or not, the same CertID.
        serial_number: x509_cert::serial_number::SerialNumber::new(cert.raw_serial()).ok()?,
    })
}

/// An unsigned OCSPRequest for one CertID, as DER.
pub fn request(id: &CertId) -> Option<Vec<u8>> {
    OcspRequest {
        tbs_request: TbsRequest {
            version: Version::V1,
            requestor_name: None,
            request_list: vec![Request {
                req_cert: id.clone(),
                single_request_extensions: None,
            }],
            request_extensions: None,
        },
        optional_signature: None,
    }
    .to_der()
    .ok()
}

fn unix_ms(t: &OcspGeneralizedTime) -> Option<i64> {
    i64::try_from(t.0.to_unix_duration().as_millis()).ok()
}

fn signature_algs(oid: &str) -> Vec<&'static dyn SignatureVerificationAlgorithm> {
    match oid {
        "1.2.840.10045.4.3.2" => vec![algs::ECDSA_P256_SHA256, algs::ECDSA_P384_SHA256],
        "1.2.840.10045.4.3.3" => vec![algs::ECDSA_P384_SHA384, algs::ECDSA_P256_SHA384],
        "1.2.840.113549.1.1.11" => vec![algs::RSA_PKCS1_2048_8192_SHA256],
        "1.2.840.113549.1.1.12" => vec![algs::RSA_PKCS1_2048_8192_SHA384],
        "1.2.840.113549.1.1.13" => vec![algs::RSA_PKCS1_2048_8192_SHA512],
        "1.2.840.113549.1.1.10" => vec![
            algs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
            algs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
            algs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
        ],
        _ => Vec::new(),
    }
}

/// The certificate whose key must have signed `basic`: the issuer's own, or a delegated
/// responder's that the issuer certified for OCSP signing and that is valid now.
fn signer_of(basic: &BasicOcspResponse, issuer_der: &[u8], now_ms: i64) -> Option<Vec<u8>> {
    let Some(responder) = basic.certs.as_ref().and_then(|c| c.first()) else {
        return Some(issuer_der.to_vec());
    };
    let responder = responder.to_der().ok()?;
    if responder == issuer_der {
        return Some(responder);
    }
    let issuer = CertificateDer::from(issuer_der);
    let anchor: TrustAnchor<'_> = webpki::anchor_from_trusted_cert(&issuer).ok()?;
    let rder = CertificateDer::from(responder.as_slice());
    let ee = EndEntityCert::try_from(&rder).ok()?;
    let time = UnixTime::since_unix_epoch(std::time::Duration::from_millis(
        u64::try_from(now_ms).ok()?,
    ));
    ee.verify_for_usage(
        super::CHAIN_ALGS,
        &[anchor],
        &[],
        time,
        KeyUsage::required(EKU_OCSP_SIGNING),
        None,
        None,
    )
    .ok()?;
    Some(responder)
}

/// Reads a response about `id`. `None` when it cannot be trusted or does not answer (the
/// caller then falls back to CRLs, and refuses without them).
pub fn read(body: &[u8], id: &CertId, issuer_der: &[u8], now_ms: i64) -> Option<Status> {
    let resp = OcspResponse::from_der(body).ok()?;
    if resp.response_status != OcspResponseStatus::Successful {
        return None;
    }
    let bytes = resp.response_bytes?;
    if bytes.response_type != ID_PKIX_OCSP_BASIC {
        return None;
    }
    let basic = BasicOcspResponse::from_der(bytes.response.as_bytes()).ok()?;
    let signer = signer_of(&basic, issuer_der, now_ms)?;
    let sder = CertificateDer::from(signer.as_slice());
    let signer_cert = EndEntityCert::try_from(&sder).ok()?;
    let tbs = basic.tbs_response_data.to_der().ok()?;
    let sig = basic.signature.as_bytes()?;
    let signed = signature_algs(&basic.signature_algorithm.oid.to_string())
        .iter()
        .any(|alg| signer_cert.verify_signature(*alg, &tbs, sig).is_ok());
    if !signed {
        return None;
    }
    let single = basic
        .tbs_response_data
        .responses
        .iter()
        .find(|s| s.cert_id == *id)?;
    let this_ms = unix_ms(&single.this_update)?;
    let fresh = this_ms <= now_ms + SKEW_MS
        && match single.next_update.as_ref() {
            Some(n) => now_ms < unix_ms(n)?,
            None => now_ms - this_ms < NO_NEXT_UPDATE_MS,
        };
    if !fresh {
        return None;
    }
    Some(match single.cert_status {
        CertStatus::Good(_) => Status::Good,
        CertStatus::Revoked(_) => Status::Revoked,
        CertStatus::Unknown(_) => Status::Unknown,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_names_one_certificate_and_decodes_back() {
        let id = CertId {
            hash_algorithm: spki::AlgorithmIdentifierOwned {
                oid: ID_SHA1,
                parameters: Some(Any::from(Null)),
            },
            issuer_name_hash: OctetString::new(vec![1u8; 20]).unwrap(),
            issuer_key_hash: OctetString::new(vec![2u8; 20]).unwrap(),
            // A serial whose top bit is set: encoded with a leading zero, still positive.
            serial_number: x509_cert::serial_number::SerialNumber::new(&[0x80, 1]).unwrap(),
        };
        let der = request(&id).unwrap();
        let back = OcspRequest::from_der(&der).unwrap();
        assert_eq!(back.tbs_request.request_list.len(), 1);
        assert_eq!(back.tbs_request.request_list[0].req_cert, id);
        assert!(back.optional_signature.is_none());
        // Not a response: nothing is read from it.
        assert_eq!(read(&der, &id, &[], 0), None);
    }
}
