//! CRLs and OCSP answers as npass reads them: any bytes served at the real certificate's
//! distribution point (and OCSP responder), through the whole verification.
#![no_main]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|served: &[u8]| {
    for ocsp in [false, true] {
        let e = common::esign(served.to_vec(), ocsp);
        let _ = common::block_on(e.verify(&[common::EE.to_vec()], common::NOW_MS));
    }
});
