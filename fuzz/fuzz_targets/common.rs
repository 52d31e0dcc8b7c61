#![allow(dead_code)]
//! What the targets share: the throwaway PKI in `data/` and a trust built on it.

use std::sync::Arc;

use npass_core::esign::{CrlFetcher, Esign, IdRule, Trust};
use npass_core::national_id::Scheme;

pub const ROOT: &[u8] = include_bytes!("../data/root.der");
pub const EE: &[u8] = include_bytes!("../data/ee.der");
pub const CRL: &[u8] = include_bytes!("../data/root.crl.der");
pub const OCSP: &[u8] = include_bytes!("../data/resp.der");
/// 2030-01-01, inside every validity period of `data/`.
pub const NOW_MS: i64 = 1_893_456_000_000;

/// Answers every CRL and OCSP request with the same bytes.
pub struct Serve(pub Vec<u8>);

#[async_trait::async_trait]
impl CrlFetcher for Serve {
    async fn fetch(&self, _url: &str) -> Result<Vec<u8>, String> {
        Ok(self.0.clone())
    }
    async fn ocsp(&self, _url: &str, _request: Vec<u8>) -> Result<Vec<u8>, String> {
        Ok(self.0.clone())
    }
}

pub fn esign(served: Vec<u8>, ocsp: bool) -> Esign {
    let trust = Trust {
        roots: vec![ROOT.to_vec()],
        ocsp,
        identifiers: vec![IdRule {
            scheme: Scheme::MdIdnp,
            prefix: "PNOMD-".into(),
        }],
        ..Trust::default()
    };
    Esign::new(Some(trust), Arc::new(Serve(served)))
}

/// Runs a future to its end on a runtime kept for the whole run.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    thread_local! {
        static RT: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
    }
    RT.with(|rt| rt.block_on(f))
}
