//! The redirect-URI comparator: a given URI matches a registered one exactly when the two are
//! byte for byte equal. Input: registered, a 0 byte, given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use npass_core::oidc::flow::{redirect_uri_registered, valid_redirect_uri};

fuzz_target!(|data: &[u8]| {
    let (a, b) = match data.iter().position(|x| *x == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, data),
    };
    let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
    let registered = vec![a.to_string()];
    assert_eq!(
        redirect_uri_registered(&registered, &b),
        a.as_bytes() == b.as_bytes()
    );
    let _ = valid_redirect_uri(&a);
});
