//! OpenID Connect endpoints: discovery, JWKS, authorisation (with the consent page), token,
//! userinfo. Protocol decisions live in `npass_core::oidc::flow`.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use data_encoding::BASE64;
use npass_core::oidc::flow::{AuthorizeError, Next};
use npass_core::oidc::{AuthRequest, OAuthCode, OAuthError};
use serde::Deserialize;
use serde_json::json;

use super::{query, to_login};
use crate::AppState;
use crate::error::{ApiError, PageResult, api_json};
use crate::pages::Layout;
use crate::web::{
    Ctx, FORM_LIMIT, WebForm, is_form, message_page, render, see_other, serde_urlencoded_pairs,
};

/// `GET /.well-known/openid-configuration`: the document depends only on the issuer, so it is
/// serialised once, when the router is built.
pub fn discovery_handler(
    st: &AppState,
) -> impl Fn() -> std::future::Ready<Response> + Clone + Send + Sync + 'static {
    let doc = axum::body::Bytes::from(st.core.federation.discovery().to_string());
    move || std::future::ready(public_json(doc.clone()))
}

/// A JSON document every e-service may fetch and any cache may keep for five minutes.
fn public_json(body: impl Into<axum::body::Body>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body.into(),
    )
        .into_response()
}

pub async fn jwks(State(st): State<AppState>) -> Result<Response, ApiError> {
    match st.core.keys.jwks().await {
        Ok(doc) => Ok(public_json(String::from(&*doc))),
        Err(_) => Err(ApiError::oauth_with(
            StatusCode::SERVICE_UNAVAILABLE,
            OAuthCode::TemporarilyUnavailable,
            "the signing keys cannot be read now",
        )),
    }
}

/// `GET /authorize`: validate and park, then continue as the browser's session allows.
pub async fn authorize(State(st): State<AppState>, ctx: Ctx, raw: RawQuery) -> PageResult {
    let pairs = raw
        .0
        .as_deref()
        .map(serde_urlencoded_pairs)
        .unwrap_or_default();
    let req = park(&st, &ctx, pairs).await?;
    // Straight on to the next step (login, consent or the code): no extra redirect.
    step(&st, &ctx, &req, false).await
}

/// `POST /authorize` (OpenID Connect Core 3.1.2.1: form-encoded, the same parameters). The
/// e-service's page posts it cross-site, so the browser sends no `SameSite=Lax` session cookie
/// with it: the request is parked and the browser sent on with a GET, which carries the cookie.
pub async fn authorize_post(State(st): State<AppState>, ctx: Ctx, req: Request) -> Response {
    let page = |status, key| message_page(&st, &ctx.browser, status, "error-title", key);
    let pairs = match form_body(req).await {
        Ok((_, pairs)) => pairs,
        Err(BodyError::NotAForm) => return page(StatusCode::UNSUPPORTED_MEDIA_TYPE, "error-form"),
        Err(BodyError::TooLarge) => return page(StatusCode::PAYLOAD_TOO_LARGE, "error-too-large"),
    };
    match park(&st, &ctx, pairs).await {
        Ok(req) => see_other(&format!("/authorize/continue?req={}", req.id)),
        Err(res) => res,
    }
}

/// Why a form body was not read.
enum BodyError {
    /// Not `application/x-www-form-urlencoded`, or not UTF-8.
    NotAForm,
    /// Over `FORM_LIMIT`.
    TooLarge,
}

/// A url-encoded body of at most `FORM_LIMIT` bytes, as its pairs, with the request's parts.
async fn form_body(
    req: Request,
) -> Result<(axum::http::request::Parts, Vec<(String, String)>), BodyError> {
    let (parts, body) = req.into_parts();
    if !is_form(&parts.headers) {
        return Err(BodyError::NotAForm);
    }
    let bytes = axum::body::to_bytes(body, FORM_LIMIT)
        .await
        .map_err(|_| BodyError::TooLarge)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| BodyError::NotAForm)?;
    Ok((parts, serde_urlencoded_pairs(text)))
}

