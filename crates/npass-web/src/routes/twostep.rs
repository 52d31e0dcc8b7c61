//! The MPass activation journey: steps → (password) → phone type → QR → code → success.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use npass_core::Error;
use serde::Deserialize;

use super::account::need_login;
use super::query;
use crate::AppState;
use crate::pages::{FieldErrors, Layout};
use crate::qr;
use crate::web::{Ctx, WebForm, error_page, render, see_other};

#[derive(Template)]
#[template(path = "twostep_intro.html")]
pub struct IntroPage {
    pub l: Layout,
    pub active_since: Option<String>,
    pub recovery_left: i64,
    pub start: String,
    pub errors: FieldErrors,
    /// (form action, title key, explanation key) of each change that needs a current code.
    pub actions: Vec<(&'static str, &'static str, &'static str)>,
}

const ACTIONS: [(&str, &str, &str); 3] = [
    (
        "/account/two-step/replace",
        "two-step-replace",
        "two-step-replace-text",
    ),
    (
        "/account/recovery-codes",
        "recovery-new-title",
        "recovery-new-text",
    ),
    (
        "/account/two-step/remove",
        "two-step-remove",
        "two-step-remove-text",
    ),
];

#[derive(Template)]
#[template(path = "twostep_password.html")]
pub struct PasswordPage {
    pub l: Layout,
    pub errors: FieldErrors,
    pub min_password: usize,
    /// Where the form posts: the activation journey's first password, or a reset.
    pub action: String,
}

#[derive(Template)]
#[template(path = "twostep_device.html")]
pub struct DevicePage {
    pub l: Layout,
    pub device: String,
}

#[derive(Template)]
#[template(path = "twostep_scan.html")]
pub struct ScanPage {
    pub l: Layout,
    pub secret: String,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "twostep_done.html")]
pub struct DonePage {
    pub l: Layout,
    pub title: String,
    pub message: String,
    pub codes: Vec<String>,
}

macro_rules! authed {
    ($st:expr, $ctx:expr, $fresh:expr) => {
        match need_login(&$st, &$ctx, $fresh) {
            Ok(a) => a.clone(),
            Err(r) => return r,
        }
    };
}

async fn intro_with(st: &AppState, ctx: &Ctx, errors: FieldErrors, status: StatusCode) -> Response {
    let a = authed!(st, ctx, false);
    let s = match st.core.two_step_status(&a.account).await {
        Ok(s) => s,
        Err(e) => return error_page(st, &ctx.browser, &e),
    };
    let start = if a.account.password_hash.is_some() {
        "/account/two-step/device"
    } else {
        "/account/two-step/password"
    };
    let page = IntroPage {
        l: Layout::of(st, ctx),
        active_since: s
            .active
            .map(|t| npass_core::clock::format_utc(t.created_at)),
        recovery_left: s.recovery_left,
        start: start.into(),
        errors,
        actions: ACTIONS.to_vec(),
    };
    render(status, &page)
}

pub async fn intro(State(st): State<AppState>, ctx: Ctx) -> Response {
    intro_with(&st, &ctx, FieldErrors::default(), StatusCode::OK).await
}

/// The password page posting to `action`, with `errors` (none: 200, else 400).
fn password_form(st: &AppState, ctx: &Ctx, action: &str, errors: FieldErrors) -> Response {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let page = PasswordPage {
        l: Layout::of(st, ctx),
        errors,
        min_password: st.core.policy.min_password_len(),
        action: action.into(),
    };
    render(status, &page)
}

pub async fn password_page(State(st): State<AppState>, ctx: Ctx) -> Response {
    let a = authed!(st, ctx, true);
    if a.account.password_hash.is_some() {
        return see_other("/account/two-step/device");
    }
    password_form(
        &st,
        &ctx,
        "/account/two-step/password",
        FieldErrors::default(),
    )
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub password_confirm: String,
}

pub async fn password_submit(
    State(st): State<AppState>,
    ctx: Ctx,
    WebForm(f): WebForm<PasswordForm>,
) -> Response {
    let a = authed!(st, ctx, true);
    match st
        .core
        .set_first_password(&a.account, &f.password, &f.password_confirm, &ctx.client)
        .await
    {
        Ok(()) | Err(Error::Conflict("password-exists")) => see_other("/account/two-step/device"),
        Err(e @ Error::Invalid { .. }) => password_form(
            &st,
            &ctx,
            "/account/two-step/password",
            FieldErrors::from(&ctx.tr, &[e]),
        ),
        Err(e) => error_page(&st, &ctx.browser, &e),
    }
}

/// `GET /account/password`: a new password, after a recent login (an e-signature login where
/// the deployment has one: the "forgot password" path of the MPass journey).
pub async fn reset_page(State(st): State<AppState>, ctx: Ctx) -> Response {
    let _a = authed!(st, ctx, true);
    password_form(&st, &ctx, "/account/password", FieldErrors::default())
}

