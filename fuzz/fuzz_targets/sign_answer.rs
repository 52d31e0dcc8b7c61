//! A signing application's answer body (`POST /api/esign/challenges/{id}`): any JSON, decoded
//! and checked as npass does, up to the certificate verification.
#![no_main]
mod common;

use libfuzzer_sys::fuzz_target;
use npass_core::esign::{Answer, decode_answer, verify_signature};

fuzz_target!(|data: &[u8]| {
    let Ok(a) = serde_json::from_slice::<Answer>(data) else {
        return;
    };
    let Ok((chain, sig)) = decode_answer(&a) else {
        return;
    };
    if let Some(ee) = chain.first()
        && verify_signature(ee, &a.algorithm, a.challenge.as_bytes(), &sig).is_ok()
    {
        let e = common::esign(common::CRL.to_vec(), false);
        let _ = common::block_on(e.verify(&chain, common::NOW_MS));
    }
});
