//! Per-request plumbing: the browser middleware (request id, language, pre-session cookie,
//! security headers), the `Ctx` extractor, CSRF-checked forms, and page rendering.

use std::collections::HashMap;
use std::net::SocketAddr;

use askama::Template;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use cookie::{Cookie, SameSite};
use data_encoding::BASE64URL_NOPAD;
use hmac::{Hmac, Mac};
use npass_core::login::Client;
use npass_core::model::{Account, Session};
use npass_core::rng;
use serde::de::DeserializeOwned;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::AppState;
use crate::i18n::Tr;

pub const SESSION_COOKIE: &str = "__Host-npass";
pub const PRE_COOKIE: &str = "__Host-npass-pre";
pub const LANG_COOKIE: &str = "__Host-npass-lang";
/// Where a journey started elsewhere leads back to (an e-service's parked request, while the
/// citizen sets up two-step authentication to reach its level).
pub const RETURN_COOKIE: &str = "__Host-npass-return";
/// Largest form body we read. Every form of ours is far smaller.
pub const FORM_LIMIT: usize = 16 * 1024;

/// What the middleware learned about the browser, for extractors and error pages.
#[derive(Clone, Debug)]
pub struct Browser {
    pub request_id: String,
    /// The pre-session cookie's value; made (once, in `pre_slot`) by `Ctx` when the browser has
    /// none, so requests that never need one (discovery, JWKS, tokens) do not draw it.
    pub pre_id: String,
    pub pre_slot: std::sync::Arc<std::sync::OnceLock<String>>,
    pub lang: &'static str,
    pub lang_unknown: bool,
    /// The language was chosen in this request's own `?lang=`.
    pub lang_asked: bool,
    pub path: String,
    /// The query without `lang`, for the language links.
    pub query_rest: String,
}

/// The request's cookies by name (the first of a repeated name; unreadable pairs skipped).
pub fn cookies(headers: &HeaderMap) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for v in headers.get_all(header::COOKIE) {
        let Ok(s) = v.to_str() else { continue };
        for c in Cookie::split_parse(s).flatten() {
            out.entry(c.name().to_owned())
                .or_insert_with(|| c.value_trimmed().to_owned());
        }
    }
    out
}

/// A 256-bit secret as npass makes them: 43 base64url characters, led for session secrets by
/// 12 hex digits of time (`rng::ordered_token`).
fn is_token(v: &str) -> bool {
    (v.len() == 43 || v.len() == 55)
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// npass's cookies: the whole site (`__Host-` names need `Path=/` and `Secure`), never read by
/// scripts, sent on top-level navigations from other sites but not their subrequests.
fn npass_cookie<'c>(name: &'c str, value: &'c str) -> cookie::CookieBuilder<'c> {
    Cookie::build((name, value))
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Lax)
}

/// A session cookie (gone when the browser closes).
pub fn cookie(name: &str, value: &str) -> String {
    npass_cookie(name, value).build().to_string()
}

/// A cookie kept for `seconds`.
pub fn lasting_cookie(name: &str, value: &str, seconds: i64) -> String {
    npass_cookie(name, value)
        .max_age(cookie::time::Duration::seconds(seconds))
        .build()
        .to_string()
}

pub fn expired_cookie(name: &str) -> String {
    lasting_cookie(name, "", 0)
}

fn query_pairs(q: Option<&str>) -> Vec<(String, String)> {
    q.map(serde_urlencoded_pairs).unwrap_or_default()
}