pub async fn reset_submit(
    State(st): State<AppState>,
    ctx: Ctx,
    WebForm(f): WebForm<PasswordForm>,
) -> Response {
    let a = authed!(st, ctx, true);
    match st
        .core
        .reset_password(&a.account, &f.password, &f.password_confirm, &ctx.client)
        .await
    {
        Ok(()) => see_other("/account?done=password-reset"),
        Err(e @ Error::Invalid { .. }) => password_form(
            &st,
            &ctx,
            "/account/password",
            FieldErrors::from(&ctx.tr, &[e]),
        ),
        Err(e) => error_page(&st, &ctx.browser, &e),
    }
}

pub async fn device_page(State(st): State<AppState>, ctx: Ctx, raw: RawQuery) -> Response {
    let _a = authed!(st, ctx, true);
    let device = query(&raw)
        .get("device")
        .filter(|d| ["android", "apple"].contains(&d.as_str()))
        .cloned();
    render(
        StatusCode::OK,
        &DevicePage {
            l: Layout::of(&st, &ctx),
            device: device.unwrap_or_default(),
        },
    )
}

async fn scan_with(st: &AppState, ctx: &Ctx, errors: FieldErrors, status: StatusCode) -> Response {
    let a = authed!(st, ctx, true);
    match st.core.enrolment(&a.account).await {
        Ok(en) => render(
            status,
            &ScanPage {
                l: Layout::of(st, ctx),
                secret: en.secret_grouped,
                errors,
            },
        ),
        Err(e) => error_page(st, &ctx.browser, &e),
    }
}

pub async fn scan_page(State(st): State<AppState>, ctx: Ctx) -> Response {
    scan_with(&st, &ctx, FieldErrors::default(), StatusCode::OK).await
}

/// The QR code of the enrolment in progress, drawn by npass itself.
pub async fn qr_png(State(st): State<AppState>, ctx: Ctx) -> Response {
    let a = authed!(st, ctx, true);
    let en = match st.core.enrolment(&a.account).await {
        Ok(en) => en,
        Err(e) => return error_page(&st, &ctx.browser, &e),
    };
    match qr::png(&en.otpauth_uri) {
        Some(png) => (
            [
                (header::CONTENT_TYPE, "image/png"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            png,
        )
            .into_response(),
        None => error_page(&st, &ctx.browser, &Error::Internal("qr".into())),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    pub code: String,
}

pub async fn confirm(
    State(st): State<AppState>,
    ctx: Ctx,
    WebForm(f): WebForm<CodeForm>,
) -> Response {
    let a = authed!(st, ctx, true);
    match st
        .core
        .confirm_enrolment(&a.account, &f.code, &ctx.client)
        .await
    {
        Ok(codes) => {
            let l = Layout::of(&st, &ctx);
            let page = DonePage {
                title: l.t("two-step-done-title"),
                message: l.t("two-step-done"),
                codes,
                l,
            };
            render(StatusCode::OK, &page)
        }
        Err(
            e @ (Error::Invalid { .. } | Error::RateLimited { .. } | Error::Forbidden("locked")),
        ) => {
            let status = code_status(&e);
            scan_with(&st, &ctx, FieldErrors::from(&ctx.tr, &[e]), status).await
        }
        Err(Error::Expired(_)) => see_other("/account/two-step/scan"),
        Err(e) => error_page(&st, &ctx.browser, &e),
    }
}

fn code_status(e: &Error) -> StatusCode {
    match e {
        Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::Forbidden(_) => StatusCode::FORBIDDEN,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// Answers a failed current-code check on the two-step page.
async fn code_failed(st: &AppState, ctx: &Ctx, e: Error) -> Response {
    match e {
        Error::Invalid { .. } | Error::RateLimited { .. } | Error::Forbidden("locked") => {
            let status = code_status(&e);
            intro_with(st, ctx, FieldErrors::from(&ctx.tr, &[e]), status).await
        }
        other => error_page(st, &ctx.browser, &other),
    }
}

pub async fn remove(
    State(st): State<AppState>,
    ctx: Ctx,
    WebForm(f): WebForm<CodeForm>,
) -> Response {
    let a = authed!(st, ctx, true);
    match st
        .core
        .remove_two_step(&a.account, &f.code, &ctx.client)
        .await
    {
        Ok(()) => see_other("/account?done=two-step-removed"),
        Err(e) => code_failed(&st, &ctx, e).await,
    }
}

pub async fn replace(
    State(st): State<AppState>,
    ctx: Ctx,
    WebForm(f): WebForm<CodeForm>,
) -> Response {
    let a = authed!(st, ctx, true);
    match st
        .core
        .start_replacement(&a.account, &f.code, &ctx.client)
        .await
    {
        Ok(()) => see_other("/account/two-step/device"),
        Err(e) => code_failed(&st, &ctx, e).await,
    }
}

pub async fn recovery_codes(
    State(st): State<AppState>,
    ctx: Ctx,
    WebForm(f): WebForm<CodeForm>,
) -> Response {
    let a = authed!(st, ctx, true);
    match st
        .core
        .regenerate_recovery_codes(&a.account, &f.code, &ctx.client)
        .await
    {
        Ok(codes) => {
            let l = Layout::of(&st, &ctx);
            let page = DonePage {
                title: l.t("recovery-new-title"),
                message: l.t("recovery-new"),
                codes,
                l,
            };
            render(StatusCode::OK, &page)
        }
        Err(e) => code_failed(&st, &ctx, e).await,
    }
}
