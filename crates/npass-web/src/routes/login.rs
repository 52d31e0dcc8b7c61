use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use npass_core::login::{LoginError, LoginInput};
use serde::Deserialize;

use super::query;
use crate::AppState;
use crate::error::PageResult;
use crate::pages::{FieldErrors, Layout, field_message};
use crate::web::{
    Ctx, SESSION_COOKIE, WebForm, append_cookie, cookie, enc, expired_cookie, render, safe_next,
    see_other,
};

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub l: Layout,
    pub national_id: String,
    pub next: String,
    pub reauth: bool,
    pub errors: FieldErrors,
    /// E-signature login is configured.
    pub esign: bool,
    /// The client-certificate listener is on.
    pub esign_card: bool,
    /// Registration, coming back to `next` (an e-service's parked request) once confirmed.
    pub register_href: String,
    /// Passkeys work here (the public URL names a host).
    pub passkeys: bool,
}

/// `/register`, carrying `next` when there is one.
fn register_href(next: &str) -> String {
    if next.is_empty() {
        "/register".into()
    } else {
        format!("/register?next={}", enc(next))
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    pub national_id: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub next: String,
}

pub async fn page(State(st): State<AppState>, ctx: Ctx, raw: RawQuery) -> Response {
    let q = query(&raw);
    let next = q.get("next").and_then(|n| safe_next(n)).unwrap_or_default();
    let reauth = q.contains_key("reauth");
    if ctx.auth.is_some() && !reauth {
        return see_other(if next.is_empty() { "/account" } else { &next });
    }
    let mut l = Layout::of(&st, &ctx);
    match q.get("done").map(String::as_str) {
        Some("logout") => l.notices.push(l.t("notice-logged-out")),
        Some("confirmed") => l.notices.push(l.t("notice-email-confirmed")),
        Some("password-reset") => l.notices.push(l.t("notice-password-reset-login")),
        Some("deleted") => l.notices.push(l.t("notice-account-deleted")),
        Some("email-changed") => l.notices.push(l.t("notice-email-changed")),
        _ => {}
    }
    let notice = if q.contains_key("esign") && st.core.esign.enabled() {
        Some("notice-esign-for-two-step")
    } else if reauth {
        Some("notice-reauth")
    } else if next.starts_with("/account/two-step") {
        Some("notice-login-for-two-step")
    } else {
        None
    };
    form(&st, l, next, reauth, notice)
}

/// The login form, answering the request that needs a login where it is (an authorization
/// request renders it without a redirect). After the login the browser goes on to `next`; the
/// language links lead to `/login` for the same `next`, so switching language repeats nothing.
pub fn here(st: &AppState, ctx: &Ctx, next: String, reauth: bool) -> Response {
    let r = if reauth { "&reauth=1" } else { "" };
    let l = Layout::of(st, ctx).lang_links_to("/login", &format!("next={}{r}", enc(&next)));
    form(
        st,
        l,
        next,
        reauth,
        reauth.then_some("notice-reauth-service"),
    )
}

fn form(
    st: &AppState,
    mut l: Layout,
    next: String,
    reauth: bool,
    notice: Option<&str>,
) -> Response {
    if let Some(key) = notice {
        l.notices.push(l.t(key));
    }
    render(
        StatusCode::OK,
        &LoginPage {
            l,
            national_id: String::new(),
            reauth,
            errors: FieldErrors::default(),
            esign: st.core.esign.enabled(),
            esign_card: st.cfg.esign_tls_url.is_some(),
            register_href: register_href(&next),
            passkeys: st.core.passkeys.enabled(),
            next,
        },
    )
}

pub async fn submit(
    State(st): State<AppState>,
    ctx: Ctx,
    WebForm(f): WebForm<LoginForm>,
) -> PageResult {
    let replaces = ctx.auth.as_ref().map(|a| a.secret.clone());
    let input = LoginInput {
        pre_id: ctx.browser.pre_id.clone(),
        national_id: f.national_id.clone(),
        password: f.password.into(),
        code: f.code.into(),
    };
    let result = st
        .core
        .logins
        .login(input, &ctx.client, replaces.as_deref())
        .await;
    let ctx = super::oidc::continuing(&st, ctx, &f.next).await;
    let err = match result {
        Ok(ns) => {
            let next = safe_next(&f.next).unwrap_or_else(|| "/account".into());
            let mut res = see_other(&next);
            append_cookie(res.headers_mut(), &cookie(SESSION_COOKIE, &ns.secret));
            return Ok(res);
        }
        Err(LoginError::PasskeyStep { key }) => {
            let next = safe_next(&f.next).unwrap_or_default();
            return Ok(super::passkey::step_page(&st, &ctx, key, next));
        }
        Err(LoginError::Unavailable(e)) => return Err(ctx.fail(e)),
        Err(e) => e,
    };
    let (status, message) = failure(&ctx.tr, &err, "err-login-failed");
    let mut page = login_page(&st, &ctx, safe_next(&f.next).unwrap_or_default(), message);
    page.national_id = f.national_id.chars().take(64).collect();
    Ok(render(status, &page))
}

/// The answer to a login that failed (not `Unavailable`): its status and message, by field.
/// `failed` is the message for wrong credentials, which says nothing more.
pub fn failure(
    tr: &crate::i18n::Tr,
    e: &LoginError,
    failed: &str,
) -> (StatusCode, (String, String)) {
    match e {
        LoginError::Invalid(e) => (StatusCode::BAD_REQUEST, field_message(tr, e)),
        LoginError::CodeUsed => (
            StatusCode::UNAUTHORIZED,
            ("code".into(), tr.t("err-code-used")),
        ),
        LoginError::Failed | LoginError::Gone | LoginError::PasskeyStep { .. } => {
            (StatusCode::UNAUTHORIZED, ("".into(), tr.t(failed)))
        }
        LoginError::RateLimited { retry_after_ms } => (
            StatusCode::TOO_MANY_REQUESTS,
            field_message(
                tr,
                &npass_core::Error::RateLimited {
                    retry_after_ms: *retry_after_ms,
                },
            ),
        ),
        LoginError::Locked => (StatusCode::FORBIDDEN, ("".into(), tr.t("err-locked"))),
        LoginError::EmailNotConfirmed => (
            StatusCode::FORBIDDEN,
            ("".into(), tr.t("err-email-not-confirmed")),
        ),
        LoginError::AccountLocked => (
            StatusCode::FORBIDDEN,
            ("".into(), tr.t("err-account-locked")),
        ),
        LoginError::SecondFactorRequired => (
            StatusCode::FORBIDDEN,
            ("".into(), tr.t("err-second-factor-required")),
        ),
        LoginError::Unavailable(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            ("".into(), tr.t("error-unavailable")),
        ),
    }
}

/// The login form again, with one error.
pub fn login_page(st: &AppState, ctx: &Ctx, next: String, err: (String, String)) -> LoginPage {
    let mut errors = FieldErrors::default();
    errors.push(&err.0, err.1);
    LoginPage {
        l: Layout::of(st, ctx),
        national_id: String::new(),
        register_href: register_href(&next),
        next,
        reauth: false,
        errors,
        esign: st.core.esign.enabled(),
        esign_card: st.cfg.esign_tls_url.is_some(),
        passkeys: st.core.passkeys.enabled(),
    }
}

#[derive(Deserialize)]
pub struct LogoutForm {}

pub async fn logout(
    State(st): State<AppState>,
    ctx: Ctx,
    WebForm(_f): WebForm<LogoutForm>,
) -> PageResult {
    let mut res = see_other("/login?done=logout");
    if let Some(a) = &ctx.auth {
        res = super::saml_logout::end(&st, &ctx, a, "/login?done=logout").await?;
    }
    append_cookie(res.headers_mut(), &expired_cookie(SESSION_COOKIE));
    Ok(res)
}