/// Validates an authorisation request's parameters (none repeated) and parks it.
async fn park(
    st: &AppState,
    ctx: &Ctx,
    pairs: Vec<(String, String)>,
) -> Result<AuthRequest, Response> {
    let mut params = HashMap::new();
    for (k, v) in pairs {
        if params.insert(k, v).is_some() {
            return Err(message_page(
                st,
                &ctx.browser,
                StatusCode::BAD_REQUEST,
                "error-title",
                "oidc-repeated-parameter",
            ));
        }
    }
    match st.core.federation.authorization_request(&params).await {
        Ok(req) => Ok(req),
        Err(AuthorizeError::Page(key)) => Err(message_page(
            st,
            &ctx.browser,
            StatusCode::BAD_REQUEST,
            "error-title",
            key,
        )),
        Err(AuthorizeError::Redirect(url)) => Err(see_other(&url)),
    }
}

#[derive(Template)]
#[template(path = "consent.html")]
pub struct ConsentPage {
    pub l: Layout,
    pub req: String,
    /// Where the answer is posted (each protocol's consent endpoint).
    pub action: &'static str,
    pub service: String,
    pub items: Vec<String>,
    pub level: String,
}

#[derive(Template)]
#[template(path = "stepup.html")]
pub struct StepUpPage {
    pub l: Layout,
    pub req: String,
    /// Where declining is posted (each protocol's consent endpoint).
    pub action: &'static str,
    pub service: String,
    pub lead: String,
    /// Why the level matters and how it is reached, in words.
    pub why: &'static str,
    pub next: String,
    pub national_id: String,
    /// The password and code reach the level, and the account has a code.
    pub code_login: bool,
    /// The account has no code yet, and one would reach the level.
    pub setup_two_step: bool,
    pub setup_href: String,
    pub esign: bool,
    /// One of the account's passkeys reaches the level.
    pub passkey_login: bool,
}

/// The context for a page on the way back to a parked request (`next` is
/// `/authorize/continue?req=…`): in the language the request's `ui_locales` asked for.
pub async fn continuing(st: &AppState, ctx: Ctx, next: &str) -> Ctx {
    let Some(id) = next.strip_prefix("/authorize/continue?req=") else {
        return ctx;
    };
    match st.core.federation.parked_request(id).await {
        Ok(req) => ctx.with_ui_locales(st, &req.ui_locales),
        Err(_) => ctx,
    }
}

/// Resumes a parked request after login or consent.
pub async fn resume(State(st): State<AppState>, ctx: Ctx, raw: RawQuery) -> PageResult {
    let id = query(&raw).get("req").cloned().unwrap_or_default();
    proceed(&st, &ctx, &id, false).await
}

async fn proceed(st: &AppState, ctx: &Ctx, id: &str, consented_now: bool) -> PageResult {
    let req = st.core.federation.parked_request(id).await?;
    step(st, ctx, &req, consented_now).await
}

/// What a parked request needs next, as the browser's session allows.
async fn step(st: &AppState, ctx: &Ctx, req: &AuthRequest, consented_now: bool) -> PageResult {
    let ctx = &ctx.with_ui_locales(st, &req.ui_locales);
    let mut req = req.clone();
    let req = &mut req;
    let id = &req.id.clone();
    let session = ctx.auth.as_ref().map(|a| &a.session);
    let next = st
        .core
        .federation
        .next_step(req, session, consented_now)
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(match (next, &ctx.auth) {
        // The login form answers here: a redirect to it would cost the browser a round trip.
        (Next::Login { reauth }, _) => {
            super::login::here(st, ctx, format!("/authorize/continue?req={id}"), reauth)
        }
        (Next::Redirect(url), _) => see_other(&url),
        (Next::StepUp { needed, have }, Some(a)) => {
            let service = st
                .core
                .registry
                .eservice(&req.client_id)
                .await
                .map_err(|e| ctx.fail(e))?
                .name;
            let next = format!("/authorize/continue?req={id}");
            stepup_page(
                st,
                ctx,
                a,
                service,
                (needed, have),
                id,
                next,
                "/authorize/consent",
            )
            .await?
        }
        (Next::Choose, Some(a)) => {
            let actions = ("/authorize/context", "/authorize/consent");
            super::acting::context_page(st, ctx, a, &req.client_id, id, actions).await?
        }
        (Next::Consent, Some(a)) => {
            let service = st
                .core
                .registry
                .eservice(&req.client_id)
                .await
                .map_err(|e| ctx.fail(e))?
                .name;
            consent_page(st, ctx, a, service, &req.scope, id, "/authorize/consent")
        }
        (Next::Issue, Some(a)) => {
            let url = st
                .core
                .federation
                .issue_code(req, &a.session, &ctx.client, consented_now)
                .await
                .map_err(|e| ctx.fail(e))?;
            see_other(&url)
        }
        (_, None) => super::login::here(st, ctx, format!("/authorize/continue?req={id}"), false),
    })
}

