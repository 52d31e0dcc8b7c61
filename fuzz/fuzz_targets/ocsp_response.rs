//! The OCSP reader (x509-ocsp's types and npass's checks): any response body, for the real certificate and issuer.
#![no_main]
mod common;

use libfuzzer_sys::fuzz_target;
use npass_core::esign::ocsp;

fuzz_target!(|body: &[u8]| {
    // The CertID the reader must find in the answer (built as npass builds it).
    let ee = x509(common::EE);
    let root = x509(common::ROOT);
    let id = ocsp::cert_id(&ee, &root).expect("the real certificate has a CertID");
    let _ = ocsp::read(body, &id, common::ROOT, common::NOW_MS);
    // And the answer's bytes standing for the issuer: never a panic either.
    let _ = ocsp::read(common::OCSP, &id, body, common::NOW_MS);
});

fn x509(der: &[u8]) -> x509_parser::certificate::X509Certificate<'_> {
    x509_parser::parse_x509_certificate(der)
        .expect("data/ holds good certificates")
        .1
}
