//! JWS/JWT and JWK parsing: an e-service's published key set and a token, both the attacker's
//! (a `private_key_jwt` client with a `jwks_uri` it controls). Input: JWKS, a 0 byte, token.
#![no_main]

use libfuzzer_sys::fuzz_target;
use npass_core::oidc::jwt;

fuzz_target!(|data: &[u8]| {
    let (jwks, token) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&data[..0], data),
    };
    let token = String::from_utf8_lossy(token);
    if let Ok(jwks) = serde_json::from_slice::<serde_json::Value>(jwks) {
        let _ = jwt::verify_with_jwks(&token, &jwks);
    }
    let _ = jwt::verify_with_jwks(&token, &serde_json::json!({"keys": []}));
    let _ = jwt::verify_own(&token, &[], "JWT");
});
