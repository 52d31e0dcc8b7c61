//! `npass demo`: npass plus a small "tax portal" e-service on a second port that logs citizens
//! in with npass (code flow with PKCE, client_secret_basic) and shows what it received — the
//! whole journey on one machine, and a worked example for integrators.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use data_encoding::{BASE64, BASE64URL_NOPAD};
use npass_core::oidc::jwt::{SigningKey, verify_own};
use serde_json::Value;
use sha2::{Digest, Sha256};

const NAME: &str = "Demo tax portal";
const COOKIE: &str = "demo_flow";

#[derive(Clone)]
pub struct Demo {
    /// npass's public URL (the issuer).
    pub issuer: String,
    /// This portal's own URL.
    pub base: String,
    pub client_id: String,
    pub client_secret: String,
    pub http: reqwest::Client,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t} — {NAME}</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>\
         <body style=\"font-family: system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem\">\
         <header><p><strong>{NAME}</strong> — an example e-service that logs in with npass</p></header>\
         <main><h1>{t}</h1>{body}</main></body></html>",
        t = esc(title)
    );
    let mut res = Html(html).into_response();
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    res
}

fn random() -> String {
    npass_core::rng::token(&npass_core::rng::OsRng)
}

async fn home(State(d): State<Arc<Demo>>) -> Response {
    let _ = &d;
    page(
        "Welcome",
        "<p>Log in to file your taxes.</p><p><a href=\"/login\">Log in with npass</a></p>",
    )
}

/// Starts a login: state, nonce and PKCE verifier go in a cookie; the browser goes to npass.
async fn login(State(d): State<Arc<Demo>>) -> Response {
    let (state, nonce, verifier) = (random(), random(), random());
    let challenge = BASE64URL_NOPAD.encode(&Sha256::digest(verifier.as_bytes()));
    let url = format!(
        "{}/authorize?{}",
        d.issuer,
        form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", &d.client_id)
            .append_pair("redirect_uri", &format!("{}/callback", d.base))
            .append_pair("scope", "openid profile email")
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .finish()
    );
    let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, url)]).into_response();
    if let Ok(v) = header::HeaderValue::from_str(&format!(
        "{COOKIE}={state}.{nonce}.{verifier}; Path=/; HttpOnly; SameSite=Lax"
    )) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

fn flow_cookie(h: &HeaderMap) -> Option<(String, String, String)> {
    let raw = h.get(header::COOKIE)?.to_str().ok()?;
    let v = raw
        .split(';')
        .find_map(|c| c.trim().strip_prefix(&format!("{COOKIE}=")))?;
    let mut it = v.split('.');
    Some((
        it.next()?.to_owned(),
        it.next()?.to_owned(),
        it.next()?.to_owned(),
    ))
}

async fn fetch_json(rb: reqwest::RequestBuilder) -> Result<Value, String> {
    let res = rb.send().await.map_err(|e| e.to_string())?;
    let status = res.status();
    let bytes = res.bytes().await.map_err(|e| e.to_string())?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
    if status.is_success() {
        Ok(v)
    } else {
        Err(format!("{status}: {v}"))
    }
}

