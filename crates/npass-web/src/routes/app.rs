//! Passwordless QR login (design note 0015): the computer's waiting page with the QR code and
//! the matching number, and the phone's approval page with its small JSON API
//! (`/app/v1/approvals/…`), which the npass app and native apps share.

use askama::Template;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use npass_core::approval::{QrState, Refusal};
use npass_core::login::LoginError;
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::error::PageResult;
use crate::pages::{Layout, MessagePage};
use crate::web::{
    Ctx, SESSION_COOKIE, WebForm, append_cookie, cookie, enc, render, safe_next, see_other,
};

#[derive(Deserialize)]
pub struct StartForm {
    #[serde(default)]
    pub next: String,
    /// Typed by the citizen: send the request to this account's devices too.
    #[serde(default)]
    pub national_id: String,
}

fn next_query(next: &str) -> String {
    match safe_next(next) {
        Some(n) => format!("?next={}", enc(&n)),
        None => String::new(),
    }
}

/// The e-service a parked request (`next`) is for, by name; empty for npass itself.
async fn service_of(st: &AppState, next: &str) -> String {
    let Some(id) = next.strip_prefix("/authorize/continue?req=") else {
        return String::new();
    };
    let Ok(req) = st.core.federation.parked_request(id).await else {
        return String::new();
    };
    st.core
        .registry
        .eservice(&req.client_id)
        .await
        .map(|e| e.name)
        .unwrap_or_default()
}

/// `POST /login/app`: a QR login for this browser, then its waiting page.
pub async fn start(
    State(st): State<AppState>,
    ctx: Ctx,
    WebForm(f): WebForm<StartForm>,
) -> PageResult {
    let service = service_of(&st, &f.next).await;
    let qr = if f.national_id.trim().is_empty() {
        st.core
            .approvals
            .start(&ctx.browser.pre_id, &service, &ctx.client)
            .await
    } else {
        st.core
            .approvals
            .send(&ctx.browser.pre_id, &service, &f.national_id, &ctx.client)
            .await
    };
    let qr = match qr {
        Ok(qr) => qr,
        Err(e @ npass_core::Error::Invalid { .. }) => {
            let (_, message) = crate::pages::field_message(&ctx.tr, &e);
            let err = ("app_national_id".to_owned(), message);
            let page = super::login::login_page(&st, &ctx, f.next.clone(), err);
            return Ok(render(StatusCode::BAD_REQUEST, &page));
        }
        Err(e) => return Err(e.into()),
    };
    let sent = if f.national_id.trim().is_empty() {
        ""
    } else {
        "sent=1&"
    };
    let next = next_query(&f.next);
    let query = match (sent, next.strip_prefix('?')) {
        ("", _) => next,
        (s, Some(n)) => format!("?{s}{n}"),
        (s, None) => format!("?{}", s.trim_end_matches('&')),
    };
    Ok(see_other(&format!("/login/app/{}{query}", qr.id)))
}

#[derive(Template)]
#[template(path = "app_wait.html")]
pub struct WaitPage {
    pub l: Layout,
    /// The request was sent to the devices of the national ID typed (if it has any).
    pub sent: bool,
    pub number: String,
    pub qr_url: String,
    pub status_url: String,
    pub here: String,
}

fn over(st: &AppState, ctx: &Ctx, key: &str) -> Response {
    let l = Layout::of(st, ctx);
    let page = MessagePage {
        title: l.t("app-login-over-title"),
        paragraphs: vec![l.t(key)],
        link: Some(("/login".into(), l.t("esign-back-to-login"))),
        show_request_id: false,
        l,
    };
    render(StatusCode::GONE, &page)
}

/// `GET /login/app/{id}`: the QR code and the number while the phone has not answered; then
/// the session (approved) or why not.
pub async fn wait(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    raw: RawQuery,
) -> PageResult {
    let q = super::query(&raw);
    let next = q.get("next").and_then(|n| safe_next(n)).unwrap_or_default();
    let sent = q.get("sent").is_some_and(|v| v == "1");
    let state = st.core.approvals.state(&id, &ctx.browser.pre_id).await?;
    Ok(match state {
        QrState::Waiting { number } => render(
            StatusCode::OK,
            &WaitPage {
                l: Layout::of(&st, &ctx),
                sent,
                number: number.to_string(),
                qr_url: format!("/login/app/{id}/qr.png"),
                status_url: format!("/login/app/{id}/status"),
                here: format!(
                    "/login/app/{id}?{}{}",
                    if sent { "sent=1&" } else { "" },
                    next_query(&next).trim_start_matches('?')
                ),
            },
        ),
        QrState::Approved => {
            let replaces = ctx.auth.as_ref().map(|a| a.secret.clone());
            let result = st
                .core
                .approvals
                .finish(&id, &ctx.browser.pre_id, replaces.as_deref(), &ctx.client)
                .await;
            match result {
                Ok(ns) => {
                    let to = if next.is_empty() { "/account" } else { &next };
                    let mut res = see_other(to);
                    append_cookie(res.headers_mut(), &cookie(SESSION_COOKIE, &ns.secret));
                    res
                }
                Err(LoginError::Unavailable(e)) => return Err(ctx.fail(e)),
                Err(e) => {
                    let (status, message) =
                        super::login::failure(&ctx.tr, &e, "err-app-login-over");
                    let page = super::login::login_page(&st, &ctx, next, message);
                    render(status, &page)
                }
            }
        }
        QrState::Refused => over(&st, &ctx, "err-app-login-refused"),
        QrState::Expired => over(&st, &ctx, "err-app-login-expired"),
        QrState::Elsewhere | QrState::Gone => {
            return Err(npass_core::Error::NotFound.into());
        }
    })
}

