//! OCSP (RFC 6960) for e-signature certificates, where the deployment turns it on: the request
//! is built here (CertID with SHA-1, as every responder accepts; it only names the certificate),
//! and the response is read with a small DER reader and trusted only when signed by the issuer
//! or by a responder the issuer certified for OCSP signing, and fresh.

use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, TrustAnchor, UnixTime};
use webpki::aws_lc_rs as algs;
use webpki::{EndEntityCert, KeyUsage};
use x509_parser::prelude::*;

/// What a responder said about one certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Good,
    Revoked,
    Unknown,
}

/// One DER element: tag, content, and the whole element's bytes; plus what follows it.
struct Tlv<'a> {
    tag: u8,
    content: &'a [u8],
    raw: &'a [u8],
    rest: &'a [u8],
}

fn tlv(input: &[u8]) -> Option<Tlv<'_>> {
    let tag = *input.first()?;
    let first = *input.get(1)?;
    let (len, head) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for b in input.get(2..2 + n)? {
            len = (len << 8) | usize::from(*b);
        }
        (len, 2 + n)
    };
    let end = head.checked_add(len)?;
    Some(Tlv {
        tag,
        content: input.get(head..end)?,
        raw: input.get(..end)?,
        rest: input.get(end..)?,
    })
}

fn encode(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend([0x81, len as u8]);
    } else {
        out.extend([0x82, (len >> 8) as u8, len as u8]);
    }
    out.extend_from_slice(content);
    out
}

const SHA1_ALG: [u8; 11] = [
    0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00,
];
const BASIC_RESPONSE: [u8; 9] = [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01];
const EKU_OCSP_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x09];

/// The CertID naming `cert` (issued by `issuer`): hash algorithm, issuer name and key hashes,
/// serial, as DER.
pub fn cert_id(cert: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> Vec<u8> {
    let sha1 = |b: &[u8]| {
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, b)
            .as_ref()
            .to_vec()
    };
    let name_hash = sha1(issuer.subject().as_raw());
    let key_hash = sha1(&issuer.public_key().subject_public_key.data);
    let mut serial = cert.raw_serial().to_vec();
    if serial.first().is_some_and(|b| b & 0x80 != 0) {
        serial.insert(0, 0);
    }
    let body = [
        SHA1_ALG.to_vec(),
        encode(0x04, &name_hash),
        encode(0x04, &key_hash),
        encode(0x02, &serial),
    ]
    .concat();
    encode(0x30, &body)
}

/// An OCSPRequest for one CertID.
pub fn request(cert_id: &[u8]) -> Vec<u8> {
    let req = encode(0x30, cert_id);
    let list = encode(0x30, &req);
    let tbs = encode(0x30, &list);
    encode(0x30, &tbs)
}

fn generalized_time_ms(t: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(t).ok()?;
    let s = s.strip_suffix('Z')?;
    let s = s.split('.').next()?;
    let n = |a: usize, b: usize| s.get(a..b)?.parse::<i64>().ok();
    let (y, mo, d, h, mi, se) = (
        n(0, 4)?,
        n(4, 6)?,
        n(6, 8)?,
        n(8, 10)?,
        n(10, 12)?,
        n(12, 14)?,
    );
    // Days from the civil date (Howard Hinnant's algorithm).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (mo + if mo > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((((days * 24 + h) * 60 + mi) * 60 + se) * 1000)
}

fn signature_algs(oid: &[u8]) -> Vec<&'static dyn SignatureVerificationAlgorithm> {
    const ECDSA_SHA256: [u8; 8] = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
    const ECDSA_SHA384: [u8; 8] = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
    const RSA: [u8; 8] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01];
    match oid {
        o if o == ECDSA_SHA256 => vec![algs::ECDSA_P256_SHA256, algs::ECDSA_P384_SHA256],
        o if o == ECDSA_SHA384 => vec![algs::ECDSA_P384_SHA384, algs::ECDSA_P256_SHA384],
        [rest @ .., 0x0b] if rest == RSA => vec![algs::RSA_PKCS1_2048_8192_SHA256],
        [rest @ .., 0x0c] if rest == RSA => vec![algs::RSA_PKCS1_2048_8192_SHA384],
        [rest @ .., 0x0d] if rest == RSA => vec![algs::RSA_PKCS1_2048_8192_SHA512],
        [rest @ .., 0x0a] if rest == RSA => vec![
            algs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
            algs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
            algs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
        ],
        _ => Vec::new(),
    }
}