/// The step-up page: the ways the citizen can reach `needed` from `have`, or decline (a form
/// to `action` with the parked request's id). Shared by the OpenID Connect and SAML flows.
#[allow(clippy::too_many_arguments)]
pub async fn stepup_page(
    st: &AppState,
    ctx: &Ctx,
    a: &crate::web::Authed,
    service: String,
    (needed, have): (npass_core::model::Level, npass_core::model::Level),
    req: &str,
    next: String,
    action: &'static str,
) -> PageResult {
    let has_code = st
        .core
        .credentials
        .two_step_status(&a.account)
        .await
        .map_err(|e| ctx.fail(e))?
        .active
        .is_some();
    let l = Layout::of(st, ctx);
    let lead = l.tr.args(
        "stepup-lead",
        &[
            ("service", service.as_str()),
            (
                "needed",
                l.t(&format!("level-{}", needed.as_str())).as_str(),
            ),
            ("have", l.t(&format!("level-{}", have.as_str())).as_str()),
        ],
    );
    let by_code = needed <= npass_core::model::Level::Substantial;
    let passkey_login = st.core.passkeys.enabled()
        && st
            .core
            .passkeys
            .of(&a.account.id)
            .await
            .map_err(|e| ctx.fail(e))?
            .iter()
            .any(|p| by_code || p.attested);
    let page = StepUpPage {
        req: req.to_owned(),
        action,
        lead,
        why: if by_code {
            "stepup-why-substantial"
        } else {
            "stepup-why-high"
        },
        national_id: a.account.national_id.value.clone(),
        code_login: by_code && has_code,
        setup_two_step: by_code && !has_code,
        setup_href: format!("/account/two-step?next={}", crate::web::enc(&next)),
        esign: st.core.esign.enabled(),
        passkey_login,
        next,
        service,
        l,
    };
    Ok(render(StatusCode::OK, &page))
}

/// The consent page for releasing `scope` to `service` (answered by a form to `action`).
pub fn consent_page(
    st: &AppState,
    ctx: &Ctx,
    a: &crate::web::Authed,
    service: String,
    scope: &[String],
    req: &str,
    action: &'static str,
) -> Response {
    let l = Layout::of(st, ctx);
    let items = scope
        .iter()
        .map(|s| l.t(&format!("consent-scope-{}", s.replace('_', "-"))))
        .collect();
    let level = l.t(&format!("level-{}", a.session.level.as_str()));
    render(
        StatusCode::OK,
        &ConsentPage {
            l,
            req: req.to_owned(),
            action,
            service,
            items,
            level,
        },
    )
}

#[derive(Deserialize)]
pub struct ConsentForm {
    #[serde(default)]
    pub req: String,
    #[serde(default)]
    pub decision: String,
}

pub async fn consent(
    State(st): State<AppState>,
    ctx: Ctx,
    WebForm(f): WebForm<ConsentForm>,
) -> PageResult {
    if ctx.auth.is_none() {
        return Ok(to_login(
            &format!("/authorize/continue?req={}", f.req),
            false,
        ));
    }
    let req = st.core.federation.parked_request(&f.req).await?;
    if f.decision != "allow" {
        let url = st.core.federation.deny(&req).await?;
        return Ok(see_other(&url));
    }
    // The consent is recorded with the code it leads to (one transaction).
    step(&st, &ctx, &req, true).await
}

