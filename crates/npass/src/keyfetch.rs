//! Fetches e-services' published JWKS (`jwks_uri`) for `private_key_jwt`: a short timeout, no
//! redirects, a size cap, JSON only.

use std::time::Duration;

use npass_core::oidc::KeyFetcher;

const LIMIT: usize = 64 * 1024;

pub struct HttpKeyFetcher {
    http: reqwest::Client,
}

/// The client npass calls e-services with (key sets, back-channel logout): no redirects
/// followed, 5 s per request. Built once (loading the trust roots takes milliseconds) and shared.
pub fn outbound_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| format!("http client: {e}"))
}

impl HttpKeyFetcher {
    pub fn new(http: reqwest::Client) -> Self {
        HttpKeyFetcher { http }
    }
}

#[async_trait::async_trait]
impl KeyFetcher for HttpKeyFetcher {
    async fn fetch(&self, uri: &str) -> Result<serde_json::Value, String> {
        let res = self.http.get(uri).send().await.map_err(|e| e.to_string())?;
        let body = read_capped(res, LIMIT).await?;
        let v: serde_json::Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        if v.get("keys").and_then(|k| k.as_array()).is_none() {
            return Err("not a JWKS".into());
        }
        Ok(v)
    }
}

/// A SAML service's metadata from its URL (the operator's `--saml-metadata URL`): the
/// same client and cap as key sets.
pub async fn fetch_metadata(url: &str) -> Result<String, String> {
    let http = outbound_client()?;
    let res = http.get(url).send().await.map_err(|e| e.to_string())?;
    let body = read_capped(res, LIMIT).await?;
    String::from_utf8(body).map_err(|_| "not UTF-8".into())
}

/// A successful response's body, read as it arrives and given up as soon as it passes `limit`
/// bytes (a declared length over it is refused before reading).
async fn read_capped(mut res: reqwest::Response, limit: usize) -> Result<Vec<u8>, String> {
    if !res.status().is_success() {
        return Err(format!("answered {}", res.status()));
    }
    if res.content_length().is_some_and(|n| n > limit as u64) {
        return Err(format!("larger than {} KiB", limit / 1024));
    }
    let mut body = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(|e| e.to_string())? {
        if body.len() + chunk.len() > limit {
            return Err(format!("larger than {} KiB", limit / 1024));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Fetches CRLs and OCSP answers for e-signature verification: no redirects, the configured
/// timeout, CRLs up to the configured size (a larger one fails closed, and is logged).
pub struct HttpCrlFetcher {
    http: reqwest::Client,
    crl_limit: usize,
}

impl HttpCrlFetcher {
    pub fn new(timeout: Duration, crl_limit: usize) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .build()
            .map_err(|e| format!("http client: {e}"))?;
        Ok(HttpCrlFetcher { http, crl_limit })
    }
}

#[async_trait::async_trait]
impl npass_core::esign::CrlFetcher for HttpCrlFetcher {
    async fn fetch(&self, url: &str) -> Result<Vec<u8>, String> {
        let res = self.http.get(url).send().await.map_err(|e| e.to_string())?;
        read_capped(res, self.crl_limit).await
    }

    async fn ocsp(&self, url: &str, request: Vec<u8>) -> Result<Vec<u8>, String> {
        let res = self
            .http
            .post(url)
            .header("content-type", "application/ocsp-request")
            .body(request)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        read_capped(res, LIMIT).await
    }
}