pub fn serde_urlencoded_pairs(q: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

/// Request id, language, pre-session cookie and the security headers of every response.
pub async fn browser_layer(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    let jar = cookies(req.headers());
    let request_id = next_request_id(&st);
    let pre_id = jar
        .get(PRE_COOKIE)
        .filter(|v| is_token(v))
        .cloned()
        .unwrap_or_default();
    let new_pre = pre_id.is_empty();
    let pre_slot = std::sync::Arc::new(std::sync::OnceLock::new());
    let pairs = query_pairs(req.uri().query());
    let asked = pairs
        .iter()
        .find(|(k, _)| k == "lang")
        .map(|(_, v)| v.clone());
    let mut lang_unknown = false;
    let mut set_lang = None;
    let lang = match asked.as_deref().map(|a| st.i18n.find(a)) {
        Some(Some(l)) => {
            set_lang = Some(l);
            l
        }
        other => {
            lang_unknown = other.is_some();
            jar.get(LANG_COOKIE)
                .and_then(|c| st.i18n.find(c))
                .or_else(|| {
                    req.headers()
                        .get(header::ACCEPT_LANGUAGE)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| st.i18n.negotiate(v))
                })
                .unwrap_or(st.i18n.default_lang())
        }
    };
    let query_rest = pairs
        .iter()
        .filter(|(k, _)| k != "lang")
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&");
    let browser = Browser {
        request_id: request_id.clone(),
        pre_id,
        pre_slot: pre_slot.clone(),
        lang,
        lang_unknown,
        lang_asked: set_lang.is_some(),
        path: req.uri().path().to_owned(),
        query_rest,
    };
    req.extensions_mut().insert(browser.clone());
    let mut res = next.run(req).await;
    if let Some(crate::error::Failed(e, lang)) = res.extensions_mut().remove() {
        let mut browser = browser;
        if let Some(lang) = lang {
            browser.lang = lang;
        }
        res = error_page(&st, &browser, &e);
    }
    // Only a page needs the browser bound (its forms carry a token derived from the cookie);
    // documents a shared cache may keep (discovery, JWKS) and answers to e-services set none.
    let is_page = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let h = res.headers_mut();
    if new_pre
        && is_page
        && let Some(pre_id) = pre_slot.get()
    {
        append_cookie(h, &cookie(PRE_COOKIE, pre_id));
    }
    if let Some(l) = set_lang {
        append_cookie(h, &lasting_cookie(LANG_COOKIE, l, 365 * 24 * 60 * 60));
    }
    security_headers(h, &request_id);
    res
}

/// A request's id for logs and error pages: unique in this process (a counter through a
/// bijection of 64-bit numbers, from a random start), not secret, and drawn without a system call.
fn next_request_id(st: &AppState) -> String {
    static START: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let start =
        *START.get_or_init(|| u64::from_le_bytes(rng::bytes::<8>(st.core.env.rng.as_ref())));
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!(
        "{:016x}",
        start.wrapping_add(n.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    )
}

pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn append_cookie(h: &mut HeaderMap, c: &str) {
    if let Ok(v) = HeaderValue::from_str(c) {
        h.append(header::SET_COOKIE, v);
    }
}

fn security_headers(h: &mut HeaderMap, request_id: &str) {
    let fixed = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; \
             manifest-src 'self'; worker-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'none'",
        ),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=63072000; includeSubDomains",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
    ];
    for (k, v) in fixed {
        // A page that frames, or is framed by, npass's own pages sets its own policy.
        let own = matches!(k, header::CONTENT_SECURITY_POLICY | header::X_FRAME_OPTIONS)
            && h.contains_key(&k);
        if !own {
            h.insert(k, HeaderValue::from_static(v));
        }
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-request-id", v);
    }
}

/// A logged-in browser.
#[derive(Clone, Debug)]
pub struct Authed {
    pub secret: String,
    pub session: Session,
    pub account: Account,
}

/// Everything a handler needs about the request.
#[derive(Clone)]
pub struct Ctx {
    pub browser: Browser,
    pub tr: Tr,
    pub client: Client,
    pub auth: Option<Authed>,
    pub csrf: String,
}

impl Ctx {
    /// A page's failure, shown in this context's language.
    pub fn fail(&self, e: npass_core::Error) -> crate::error::PageError {
        crate::error::PageError::CoreIn(e, self.browser.lang)
    }

