//! Passwords: a forgotten one reset by an emailed link, a change from My account, and the first
//! password of an account opened by e-signature (design note 0011).

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use npass_core::Error;
use serde::Deserialize;

use super::query;
use crate::AppState;
use crate::error::PageResult;
use crate::pages::{FieldErrors, Layout, MessagePage, field_message};
use crate::web::{Citizen, Ctx, WebForm, render, see_other};

#[derive(Template)]
#[template(path = "password.html")]
pub struct PasswordPage {
    pub l: Layout,
    pub errors: FieldErrors,
    pub min_password: usize,
    pub title: &'static str,
    pub action: &'static str,
    /// The current password is asked for.
    pub current: bool,
    /// The emailed link's token, carried by the form.
    pub token: Option<String>,
    pub note: &'static str,
    /// Where the "back" link leads (none: no link).
    pub back: &'static str,
}

/// Which password form.
pub enum Form {
    /// The first password of an account opened by e-signature (the two-step journey).
    First,
    /// A change from My account; `current`: the current password is asked for.
    Change { current: bool },
    /// A reset by the emailed link.
    Reset { token: String },
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    pub current_password: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub password_confirm: String,
    #[serde(default)]
    pub token: String,
}

/// The password page for `which`, with `errors` (none: 200, else 400).
pub fn form(st: &AppState, ctx: &Ctx, which: Form, errors: FieldErrors) -> Response {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let (title, action, current, token, note, back) = match which {
        Form::First => (
            "two-step-password-title",
            "/account/two-step/password",
            false,
            None,
            "two-step-password-note",
            "",
        ),
        Form::Change { current } => (
            "password-change-title",
            "/account/password",
            current,
            None,
            "password-change-note",
            "/account",
        ),
        Form::Reset { token } => (
            "password-reset-title",
            "/password/reset",
            false,
            Some(token),
            "password-reset-note",
            "",
        ),
    };
    let page = PasswordPage {
        l: Layout::of(st, ctx),
        errors,
        min_password: st.core.env.policy.min_password_len(),
        title,
        action,
        current,
        token,
        note,
        back,
    };
    render(status, &page)
}

/// `GET /account/password`: change the password (the current one is asked for unless the
/// login is recent; an e-signature login is the MPass "forgot password" path).
pub async fn change_page(State(st): State<AppState>, ctx: Ctx, Citizen(a): Citizen) -> Response {
    let current = st
        .core
        .credentials
        .needs_current_password(&a.account, &a.session);
    form(&st, &ctx, Form::Change { current }, FieldErrors::default())
}

