//! The MPass activation journey: steps → (password) → phone type → QR → code → success.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use npass_core::Error;
use serde::Deserialize;

use super::query;
use crate::AppState;
use crate::error::PageResult;
use crate::pages::{FieldErrors, Layout};
use crate::qr;
use crate::web::{
    Authed, Citizen, Ctx, FreshCitizen, RETURN_COOKIE, WebForm, append_cookie, cookies, enc,
    expired_cookie, lasting_cookie, render, safe_next, see_other,
};

#[derive(Template)]
#[template(path = "twostep_intro.html")]
pub struct IntroPage {
    pub l: Layout,
    pub active_since: Option<String>,
    pub recovery_left: i64,
    pub start: String,
    pub errors: FieldErrors,
    /// (form action, title key, explanation key, button style) of each change that needs a
    /// current code; the page has one code field for all three.
    pub actions: Vec<(&'static str, &'static str, &'static str, &'static str)>,
}

const ACTIONS: [(&str, &str, &str, &str); 3] = [
    (
        "/account/two-step/replace",
        "two-step-replace",
        "two-step-replace-text",
        "secondary",
    ),
    (
        "/account/recovery-codes",
        "recovery-new-title",
        "recovery-new-text",
        "secondary",
    ),
    (
        "/account/two-step/remove",
        "two-step-remove",
        "two-step-remove-text",
        "warning",
    ),
];

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
    /// The `otpauth://` URI: tappable on the phone that has the app (a phone cannot scan its
    /// own screen).
    pub otpauth: String,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "twostep_done.html")]
pub struct DonePage {
    pub l: Layout,
    pub title: String,
    pub message: String,
    pub codes: Vec<String>,
    /// The e-service's request this journey was started for: log in with the code and go on.
    pub continue_href: Option<String>,
}

async fn intro_with(
    st: &AppState,
    ctx: &Ctx,
    a: &Authed,
    errors: FieldErrors,
    status: StatusCode,
) -> PageResult {
    let s = st.core.credentials.two_step_status(&a.account).await?;
    let start = if a.account.password_hash.is_some() {
        "/account/two-step/device"
    } else {
        "/account/two-step/password"
    };
    let page = IntroPage {
        l: Layout::of(st, ctx),
        active_since: s.active.map(|t| crate::pages::local_time(st, t.created_at)),
        recovery_left: s.recovery_left,
        start: start.into(),
        errors,
        actions: ACTIONS.to_vec(),
    };
    Ok(render(status, &page))
}

/// `GET /account/two-step`; `?next=` (an e-service's parked request that needs the level)
/// is remembered for the end of the journey.
pub async fn intro(
    State(st): State<AppState>,
    ctx: Ctx,
    Citizen(a): Citizen,
    raw: RawQuery,
) -> PageResult {
    let mut res = intro_with(&st, &ctx, &a, FieldErrors::default(), StatusCode::OK).await?;
    if let Some(next) = query(&raw).get("next").and_then(|n| safe_next(n)) {
        append_cookie(
            res.headers_mut(),
            &lasting_cookie(RETURN_COOKIE, &enc(&next), 30 * 60),
        );
    }
    Ok(res)
}

/// The journey's way back (`RETURN_COOKIE`), if one was remembered.
fn return_to(headers: &HeaderMap) -> Option<String> {
    let v = cookies(headers).remove(RETURN_COOKIE)?;
    let decoded: String = form_urlencoded::parse(format!("x={v}").as_bytes())
        .next()?
        .1
        .into_owned();
    safe_next(&decoded)
}

pub async fn password_page(
    State(st): State<AppState>,
    ctx: Ctx,
    FreshCitizen(a): FreshCitizen,
) -> Response {
    if a.account.password_hash.is_some() {
        return see_other("/account/two-step/device");
    }
    super::password::form(
        &st,
        &ctx,
        super::password::Form::First,
        FieldErrors::default(),
    )
}

pub async fn password_submit(
    State(st): State<AppState>,
    ctx: Ctx,
    FreshCitizen(a): FreshCitizen,
    WebForm(f): WebForm<super::password::PasswordForm>,
) -> PageResult {
    match st
        .core
        .credentials
        .set_first_password(
            &a.account,
            &a.session,
            &f.password,
            &f.password_confirm,
            &ctx.client,
        )
        .await
    {
        Ok(()) | Err(Error::Conflict("password-exists")) => {
            Ok(see_other("/account/two-step/device"))
        }
        Err(e @ Error::Invalid { .. }) => Ok(super::password::form(
            &st,
            &ctx,
            super::password::Form::First,
            FieldErrors::from(&ctx.tr, &[e]),
        )),
        Err(e) => Err(e.into()),
    }
}