    /// This context with the pages in the first language of `ui_locales` (an e-service's
    /// `ui_locales`, space-separated tags) that is enabled, unless the citizen chose one with
    /// `?lang=` in this very request.
    pub fn with_ui_locales(&self, st: &AppState, ui_locales: &str) -> Ctx {
        let mut ctx = self.clone();
        if self.browser.lang_asked || ui_locales.trim().is_empty() {
            return ctx;
        }
        let tags = ui_locales.split_whitespace().collect::<Vec<_>>().join(",");
        if let Some(lang) = st.i18n.negotiate(&tags) {
            ctx.browser.lang = lang;
            ctx.tr = Tr::new(st.i18n.clone(), lang);
        }
        ctx
    }
}

fn client_ip(parts: &Parts, trust_forwarded: bool) -> String {
    if trust_forwarded
        && let Some(last) = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
    {
        return last.trim().to_owned();
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        // A logged-in browser's context is built once per request, however many extractors ask
        // (`Citizen` does): its session was read from the database. Without a session there is
        // nothing to save, and requests of e-services (tokens) never pay for keeping it.
        if let Some(ctx) = parts.extensions.get::<Ctx>() {
            return Ok(ctx.clone());
        }
        let ctx = Ctx::build(parts, st).await?;
        if ctx.auth.is_some() {
            parts.extensions.insert(ctx.clone());
        }
        Ok(ctx)
    }
}

impl Ctx {
    async fn build(parts: &Parts, st: &AppState) -> Result<Self, Response> {
        let mut browser = browser_of(&parts.extensions, st);
        if browser.pre_id.is_empty() {
            browser.pre_id = browser
                .pre_slot
                .get_or_init(|| rng::token(st.core.env.rng.as_ref()))
                .clone();
        }
        let tr = Tr::new(st.i18n.clone(), browser.lang);
        let client = Client {
            ip: client_ip(parts, st.cfg.trust_forwarded_for),
            user_agent: parts
                .headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .chars()
                .take(200)
                .collect(),
        };
        let jar = cookies(&parts.headers);
        let mut auth = None;
        if let Some(secret) = jar.get(SESSION_COOKIE).filter(|v| is_token(v)) {
            let found = st
                .core
                .logins
                .session(secret)
                .await
                .map_err(|e| error_page(st, &browser, &e))?;
            if let Some(session) = found {
                let account = st
                    .core
                    .credentials
                    .account(&session.account_id)
                    .await
                    .map_err(|e| error_page(st, &browser, &e))?;
                if let Some(account) = account {
                    auth = Some(Authed {
                        secret: secret.clone(),
                        session,
                        account,
                    });
                }
            }
        }
        let csrf = csrf_token(
            st,
            &browser.pre_id,
            auth.as_ref().map(|a| a.secret.as_str()),
        );
        Ok(Ctx {
            browser,
            tr,
            client,
            auth,
            csrf,
        })
    }
}

/// A logged-in citizen, at any level; a browser without a session goes to the login page and
/// comes back here after it.
pub struct Citizen(pub Authed);

/// A citizen whose login is recent enough for a sensitive change (`Policy::fresh_login_ms`) and,
/// where e-signature trust is configured (the MPass path), made by e-signature: changing how
/// one logs in then needs more than a password. Otherwise the login page, asking for that.
pub struct FreshCitizen(pub Authed);

/// A citizen whose login is recent enough (`Policy::fresh_login_ms`), however it was made:
/// for changes to the account itself (its email address, deleting it). Otherwise the login
/// page, asking for a new login.
pub struct FreshLogin(pub Authed);

impl FromRequestParts<AppState> for FreshLogin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Response> {
        let ctx = Ctx::from_request_parts(parts, st).await?;
        let a = citizen(st, &ctx, false)?;
        if st.core.logins.is_fresh(&a.session) {
            Ok(FreshLogin(a))
        } else {
            // A form posted too late comes back to My account after the new login (its own
            // address answers POST only).
            let back = if parts.method == Method::GET {
                ctx.browser.path.as_str()
            } else {
                "/account"
            };
            Err(crate::routes::to_login(back, true))
        }
    }
}