/// `POST /authorize/context`: whom the citizen logs in for; then the request goes on.
pub async fn choose(
    State(st): State<AppState>,
    ctx: Ctx,
    WebForm(f): WebForm<super::acting::ContextForm>,
) -> PageResult {
    let Some(a) = &ctx.auth else {
        return Ok(to_login(
            &format!("/authorize/continue?req={}", f.req),
            false,
        ));
    };
    let mut req = st.core.federation.parked_request(&f.req).await?;
    match st
        .core
        .federation
        .choose(&mut req, &a.session, &f.choice)
        .await
    {
        Ok(()) => step(&st, &ctx, &req, false).await,
        Err(npass_core::Error::Forbidden("context")) => Ok(super::acting::refused(&st, &ctx)),
        Err(e) => Err(ctx.fail(e)),
    }
}

/// HTTP Basic client credentials (RFC 6749 §2.3.1: each part form-urlencoded).
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let b64 = v
        .strip_prefix("Basic ")
        .or_else(|| v.strip_prefix("basic "))?;
    let raw = String::from_utf8(BASE64.decode(b64.trim().as_bytes()).ok()?).ok()?;
    let (id, secret) = raw.split_once(':')?;
    let dec = |s: &str| {
        form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Some((dec(id)?, dec(secret)?))
}

/// A client-authenticated back-channel form (token, PAR, revocation, introspection): the
/// body's parameters (none repeated) and the e-service that authenticated (HTTP Basic or a
/// `private_key_jwt` assertion).
pub struct OAuthClient {
    pub params: HashMap<String, String>,
    pub client: npass_core::relying::EService,
}

impl axum::extract::FromRequest<AppState> for OAuthClient {
    type Rejection = ApiError;

    async fn from_request(req: Request, st: &AppState) -> Result<Self, ApiError> {
        let bad = |status, d: &str| ApiError::oauth_with(status, OAuthCode::InvalidRequest, d);
        let (parts, pairs) = match form_body(req).await {
            Ok(x) => x,
            Err(BodyError::NotAForm) => {
                return Err(bad(StatusCode::BAD_REQUEST, "form body expected"));
            }
            Err(BodyError::TooLarge) => {
                return Err(bad(StatusCode::PAYLOAD_TOO_LARGE, "body too large"));
            }
        };
        let mut params = HashMap::new();
        for (k, v) in pairs {
            if params.insert(k, v).is_some() {
                return Err(bad(StatusCode::BAD_REQUEST, "repeated parameter"));
            }
        }
        let authenticated = match basic_credentials(&parts.headers) {
            Some((id, secret)) => st.core.federation.authenticate_client(&id, &secret).await,
            None if params.contains_key("client_assertion") => {
                st.core.federation.authenticate_assertion(&params).await
            }
            None => Err(OAuthError::new(
                OAuthCode::InvalidClient,
                "client_secret_basic or private_key_jwt is required",
            )),
        };
        match authenticated {
            Ok(client) => Ok(OAuthClient { params, client }),
            Err(e) => Err(ApiError::unauthenticated_client(e)),
        }
    }
}

/// `POST /token`.
pub async fn token(
    State(st): State<AppState>,
    ctx: Ctx,
    OAuthClient { params, client }: OAuthClient,
) -> Result<Response, ApiError> {
    let v = st
        .core
        .federation
        .token(&client, &params, &ctx.client)
        .await?;
    Ok(api_json(StatusCode::OK, v))
}

/// `POST /par` (RFC 9126).
pub async fn par(
    State(st): State<AppState>,
    OAuthClient { params, client }: OAuthClient,
) -> Result<Response, ApiError> {
    let v = st.core.federation.pushed_request(&client, &params).await?;
    Ok(api_json(StatusCode::CREATED, v))
}

/// `POST /revoke` (RFC 7009): 200 whether or not the token was known.
pub async fn revoke(
    State(st): State<AppState>,
    ctx: Ctx,
    OAuthClient { params, client }: OAuthClient,
) -> Result<Response, ApiError> {
    st.core
        .federation
        .revoke(&client, &params, &ctx.client)
        .await?;
    Ok(api_json(StatusCode::OK, json!({})))
}

/// `POST /introspect` (RFC 7662).
pub async fn introspect(
    State(st): State<AppState>,
    OAuthClient { params, client }: OAuthClient,
) -> Result<Response, ApiError> {
    let v = st.core.federation.introspect(&client, &params).await?;
    Ok(api_json(StatusCode::OK, v))
}

