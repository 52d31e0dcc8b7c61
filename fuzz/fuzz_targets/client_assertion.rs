//! The client-assertion reading done before any signature is checked (who claims to be the
//! signer), and the claims of a token as `verify_with_jwks` would see them.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = npass_core::oidc::token::assertion_issuer(&text);
    // A well-formed JWS whose payload is the input, so the claim reader sees any JSON.
    let payload = data_encoding::BASE64URL_NOPAD.encode(data);
    let jws = format!("eyJhbGciOiJFUzI1NiJ9.{payload}.AAAA");
    let _ = npass_core::oidc::token::assertion_issuer(&jws);
});