/// Reads a response about `cert_id`. `None` when it cannot be trusted or does not answer
/// (the caller then falls back to CRLs, and refuses without them).
pub fn read(body: &[u8], cert_id: &[u8], issuer_der: &[u8], now_ms: i64) -> Option<Status> {
    // OCSPResponse: status successful (0), then a basic response.
    let resp = tlv(body).filter(|t| t.tag == 0x30)?;
    let status = tlv(resp.content).filter(|t| t.tag == 0x0a)?;
    if status.content != [0] {
        return None;
    }
    let bytes = tlv(status.rest).filter(|t| t.tag == 0xa0)?;
    let bytes = tlv(bytes.content).filter(|t| t.tag == 0x30)?;
    let kind = tlv(bytes.content).filter(|t| t.tag == 0x06)?;
    if kind.content != BASIC_RESPONSE {
        return None;
    }
    let basic = tlv(kind.rest).filter(|t| t.tag == 0x04)?;
    let basic = tlv(basic.content).filter(|t| t.tag == 0x30)?;
    let tbs = tlv(basic.content).filter(|t| t.tag == 0x30)?;
    let alg = tlv(tbs.rest).filter(|t| t.tag == 0x30)?;
    let alg_oid = tlv(alg.content).filter(|t| t.tag == 0x06)?;
    let sig = tlv(alg.rest).filter(|t| t.tag == 0x03)?;
    let sig_bytes = sig.content.get(1..)?;
    let mut signer = issuer_der.to_vec();
    if let Some(certs) = tlv(sig.rest).filter(|t| t.tag == 0xa0) {
        // A delegated responder: certified by the issuer for OCSP signing, valid now.
        let seq = tlv(certs.content).filter(|t| t.tag == 0x30)?;
        let responder = tlv(seq.content).filter(|t| t.tag == 0x30)?;
        if responder.raw != issuer_der {
            let issuer = CertificateDer::from(issuer_der);
            let anchor: TrustAnchor<'_> = webpki::anchor_from_trusted_cert(&issuer).ok()?;
            let rder = CertificateDer::from(responder.raw);
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
            signer = responder.raw.to_vec();
        }
    }
    let sder = CertificateDer::from(signer.as_slice());
    let signer_cert = EndEntityCert::try_from(&sder).ok()?;
    let signed = signature_algs(alg_oid.content).iter().any(|alg| {
        signer_cert
            .verify_signature(*alg, tbs.raw, sig_bytes)
            .is_ok()
    });
    if !signed {
        return None;
    }
    // ResponseData: [0] version, responderID, producedAt, responses.
    let mut rest = tbs.content;
    let responses = loop {
        let el = tlv(rest)?;
        if el.tag == 0x30 {
            break el;
        }
        rest = el.rest;
    };
    let mut list = responses.content;
    while let Some(single) = tlv(list) {
        list = single.rest;
        let id = tlv(single.content).filter(|t| t.tag == 0x30)?;
        if id.raw != cert_id {
            continue;
        }
        let status = tlv(id.rest)?;
        let this_update = tlv(status.rest).filter(|t| t.tag == 0x18)?;
        let this_ms = generalized_time_ms(this_update.content)?;
        let next_ms = tlv(this_update.rest)
            .filter(|t| t.tag == 0xa0)
            .and_then(|t| tlv(t.content))
            .and_then(|t| generalized_time_ms(t.content));
        const SKEW_MS: i64 = 5 * 60 * 1000;
        let fresh = this_ms <= now_ms + SKEW_MS
            && match next_ms {
                Some(n) => now_ms < n,
                None => now_ms - this_ms < 15 * 60 * 1000,
            };
        if !fresh {
            return None;
        }
        return Some(match status.tag {
            0x80 => Status::Good,
            0xa1 => Status::Revoked,
            _ => Status::Unknown,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generalized_times() {
        assert_eq!(generalized_time_ms(b"19700101000000Z"), Some(0));
        assert_eq!(
            generalized_time_ms(b"20251123000000Z"),
            Some(1_763_856_000_000)
        );
        assert_eq!(
            generalized_time_ms(b"20240229120000Z"),
            Some(1_709_208_000_000)
        );
        assert_eq!(generalized_time_ms(b"2024"), None);
    }

    #[test]
    fn der_lengths() {
        let long = vec![7u8; 300];
        let e = encode(0x04, &long);
        let t = tlv(&e).unwrap();
        assert_eq!((t.tag, t.content.len(), t.rest.len()), (0x04, 300, 0));
        assert!(tlv(&[0x30, 0x85, 1, 1, 1, 1, 1]).is_none());
        assert!(tlv(&[0x30, 0x05, 1]).is_none());
    }
}