pub async fn change_submit(
    State(st): State<AppState>,
    ctx: Ctx,
    Citizen(a): Citizen,
    WebForm(f): WebForm<PasswordForm>,
) -> PageResult {
    let current = st
        .core
        .credentials
        .needs_current_password(&a.account, &a.session);
    match st
        .core
        .credentials
        .change_password(
            &a.account,
            &a.session,
            &f.current_password,
            &f.password,
            &f.password_confirm,
            &ctx.client,
        )
        .await
    {
        Ok(()) => Ok(see_other("/account?done=password-changed")),
        Err(
            e @ (Error::Invalid { .. } | Error::RateLimited { .. } | Error::Forbidden("locked")),
        ) => {
            let mut errors = FieldErrors::default();
            let (field, message) = field_message(&ctx.tr, &e);
            errors.push(&field, message);
            let mut res = form(&st, &ctx, Form::Change { current }, errors);
            *res.status_mut() = match e {
                Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
                Error::Forbidden(_) => StatusCode::FORBIDDEN,
                _ => StatusCode::BAD_REQUEST,
            };
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

/// A page that asks for a national identifier only: "forgot password", "send the link again".
#[derive(Template)]
#[template(path = "id_request.html")]
pub struct IdRequestPage {
    pub l: Layout,
    pub national_id: String,
    pub errors: FieldErrors,
    pub title: &'static str,
    pub lead: &'static str,
    pub action: &'static str,
    pub submit: &'static str,
    /// A paragraph under the form (empty: none).
    pub note: String,
    /// Offer the e-signature way ("forgot password" where it is configured).
    pub esign: bool,
}

#[derive(Deserialize)]
pub struct IdForm {
    #[serde(default)]
    pub national_id: String,
}

/// Which identifier-only page.
#[derive(Clone, Copy)]
pub enum IdRequest {
    Forgot,
    Resend,
}

pub fn id_request_page(
    st: &AppState,
    ctx: &Ctx,
    which: IdRequest,
    national_id: String,
    errors: FieldErrors,
    status: StatusCode,
) -> Response {
    let (title, lead, action, submit, note, esign) = match which {
        IdRequest::Forgot => (
            "forgot-title",
            "forgot-lead",
            "/password/forgot",
            "forgot-submit",
            "forgot-no-email",
            st.core.esign.enabled(),
        ),
        IdRequest::Resend => (
            "resend-title",
            "resend-lead",
            "/register/resend",
            "resend-submit",
            "resend-note",
            false,
        ),
    };
    let l = Layout::of(st, ctx);
    let days = (st.core.env.policy.unconfirmed_ttl_ms / 86_400_000).to_string();
    let note = l.t1(note, "days", &days);
    let page = IdRequestPage {
        l,
        national_id,
        errors,
        title,
        lead,
        action,
        submit,
        note,
        esign,
    };
    render(status, &page)
}

/// The identifier page again, with the problem `e` (invalid, or too many requests).
pub fn id_request_failed(
    st: &AppState,
    ctx: &Ctx,
    which: IdRequest,
    given: &str,
    e: &Error,
) -> Response {
    let status = if matches!(e, Error::RateLimited { .. }) {
        StatusCode::TOO_MANY_REQUESTS
    } else {
        StatusCode::BAD_REQUEST
    };
    let mut errors = FieldErrors::default();
    let (field, message) = field_message(&ctx.tr, e);
    errors.push(&field, message);
    let nid = given.chars().take(64).collect();
    id_request_page(st, ctx, which, nid, errors, status)
}

/// `GET /password/forgot`.
pub async fn forgot_page(State(st): State<AppState>, ctx: Ctx) -> Response {
    id_request_page(
        &st,
        &ctx,
        IdRequest::Forgot,
        String::new(),
        FieldErrors::default(),
        StatusCode::OK,
    )
}

/// `POST /password/forgot`: the same answer whether or not the identifier has an account.
pub async fn forgot_submit(
    State(st): State<AppState>,
    ctx: Ctx,
    WebForm(f): WebForm<IdForm>,
) -> PageResult {
    match st.core.resets.request(&f.national_id, &ctx.client).await {
        Ok(()) => {
            let l = Layout::of(&st, &ctx);
            let minutes = (st.core.env.policy.reset_token_ttl_ms / 60_000).to_string();
            let page = MessagePage {
                title: l.t("forgot-sent-title"),
                paragraphs: vec![
                    l.t1("forgot-sent", "minutes", &minutes),
                    l.t("forgot-sent-none"),
                ],
                link: Some(("/login".into(), l.t("link-back-login"))),
                show_request_id: false,
                l,
            };
            Ok(render(StatusCode::OK, &page))
        }
        Err(e @ (Error::Invalid { .. } | Error::RateLimited { .. })) => Ok(id_request_failed(
            &st,
            &ctx,
            IdRequest::Forgot,
            &f.national_id,
            &e,
        )),
        Err(e) => Err(e.into()),
    }
}

/// The page for a link that is unknown, spent or expired.
fn link_gone(st: &AppState, ctx: &Ctx) -> Response {
    let l = Layout::of(st, ctx);
    let page = MessagePage {
        title: l.t("reset-gone-title"),
        paragraphs: vec![l.t("reset-gone")],
        link: Some(("/password/forgot".into(), l.t("reset-gone-again"))),
        show_request_id: false,
        l,
    };
    render(StatusCode::GONE, &page)
}

/// `GET /password/reset?token=…`: the new-password form; opening the link spends nothing.
pub async fn reset_page(State(st): State<AppState>, ctx: Ctx, raw: RawQuery) -> PageResult {
    let token = query(&raw).get("token").cloned().unwrap_or_default();
    match st.core.resets.account_of(&token).await {
        Ok(_) => Ok(form(
            &st,
            &ctx,
            Form::Reset { token },
            FieldErrors::default(),
        )),
        Err(Error::Expired(_)) => Ok(link_gone(&st, &ctx)),
        Err(e) => Err(e.into()),
    }
}

/// `POST /password/reset`: sets the password, ends every session; the citizen then logs in
/// with it (and the second factor, where there is one).
pub async fn reset_submit(
    State(st): State<AppState>,
    ctx: Ctx,
    WebForm(f): WebForm<PasswordForm>,
) -> PageResult {
    match st
        .core
        .resets
        .reset(&f.token, &f.password, &f.password_confirm, &ctx.client)
        .await
    {
        Ok(()) => Ok(see_other("/login?done=password-reset")),
        Err(e @ Error::Invalid { .. }) => Ok(form(
            &st,
            &ctx,
            Form::Reset { token: f.token },
            FieldErrors::from(&ctx.tr, &[e]),
        )),
        Err(Error::Expired(_)) => Ok(link_gone(&st, &ctx)),
        Err(e) => Err(e.into()),
    }
}
