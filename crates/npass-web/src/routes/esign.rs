//! E-signature login by signed challenge (design note 0004): start, the waiting page, the
//! signing application's API, and the mandatory-data page of a newcomer.

use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use npass_core::Error;
use npass_core::esign::{Answer, Finish, Refusal, State as EsignState};
use npass_core::register::MandatoryData;
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::error::{ApiError, PageResult, api_json};
use crate::pages::{FieldErrors, Layout, MessagePage};
use crate::web::{Ctx, SESSION_COOKIE, WebForm, append_cookie, cookie, render, see_other};

#[derive(Template)]
#[template(path = "esign_wait.html")]
pub struct WaitPage {
    pub l: Layout,
    pub text: String,
    pub link: String,
    /// This page's own address (with `next`), for the "Continue" link.
    pub here: String,
    pub status_url: String,
    pub qr_url: String,
}

#[derive(Template)]
#[template(path = "esign_register.html")]
pub struct RegisterPage {
    pub l: Layout,
    pub id: String,
    pub given_name: String,
    pub family_name: String,
    pub national_id: String,
    pub birth_date: String,
    pub email: String,
    pub phone: String,
    pub errors: FieldErrors,
}

#[derive(Deserialize)]
pub struct StartForm {
    #[serde(default)]
    pub next: String,
}

/// Where to go after the login: `next` when it is one of our pages.
fn next_query(next: &str) -> String {
    match crate::web::safe_next(next) {
        Some(n) => format!("?next={}", crate::web::enc(&n)),
        None => String::new(),
    }
}

/// `POST /login/esign`: a new challenge for this browser, then its waiting page.
pub async fn start(
    State(st): State<AppState>,
    ctx: Ctx,
    WebForm(f): WebForm<StartForm>,
) -> PageResult {
    let (id, _) = st.core.esign.esign_start(&ctx.browser.pre_id).await?;
    Ok(see_other(&format!(
        "/login/esign/{id}{}",
        next_query(&f.next)
    )))
}

/// `POST /login/esign/card`: a new challenge, answered by the browser itself on the
/// client-certificate listener, which sends it back here.
pub async fn card(
    State(st): State<AppState>,
    ctx: Ctx,
    WebForm(f): WebForm<StartForm>,
) -> PageResult {
    let url = st.cfg.esign_tls_url.clone().ok_or(Error::NotFound)?;
    let (id, text) = st.core.esign.esign_start(&ctx.browser.pre_id).await?;
    Ok(see_other(&format!(
        "{url}/tls/{id}?n={}{}",
        npass_core::esign::nonce_of(&text),
        next_query(&f.next).replacen('?', "&", 1)
    )))
}

/// A refusal's page: what went wrong, and the other ways to log in.
fn refused(st: &AppState, ctx: &Ctx, r: Refusal) -> Response {
    let l = Layout::of(st, ctx);
    let page = MessagePage {
        title: l.t("esign-refused-title"),
        paragraphs: vec![
            l.t(&format!("err-{}", r.code())),
            l.t("esign-other-methods"),
        ],
        link: Some(("/login".into(), l.t("esign-back-to-login"))),
        show_request_id: true,
        l,
    };
    render(StatusCode::FORBIDDEN, &page)
}

/// `GET /login/esign/{id}`: waits (reloading every 2 s) until the signature arrives, then
/// logs in, or sends a newcomer to the mandatory-data page.
pub async fn wait(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    raw: axum::extract::RawQuery,
) -> PageResult {
    let next = super::query(&raw)
        .get("next")
        .and_then(|n| crate::web::safe_next(n))
        .unwrap_or_else(|| "/account".into());
    let state = st.core.esign.esign_state(&id, &ctx.browser.pre_id).await?;
    Ok(match state {
        EsignState::Waiting { text } => {
            let link = deep_link(&text);
            let page = WaitPage {
                l: Layout::of(&st, &ctx),
                text,
                link,
                here: format!("/login/esign/{id}{}", next_query(&next)),
                status_url: format!("/login/esign/{id}/status"),
                qr_url: format!("/login/esign/{id}/qr.png"),
            };
            render(StatusCode::OK, &page)
        }
        EsignState::Refused(r) => refused(&st, &ctx, r),
        EsignState::Elsewhere => refused(&st, &ctx, Refusal::ChallengeUnknown),
        EsignState::Gone => return Err(Error::NotFound.into()),
        EsignState::Verified => {
            let replaces = ctx.auth.as_ref().map(|a| a.secret.clone());
            let finish = st
                .core
                .esign
                .esign_finish(&id, &ctx.browser.pre_id, replaces.as_deref(), &ctx.client)
                .await?;
            match finish {
                Finish::Session(ns) => {
                    let mut res = see_other(&next);
                    append_cookie(res.headers_mut(), &cookie(SESSION_COOKIE, &ns.secret));
                    res
                }
                Finish::Register(_) => see_other(&format!("/login/esign/{id}/register")),
                Finish::AccountLocked => crate::pages::message_page(
                    &st,
                    &ctx.browser,
                    StatusCode::FORBIDDEN,
                    "error-title",
                    "err-account-locked",
                ),
            }
        }
    })
}