/// `GET|POST /userinfo` with a bearer access token (RFC 6750).
pub async fn userinfo(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let bearer = bearer_of(&headers);
    match st.core.federation.userinfo(bearer.trim()).await {
        Ok(v) => Ok(api_json(StatusCode::OK, v)),
        Err(error) => {
            let status = if error.error == OAuthCode::InvalidToken {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            Err(ApiError::OAuth {
                status,
                error,
                challenge: "Bearer",
            })
        }
    }
}

/// The access token of `Authorization: Bearer …`, empty without one.
fn bearer_of(headers: &HeaderMap) -> &str {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
}

/// `GET /userinfo/picture`: the citizen's picture, for an e-service entitled to it, with the
/// access token it was given (the `picture` claim names this address).
pub async fn userinfo_picture(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let bearer = bearer_of(&headers);
    let account = match st.core.federation.picture_owner(bearer.trim()).await {
        Ok(a) => a,
        Err(error) => {
            let status = match error.error {
                OAuthCode::InvalidToken => StatusCode::UNAUTHORIZED,
                OAuthCode::InsufficientScope => StatusCode::FORBIDDEN,
                _ => StatusCode::SERVICE_UNAVAILABLE,
            };
            return Err(ApiError::OAuth {
                status,
                error,
                challenge: "Bearer",
            });
        }
    };
    match st.core.pictures.of(&account).await? {
        Some(jpeg) => Ok(super::appapi::picture_response(jpeg)),
        None => Err(ApiError::problem(
            StatusCode::NOT_FOUND,
            "not_found",
            "the citizen has no picture",
        )),
    }
}

#[derive(Template)]
#[template(path = "end_session.html")]
pub struct EndSessionPage {
    pub l: Layout,
    pub fields: Vec<(&'static str, String)>,
}

const END_SESSION_FIELDS: [&str; 4] = [
    "id_token_hint",
    "post_logout_redirect_uri",
    "state",
    "client_id",
];

/// `GET /end-session`: an e-service asks npass to log the citizen out. A page asks the citizen to
/// confirm (a link alone must not end a session); where to go afterwards is checked first.
pub async fn end_session_page(State(st): State<AppState>, ctx: Ctx, raw: RawQuery) -> Response {
    let q = query(&raw);
    let target = match st.core.federation.end_session_target(&q).await {
        Ok(t) => t,
        Err(key) => {
            return message_page(
                &st,
                &ctx.browser,
                StatusCode::BAD_REQUEST,
                "error-title",
                key,
            );
        }
    };
    if ctx.auth.is_none() {
        return see_other(target.as_deref().unwrap_or("/login?done=logout"));
    }
    let fields = END_SESSION_FIELDS
        .iter()
        .filter_map(|k| q.get(*k).map(|v| (*k, v.chars().take(4096).collect())))
        .collect();
    render(
        StatusCode::OK,
        &EndSessionPage {
            l: Layout::of(&st, &ctx),
            fields,
        },
    )
}

#[derive(Deserialize)]
pub struct EndSessionForm {
    #[serde(default)]
    pub id_token_hint: String,
    #[serde(default)]
    pub post_logout_redirect_uri: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub client_id: String,
}

pub async fn end_session(
    State(st): State<AppState>,
    ctx: Ctx,
    WebForm(f): WebForm<EndSessionForm>,
) -> PageResult {
    let q: HashMap<String, String> = [
        ("id_token_hint", f.id_token_hint),
        ("post_logout_redirect_uri", f.post_logout_redirect_uri),
        ("state", f.state),
        ("client_id", f.client_id),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let target = match st.core.federation.end_session_target(&q).await {
        Ok(t) => t,
        Err(key) => {
            return Ok(message_page(
                &st,
                &ctx.browser,
                StatusCode::BAD_REQUEST,
                "error-title",
                key,
            ));
        }
    };
    let then = target.as_deref().unwrap_or("/login?done=logout");
    let mut res = see_other(then);
    if let Some(a) = &ctx.auth {
        res = super::saml_logout::end(&st, &ctx, a, then).await?;
    }
    crate::web::append_cookie(
        res.headers_mut(),
        &crate::web::expired_cookie(crate::web::SESSION_COOKIE),
    );
    Ok(res)
}
