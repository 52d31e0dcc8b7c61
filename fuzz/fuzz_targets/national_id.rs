//! National identifiers as typed: every scheme, any text. A parsed identifier is in normal
//! form: parsing it again gives it back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use npass_core::national_id::{self, Scheme};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for schemes in [
        &[Scheme::MdIdnp][..],
        &[Scheme::MuNic],
        &[Scheme::Passport],
        &[Scheme::MdIdnp, Scheme::MuNic, Scheme::Passport],
    ] {
        if let Ok(id) = national_id::parse(&text, schemes) {
            let again = national_id::parse(&id.value, &[id.scheme]).expect("a normal form parses");
            assert_eq!(again.value, id.value);
        }
    }
});