/// `GET /login/esign/{id}/qr.png`: the challenge's `npass-sign:` link as a QR code, for a
/// signing application on a phone. Only the browser that asked sees it.
pub async fn qr(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let EsignState::Waiting { text } = st.core.esign.esign_state(&id, &ctx.browser.pre_id).await?
    else {
        return Err(Error::NotFound.into());
    };
    let png = crate::qr::png(&deep_link(&text)).ok_or_else(|| Error::Internal("qr".into()))?;
    let headers = [
        (axum::http::header::CONTENT_TYPE, "image/png"),
        (axum::http::header::CACHE_CONTROL, "no-store"),
    ];
    Ok((headers, png).into_response())
}

fn deep_link(text: &str) -> String {
    format!(
        "npass-sign:{}",
        form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>()
    )
}

/// `GET /login/esign/{id}/status`: `{"state": "waiting"}` until something happened; the
/// waiting page's script then reloads it.
pub async fn status(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Response {
    let state = match st.core.esign.esign_state(&id, &ctx.browser.pre_id).await {
        Ok(EsignState::Waiting { .. }) => "waiting",
        Ok(_) => "done",
        Err(_) => "unavailable",
    };
    let mut res = Json(json!({ "state": state })).into_response();
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    res
}

/// `POST /api/esign/challenges/{id}`: the signing application's answer (JSON, no cookies; the
/// nonce in the signed text is the secret).
pub async fn answer(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let a = serde_json::from_slice::<Answer>(&body).map_err(|_| api_refusal(Refusal::Malformed))?;
    match st.core.esign.esign_answer(&id, &a, &ctx.client).await? {
        Ok(_) => Ok(api_json(StatusCode::OK, json!({"status": "verified"}))),
        Err(r) => Err(api_refusal(r)),
    }
}

/// A refused answer in the API's problem shape; its code is the refusal's (docs/esign.md).
fn api_refusal(r: Refusal) -> ApiError {
    let status = match r {
        Refusal::ChallengeUnknown => StatusCode::NOT_FOUND,
        Refusal::ChallengeUsed => StatusCode::CONFLICT,
        Refusal::ChallengeExpired => StatusCode::GONE,
        Refusal::Malformed | Refusal::BadSignature => StatusCode::BAD_REQUEST,
        _ => StatusCode::FORBIDDEN,
    };
    ApiError::problem(status, r.code(), "the answer was refused")
}

#[derive(Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    pub birth_date: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
}

/// `GET /login/esign/{id}/register`: the mandatory-data page, names from the certificate.
pub async fn register_page(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult {
    register_form(&st, &ctx, id, RegisterForm::empty(), FieldErrors::default()).await
}

impl RegisterForm {
    fn empty() -> Self {
        RegisterForm {
            birth_date: String::new(),
            email: String::new(),
            phone: String::new(),
        }
    }
}

async fn register_form(
    st: &AppState,
    ctx: &Ctx,
    id: String,
    f: RegisterForm,
    errors: FieldErrors,
) -> PageResult {
    let ident = st
        .core
        .esign
        .esign_newcomer(&id, &ctx.browser.pre_id)
        .await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let page = RegisterPage {
        l: Layout::of(st, ctx),
        id,
        given_name: ident.given_name,
        family_name: ident.family_name,
        national_id: ident.national_id,
        birth_date: f.birth_date,
        email: f.email,
        phone: f.phone,
        errors,
    };
    Ok(render(status, &page))
}

/// `POST /login/esign/{id}/register`: opens the account (assurance verified) and logs in.
pub async fn register(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    WebForm(f): WebForm<RegisterForm>,
) -> PageResult {
    let data = MandatoryData {
        birth_date: f.birth_date.clone(),
        email: f.email.clone(),
        phone: f.phone.clone(),
        language: ctx.browser.lang.to_owned(),
    };
    match st
        .core
        .esign
        .esign_register(&id, &ctx.browser.pre_id, data, &ctx.client)
        .await
    {
        Ok(ns) => {
            let mut res = see_other("/account");
            append_cookie(res.headers_mut(), &cookie(SESSION_COOKIE, &ns.secret));
            Ok(res)
        }
        Err(errs) if errs.iter().all(|e| matches!(e, Error::Invalid { .. })) => {
            let errors = FieldErrors::from(&ctx.tr, &errs);
            register_form(&st, &ctx, id, f, errors).await
        }
        Err(errs) => Err(errs.into_iter().next().unwrap_or(Error::NotFound).into()),
    }
}
