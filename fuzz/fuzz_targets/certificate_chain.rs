//! Certificates as npass reads them: any bytes as the citizen's certificate, or as an
//! intermediate presented after the real one, through the whole verification.
#![no_main]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|der: &[u8]| {
    let e = common::esign(common::CRL.to_vec(), false);
    let _ = common::block_on(e.verify(&[der.to_vec()], common::NOW_MS));
    let _ = common::block_on(e.verify(&[common::EE.to_vec(), der.to_vec()], common::NOW_MS));
    let _ = npass_core::esign::verify_signature(der, "ecdsa-p256-sha256", b"text", der);
});