impl FromRequestParts<AppState> for Citizen {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Response> {
        let ctx = Ctx::from_request_parts(parts, st).await?;
        citizen(st, &ctx, false).map(Citizen)
    }
}

impl FromRequestParts<AppState> for FreshCitizen {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Response> {
        let ctx = Ctx::from_request_parts(parts, st).await?;
        citizen(st, &ctx, true).map(FreshCitizen)
    }
}

fn citizen(st: &AppState, ctx: &Ctx, fresh: bool) -> Result<Authed, Response> {
    // Back to the same page after the login, query and all (the language aside).
    let path = &match ctx.browser.query_rest.as_str() {
        "" => ctx.browser.path.clone(),
        q => format!("{}?{q}", ctx.browser.path),
    };
    match &ctx.auth {
        None => Err(crate::routes::to_login(path, false)),
        Some(a) if fresh && !st.core.logins.is_fresh(&a.session) => {
            Err(crate::routes::to_login(path, true))
        }
        Some(a)
            if fresh
                && st.core.esign.enabled()
                && !a.session.amr.contains(&npass_core::model::Amr::Sc) =>
        {
            Err(see_other(&format!(
                "/login?next={}&reauth=1&esign=1",
                enc(path)
            )))
        }
        Some(a) => Ok(a.clone()),
    }
}

pub fn browser_of(ext: &axum::http::Extensions, st: &AppState) -> Browser {
    ext.get::<Browser>().cloned().unwrap_or_else(|| Browser {
        request_id: String::new(),
        pre_id: String::new(),
        pre_slot: Default::default(),
        lang: st.i18n.default_lang(),
        lang_unknown: false,
        lang_asked: false,
        path: "/".into(),
        query_rest: String::new(),
    })
}

fn mac(st: &AppState, msg: &str) -> String {
    let Ok(mut m) = <Hmac<Sha256> as Mac>::new_from_slice(&st.csrf_key[..]) else {
        return String::new();
    };
    m.update(msg.as_bytes());
    BASE64URL_NOPAD.encode(&m.finalize().into_bytes())
}

/// The CSRF token: bound to the session when there is one, else to the pre-session cookie.
pub fn csrf_token(st: &AppState, pre_id: &str, session_secret: Option<&str>) -> String {
    match session_secret {
        Some(s) => mac(st, &format!("session:{s}")),
        None => mac(st, &format!("pre:{pre_id}")),
    }
}

/// A state-changing request's `Origin`, when it names a site, must be this one's (the public
/// URL's, or the e-signature listener's). No header, or the opaque `null` passes: browsers
/// send `null` for every form posted from a page with `Referrer-Policy: no-referrer` (ours on
/// login and authorisation pages), and `Sec-Fetch-Site` and the CSRF token still stand.
fn same_origin(st: &AppState, headers: &HeaderMap) -> bool {
    let Some(given) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(text) = given.to_str() else {
        return false;
    };
    if text == "null" {
        return true;
    }
    let Some(given) = url::Url::parse(text)
        .ok()
        .map(|u| u.origin())
        .filter(url::Origin::is_tuple)
    else {
        return false;
    };
    std::iter::once(st.core.env.policy.public_url.as_str())
        .chain(st.cfg.esign_tls_url.as_deref())
        .filter_map(|u| url::Url::parse(u).ok())
        .any(|u| u.origin() == given)
}

/// Does the body say it is `application/x-www-form-urlencoded`?
pub fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
}

fn csrf_ok(st: &AppState, headers: &HeaderMap, given: &str) -> bool {
    let jar = cookies(headers);
    let mut candidates = Vec::new();
    if let Some(p) = jar.get(PRE_COOKIE).filter(|v| is_token(v)) {
        candidates.push(csrf_token(st, p, None));
    }
    if let Some(s) = jar.get(SESSION_COOKIE).filter(|v| is_token(v)) {
        candidates.push(csrf_token(st, "", Some(s)));
    }
    !given.is_empty()
        && candidates
            .iter()
            .any(|c| bool::from(c.as_bytes().ct_eq(given.as_bytes())))
}