/// npass sends the browser back here with a code: exchange it, check the ID token, read
/// userinfo, show everything.
async fn callback(State(d): State<Arc<Demo>>, headers: HeaderMap, raw: RawQuery) -> Response {
    let q: std::collections::HashMap<String, String> =
        form_urlencoded::parse(raw.0.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let Some((state, nonce, verifier)) = flow_cookie(&headers) else {
        return page(
            "Start again",
            "<p>No login in progress. <a href=\"/login\">Log in</a></p>",
        );
    };
    if q.get("state") != Some(&state) || q.get("iss") != Some(&d.issuer) {
        return page(
            "Refused",
            "<p>The answer does not belong to this login (state or issuer).</p>",
        );
    }
    if let Some(err) = q.get("error") {
        return page(
            "Not logged in",
            &format!("<p>npass answered: <code>{}</code></p>", esc(err)),
        );
    }
    let code = q.get("code").cloned().unwrap_or_default();
    let basic = BASE64.encode(format!("{}:{}", d.client_id, d.client_secret).as_bytes());
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", &code)
        .append_pair("redirect_uri", &format!("{}/callback", d.base))
        .append_pair("code_verifier", &verifier)
        .finish();
    let token = d
        .http
        .post(format!("{}/token", d.issuer))
        .header(header::AUTHORIZATION, format!("Basic {basic}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form);
    let tokens = match fetch_json(token).await {
        Ok(t) => t,
        Err(e) => {
            return page(
                "Token request failed",
                &format!("<p><code>{}</code></p>", esc(&e)),
            );
        }
    };
    let jwks = fetch_json(d.http.get(format!("{}/jwks", d.issuer)))
        .await
        .unwrap_or_default();
    let keys: Vec<SigningKey> = jwks
        .get("keys")
        .and_then(Value::as_array)
        .map(|ks| {
            ks.iter()
                .filter_map(|k| {
                    let alg = k.get("alg").and_then(Value::as_str)?;
                    Some((k, npass_core::relying::SigningAlg::parse(alg)?))
                })
                .map(|(k, alg)| SigningKey {
                    kid: k.get("kid").and_then(Value::as_str).unwrap_or("").into(),
                    alg,
                    sealed_private: vec![],
                    public_jwk: k.clone(),
                    created_at: 0,
                    retire_at: None,
                    certificate: None,
                })
                .collect()
        })
        .unwrap_or_default();
    let id_token = tokens.get("id_token").and_then(Value::as_str).unwrap_or("");
    let Some(id) = verify_own(id_token, &keys, "JWT") else {
        return page(
            "Refused",
            "<p>The ID token's signature does not verify.</p>",
        );
    };
    if id.get("aud").and_then(Value::as_str).unwrap_or("") != d.client_id.as_str()
        || id.get("nonce").and_then(Value::as_str).unwrap_or("") != nonce.as_str()
        || id.get("iss").and_then(Value::as_str).unwrap_or("") != d.issuer.as_str()
    {
        return page("Refused", "<p>The ID token is not for this login.</p>");
    }
    let at = tokens
        .get("access_token")
        .and_then(Value::as_str)
        .unwrap_or("");
    let info = fetch_json(d.http.get(format!("{}/userinfo", d.issuer)).bearer_auth(at))
        .await
        .unwrap_or_default();
    let rows = |v: &Value| {
        v.as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        format!(
                            "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
                            esc(k),
                            esc(&v.to_string())
                        )
                    })
                    .collect::<String>()
            })
            .unwrap_or_default()
    };
    let logout = format!(
        "{}/end-session?{}",
        d.issuer,
        form_urlencoded::Serializer::new(String::new())
            .append_pair("id_token_hint", id_token)
            .append_pair("post_logout_redirect_uri", &format!("{}/", d.base))
            .finish()
    );
    let name = format!(
        "{} {}",
        info.get("given_name").and_then(Value::as_str).unwrap_or(""),
        info.get("family_name")
            .and_then(Value::as_str)
            .unwrap_or("")
    );
    page(
        &format!("Welcome, {}", name.trim()),
        &format!(
            "<p>You are logged in through npass at level <code>{}</code>.</p>\
             <h2>Userinfo</h2><table>{}</table><h2>ID token</h2><table>{}</table>\
             <p><a href=\"{}\">Log out</a></p>",
            esc(id.get("acr").and_then(Value::as_str).unwrap_or("")),
            rows(&info),
            rows(&id),
            esc(&logout)
        ),
    )
}

pub fn router(d: Demo) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login))
        .route("/callback", get(callback))
        .with_state(Arc::new(d))
}

/// Registers the demo e-service for `base` (or finds it) and returns (client_id, secret).
pub async fn register(core: &npass_core::Core, base: &str) -> Result<(String, String), String> {
    let redirect = format!("{base}/callback");
    let op = npass_core::login::Client {
        ip: "demo".into(),
        user_agent: "npass demo".into(),
    };
    let existing = core.registry.eservices().await.map_err(|e| e.to_string())?;
    if let Some(e) = existing.iter().find(|e| {
        e.name == NAME
            && e.oidc()
                .is_some_and(|o| o.redirect_uris.contains(&redirect))
    }) {
        let (e, secret) = core
            .registry
            .rotate_eservice_secret(&e.client_id, &op)
            .await
            .map_err(|e| e.to_string())?;
        return Ok((e.client_id.into(), secret));
    }
    let n = npass_core::oidc::flow::NewEService {
        name: NAME.into(),
        redirect_uris: vec![redirect],
        post_logout_redirect_uris: vec![format!("{base}/")],
        scopes: vec!["openid".into(), "profile".into(), "email".into()],
        ..Default::default()
    };
    let (e, secret) = core
        .registry
        .add_eservice(n, &op)
        .await
        .map_err(|e| e.to_string())?;
    Ok((e.client_id.into(), secret.unwrap_or_default()))
}

pub async fn serve(
    listener: tokio::net::TcpListener,
    d: Demo,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let app = router(d).into_make_service_with_connect_info::<SocketAddr>();
    let _ = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            while !*stop.borrow() {
                if stop.changed().await.is_err() {
                    break;
                }
            }
        })
        .await;
}