/// `GET /login/app/{id}/qr.png`: the link to the phone's approval page, for the browser that
/// asked only.
pub async fn qr(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let link = st
        .core
        .approvals
        .link(&id, &ctx.browser.pre_id)
        .await?
        .ok_or(npass_core::Error::NotFound)?;
    let png = crate::qr::png(&link).ok_or_else(|| npass_core::Error::Internal("qr".into()))?;
    let headers = [
        (header::CONTENT_TYPE, "image/png"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    Ok((headers, png).into_response())
}

/// `GET /login/app/{id}/status`: `{"state": "waiting"}` until the phone answered.
pub async fn status(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Response {
    let state = match st.core.approvals.state(&id, &ctx.browser.pre_id).await {
        Ok(QrState::Waiting { .. }) => "waiting",
        Ok(_) => "done",
        Err(_) => "unavailable",
    };
    let mut res = Json(json!({ "state": state })).into_response();
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    res
}

#[derive(Template)]
#[template(path = "app_approve.html")]
pub struct ApprovePage {
    pub l: Layout,
}

/// `GET /app/approve`: the phone's approval page (the request's id and secret stay in the
/// link's fragment, which its script reads).
pub async fn approve_page(State(st): State<AppState>, ctx: Ctx) -> Response {
    render(
        StatusCode::OK,
        &ApprovePage {
            l: Layout::of(&st, &ctx),
        },
    )
}

pub async fn approve_js() -> Response {
    super::script(include_str!("../../static/approve.js"))
}

#[derive(Deserialize)]
pub struct ApprovalBody {
    #[serde(default)]
    pub secret: String,
    #[serde(default)]
    pub number: u8,
    #[serde(default)]
    pub ceremony: String,
    #[serde(default)]
    pub credential: String,
}

fn problem(ctx: &Ctx, r: Refusal) -> Response {
    let (status, code) = match r {
        Refusal::Unknown => (StatusCode::NOT_FOUND, "unknown"),
        Refusal::Used => (StatusCode::CONFLICT, "used"),
        Refusal::Expired => (StatusCode::GONE, "expired"),
        Refusal::WrongNumber => (StatusCode::FORBIDDEN, "wrong-number"),
        Refusal::Passkey => (StatusCode::FORBIDDEN, "passkey"),
    };
    let message = ctx.tr.t(&format!("app-refused-{code}"));
    (status, Json(json!({"error": code, "message": message}))).into_response()
}

/// `POST /app/v1/approvals/{id}` `{secret}`: who is asking — the e-service, the browser, where
/// from, when — and three numbers to pick from.
pub async fn request(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(b): Json<ApprovalBody>,
) -> Result<Response, crate::error::PageError> {
    let l = Layout::of(&st, &ctx);
    Ok(match st.core.approvals.request(&id, &b.secret).await? {
        Ok(r) => {
            let mut v = who_asks(&st, &l, r.service, &r.user_agent, &r.ip, r.at);
            v.insert("numbers".into(), json!(r.numbers));
            Json(v).into_response()
        }
        Err(r) => problem(&ctx, r),
    })
}

/// What the phone shows of a request: the e-service (or the npass portal), the browser in
/// words, where it is, when it asked.
pub(crate) fn who_asks(
    st: &AppState,
    l: &Layout,
    service: String,
    user_agent: &str,
    ip: &str,
    at: i64,
) -> serde_json::Map<String, serde_json::Value> {
    let service = if service.is_empty() {
        l.t("app-portal")
    } else {
        service
    };
    let mut m = serde_json::Map::new();
    m.insert("service".into(), json!(service));
    m.insert(
        "browser".into(),
        json!(super::account::device_name(l, user_agent)),
    );
    m.insert("place".into(), json!(crate::pages::place_of(st, ip)));
    m.insert("at".into(), json!(crate::pages::local_time(st, at)));
    m
}

/// `POST /app/v1/approvals/{id}/options` `{secret, number}`: the passkey ceremony that
/// approves it with that number.
pub async fn options(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(b): Json<ApprovalBody>,
) -> Result<Response, crate::error::PageError> {
    Ok(
        match st
            .core
            .approvals
            .options(&id, &b.secret, b.number, &ctx.browser.pre_id)
            .await?
        {
            Ok(c) => super::passkey::options_json(c),
            Err(r) => problem(&ctx, r),
        },
    )
}

/// `POST /app/v1/approvals/{id}/approve` `{secret, ceremony, credential}`.
pub async fn approve(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(b): Json<ApprovalBody>,
) -> Result<Response, crate::error::PageError> {
    Ok(
        match st
            .core
            .approvals
            .approve(
                &id,
                &b.secret,
                &b.ceremony,
                &b.credential,
                &ctx.browser.pre_id,
                &ctx.client,
            )
            .await?
        {
            Ok(()) => Json(json!({"result": "approved", "message": ctx.tr.t("app-approved")}))
                .into_response(),
            Err(r) => problem(&ctx, r),
        },
    )
}

/// `POST /app/v1/approvals/{id}/deny` `{secret}`.
pub async fn deny(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Json(b): Json<ApprovalBody>,
) -> Result<Response, crate::error::PageError> {
    Ok(
        match st.core.approvals.deny(&id, &b.secret, &ctx.client).await? {
            Ok(()) => {
                Json(json!({"result": "denied", "message": ctx.tr.t("app-denied")})).into_response()
            }
            Err(r) => problem(&ctx, r),
        },
    )
}
