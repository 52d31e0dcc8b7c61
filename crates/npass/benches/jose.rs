//! Benchmarks of JWS verification on the token endpoint's path: an e-service's client assertion
//! (`private_key_jwt`, ES256 and RS256) against its registered JWKS, and one of npass's own
//! tokens against the published keys. They decided the JOSE library (docs/performance.md).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use npass_core::oidc::jwt::{self, Signer, SigningKey};
use npass_core::relying::SigningAlg;
use serde_json::{Value, json};

fn claims() -> Value {
    json!({
        "iss": "es_bench", "sub": "es_bench", "aud": "http://127.0.0.1:8080/token",
        "jti": "0123456789abcdef", "iat": 1_800_000_000, "exp": 1_800_000_060,
    })
}

fn assertions(c: &mut Criterion) {
    for alg in ["ES256", "RS256"] {
        let (der, jwk) = match alg {
            "RS256" => jwt::generate_rs256("k1").unwrap(),
            _ => jwt::generate_es256("k1").unwrap(),
        };
        let signing = SigningAlg::parse(alg).unwrap();
        let token = Signer::from_pkcs8(signing, &der)
            .unwrap()
            .sign("k1", "JWT", &claims())
            .unwrap();
        // An e-service's JWKS usually holds its next key too.
        let (_, other) = jwt::generate_es256("k0").unwrap();
        let jwks = json!({ "keys": [other, jwk] });
        assert!(jwt::verify_with_jwks(&token, &jwks).is_some());
        c.bench_function(&format!("client_assertion_verify_{alg}"), |b| {
            b.iter(|| jwt::verify_with_jwks(std::hint::black_box(&token), &jwks))
        });
    }
    let (der, jwk) = jwt::generate_es256("own").unwrap();
    let key = SigningKey {
        kid: "own".into(),
        alg: SigningAlg::Es256,
        public_jwk: jwk,
        sealed_private: Vec::new(),
        created_at: 0,
        retire_at: None,
        certificate: None,
    };
    let token = jwt::sign_es256(&der, "own", "at+jwt", &claims()).unwrap();
    let keys = vec![key];
    assert!(jwt::verify_own(&token, &keys, "at+jwt").is_some());
    c.bench_function("own_token_verify_ES256", |b| {
        b.iter(|| jwt::verify_own(std::hint::black_box(&token), &keys, "at+jwt"))
    });
}

criterion_group!(benches, assertions);
criterion_main!(benches);