/// A form body: url-encoded, at most `FORM_LIMIT` bytes, from this site (not `cross-site`), with
/// a CSRF token bound to this browser. Anything else gets a localised error page.
pub struct WebForm<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequest<AppState> for WebForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, st: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let browser = browser_of(&parts.extensions, st);
        let fail =
            |status: StatusCode, key: &str| message_page(st, &browser, status, "error-title", key);
        if parts.method != Method::POST {
            return Err(fail(StatusCode::METHOD_NOT_ALLOWED, "error-method"));
        }
        if parts
            .headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            == Some("cross-site")
            || !same_origin(st, &parts.headers)
        {
            return Err(fail(StatusCode::FORBIDDEN, "error-csrf"));
        }
        if !is_form(&parts.headers) {
            return Err(fail(StatusCode::UNSUPPORTED_MEDIA_TYPE, "error-form"));
        }
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > FORM_LIMIT) {
            return Err(fail(StatusCode::PAYLOAD_TOO_LARGE, "error-too-large"));
        }
        let bytes = axum::body::to_bytes(body, FORM_LIMIT)
            .await
            .map_err(|_| fail(StatusCode::PAYLOAD_TOO_LARGE, "error-too-large"))?;
        let Ok(text) = std::str::from_utf8(&bytes) else {
            return Err(fail(StatusCode::BAD_REQUEST, "error-form"));
        };
        let pairs = serde_urlencoded_pairs(text);
        let given = pairs
            .iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        if !csrf_ok(st, &parts.headers, given) {
            return Err(fail(StatusCode::FORBIDDEN, "error-csrf"));
        }
        let value = axum::extract::Form::<T>::from_request(
            Request::from_parts(parts.clone(), Body::from(bytes)),
            &(),
        )
        .await
        .map_err(|_| fail(StatusCode::BAD_REQUEST, "error-form"))?;
        Ok(WebForm(value.0))
    }
}

/// Renders a template; a template failure is a 500 page.
pub fn render<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// 303 See Other: the only redirect we answer a POST with.
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// A `next=` target we may send the browser to: a path on this site only.
pub fn safe_next(next: &str) -> Option<String> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(|c| c.is_control() || c.is_whitespace())
        && next.len() <= 512;
    ok.then(|| next.to_owned())
}

pub use crate::pages::{error_page, message_page};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_local_only() {
        assert_eq!(
            safe_next("/account/two-step"),
            Some("/account/two-step".into())
        );
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "/a b",
            "evil",
            "",
        ] {
            assert_eq!(safe_next(bad), None, "{bad}");
        }
    }
}

#[cfg(test)]
mod cookie_tests {
    use super::*;

    #[test]
    fn cookies_carry_their_attributes_and_parse_back() {
        let c = cookie(SESSION_COOKIE, "abc");
        for part in [
            "__Host-npass=abc",
            "Path=/",
            "Secure",
            "HttpOnly",
            "SameSite=Lax",
        ] {
            assert!(c.split("; ").any(|p| p == part), "{c} lacks {part}");
        }
        assert!(!c.contains("Max-Age"), "a session cookie: {c}");
        assert!(expired_cookie(SESSION_COOKIE).contains("Max-Age=0"));
        assert!(lasting_cookie(LANG_COOKIE, "ro", 60).contains("Max-Age=60"));
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; __Host-npass=s1; junk; a=2"),
        );
        h.append(header::COOKIE, HeaderValue::from_static("b=\"q\""));
        let jar = cookies(&h);
        assert_eq!(
            jar.get("a").map(String::as_str),
            Some("1"),
            "the first wins"
        );
        assert_eq!(jar.get(SESSION_COOKIE).map(String::as_str), Some("s1"));
        assert_eq!(jar.get("b").map(String::as_str), Some("q"));
        assert!(!jar.contains_key("junk"));
    }
}