pub async fn device_page(
    State(st): State<AppState>,
    ctx: Ctx,
    _: FreshCitizen,
    raw: RawQuery,
) -> Response {
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

async fn scan_with(
    st: &AppState,
    ctx: &Ctx,
    a: &Authed,
    errors: FieldErrors,
    status: StatusCode,
) -> PageResult {
    let en = st.core.credentials.enrolment(&a.account).await?;
    let page = ScanPage {
        l: Layout::of(st, ctx),
        secret: en.secret_grouped,
        otpauth: en.otpauth_uri,
        errors,
    };
    Ok(render(status, &page))
}

pub async fn scan_page(
    State(st): State<AppState>,
    ctx: Ctx,
    FreshCitizen(a): FreshCitizen,
) -> PageResult {
    scan_with(&st, &ctx, &a, FieldErrors::default(), StatusCode::OK).await
}

/// The QR code of the enrolment in progress, drawn by npass itself.
pub async fn qr_png(State(st): State<AppState>, FreshCitizen(a): FreshCitizen) -> PageResult {
    let en = st.core.credentials.enrolment(&a.account).await?;
    let png = qr::png(&en.otpauth_uri).ok_or_else(|| Error::Internal("qr".into()))?;
    let headers = [
        (header::CONTENT_TYPE, "image/png"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    Ok((headers, png).into_response())
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    pub code: String,
}

pub async fn confirm(
    State(st): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    FreshCitizen(a): FreshCitizen,
    WebForm(f): WebForm<CodeForm>,
) -> PageResult {
    match st
        .core
        .credentials
        .confirm_enrolment(&a.account, &f.code, &ctx.client)
        .await
    {
        Ok(codes) => {
            let l = Layout::of(&st, &ctx);
            // Back to the e-service that needed the level: a login with the new code reaches it.
            let continue_href =
                return_to(&headers).map(|next| format!("/login?reauth=1&next={}", enc(&next)));
            let page = DonePage {
                title: l.t("two-step-done-title"),
                message: l.t("two-step-done"),
                codes,
                continue_href,
                l,
            };
            let mut res = render(StatusCode::OK, &page);
            append_cookie(res.headers_mut(), &expired_cookie(RETURN_COOKIE));
            Ok(res)
        }
        Err(
            e @ (Error::Invalid { .. } | Error::RateLimited { .. } | Error::Forbidden("locked")),
        ) => {
            let status = code_status(&e);
            scan_with(&st, &ctx, &a, FieldErrors::from(&ctx.tr, &[e]), status).await
        }
        Err(Error::Expired(_)) => Ok(see_other("/account/two-step/scan")),
        Err(e) => Err(e.into()),
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
async fn code_failed(st: &AppState, ctx: &Ctx, a: &Authed, e: Error) -> PageResult {
    match e {
        Error::Invalid { .. } | Error::RateLimited { .. } | Error::Forbidden("locked") => {
            let status = code_status(&e);
            intro_with(st, ctx, a, FieldErrors::from(&ctx.tr, &[e]), status).await
        }
        other => Err(other.into()),
    }
}

pub async fn remove(
    State(st): State<AppState>,
    ctx: Ctx,
    FreshCitizen(a): FreshCitizen,
    WebForm(f): WebForm<CodeForm>,
) -> PageResult {
    match st
        .core
        .credentials
        .remove_two_step(&a.account, &f.code, &ctx.client)
        .await
    {
        Ok(()) => Ok(see_other("/account?done=two-step-removed")),
        Err(e) => code_failed(&st, &ctx, &a, e).await,
    }
}

pub async fn replace(
    State(st): State<AppState>,
    ctx: Ctx,
    FreshCitizen(a): FreshCitizen,
    WebForm(f): WebForm<CodeForm>,
) -> PageResult {
    match st
        .core
        .credentials
        .start_replacement(&a.account, &f.code, &ctx.client)
        .await
    {
        Ok(()) => Ok(see_other("/account/two-step/device")),
        Err(e) => code_failed(&st, &ctx, &a, e).await,
    }
}

pub async fn recovery_codes(
    State(st): State<AppState>,
    ctx: Ctx,
    FreshCitizen(a): FreshCitizen,
    WebForm(f): WebForm<CodeForm>,
) -> PageResult {
    match st
        .core
        .credentials
        .regenerate_recovery_codes(&a.account, &f.code, &ctx.client)
        .await
    {
        Ok(codes) => {
            let l = Layout::of(&st, &ctx);
            let page = DonePage {
                title: l.t("recovery-new-title"),
                message: l.t("recovery-new"),
                codes,
                continue_href: None,
                l,
            };
            Ok(render(StatusCode::OK, &page))
        }
        Err(e) => code_failed(&st, &ctx, &a, e).await,
    }
}

/// `GET /account/two-step/lost`: what to do when the phone with the Authenticator app is gone
/// (PRODUCT.md §4.9): the recovery codes, the e-signature where it is configured, the
/// assistance centre.
pub async fn lost(State(st): State<AppState>, ctx: Ctx) -> Response {
    let l = Layout::of(&st, &ctx);
    let mut paragraphs = vec![l.t("lost-recovery")];
    if st.core.esign.enabled() {
        paragraphs.push(l.t("lost-esign"));
    }
    paragraphs.push(l.t("lost-help"));
    paragraphs.push(l.t("lost-after"));
    let page = crate::pages::MessagePage {
        title: l.t("lost-title"),
        paragraphs,
        link: Some(("/login".into(), l.t("link-login"))),
        show_request_id: false,
        l,
    };
    render(StatusCode::OK, &page)
}
