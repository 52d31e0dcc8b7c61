use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use npass_core::Error;
use npass_core::register::RegisterInput;
use serde::Deserialize;

use super::query;
use crate::AppState;
use crate::error::PageResult;
use crate::pages::{FieldErrors, Layout, MessagePage};
use crate::web::{Ctx, WebForm, enc, render, safe_next, see_other};

#[derive(Deserialize, Default)]
pub struct RegisterForm {
    #[serde(default)]
    pub national_id: String,
    #[serde(default)]
    pub given_name: String,
    #[serde(default)]
    pub family_name: String,
    #[serde(default)]
    pub birth_date: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub password_confirm: String,
    /// Where the citizen goes after confirming and logging in (an e-service's parked request).
    #[serde(default)]
    pub next: String,
}

#[derive(Template)]
#[template(path = "register.html")]
pub struct RegisterPage {
    pub l: Layout,
    pub fields: Vec<FieldView>,
    pub errors: FieldErrors,
    pub min_password: usize,
    pub next: String,
    /// The login page, leading on to `next` too.
    pub login_href: String,
}

pub struct FieldView {
    pub name: &'static str,
    pub label: String,
    pub kind: &'static str,
    pub value: String,
    pub auto: &'static str,
    pub required: bool,
    pub hint: Option<String>,
    pub error: Option<String>,
}

impl RegisterPage {
    fn new(l: Layout, f: &RegisterForm, errors: FieldErrors, min_password: usize) -> Self {
        let rows = [
            (
                "national_id",
                "field-national-id",
                "text",
                &f.national_id,
                "username",
                true,
            ),
            (
                "given_name",
                "field-given-name",
                "text",
                &f.given_name,
                "given-name",
                true,
            ),
            (
                "family_name",
                "field-family-name",
                "text",
                &f.family_name,
                "family-name",
                true,
            ),
            (
                "birth_date",
                "field-birth-date",
                "date",
                &f.birth_date,
                "bday",
                true,
            ),
            ("email", "field-email", "email", &f.email, "email", true),
            ("phone", "field-phone", "tel", &f.phone, "tel", false),
        ];
        let fields = rows
            .into_iter()
            .map(|(name, label, kind, value, auto, required)| FieldView {
                name,
                label: l.t(label),
                kind,
                value: value.chars().take(200).collect(),
                auto,
                required,
                hint: match name {
                    "phone" => Some(l.t("hint-phone")),
                    "birth_date" => Some(l.t("hint-birth-date")),
                    _ => None,
                },
                error: errors.get(name),
            })
            .collect();
        RegisterPage {
            l,
            fields,
            errors,
            min_password,
            login_href: match safe_next(&f.next) {
                Some(n) => format!("/login?next={}", enc(&n)),
                None => "/login".into(),
            },
            next: safe_next(&f.next).unwrap_or_default(),
        }
    }
}

pub async fn page(State(st): State<AppState>, ctx: Ctx, raw: RawQuery) -> Response {
    let next = query(&raw)
        .get("next")
        .and_then(|n| safe_next(n))
        .unwrap_or_default();
    if ctx.auth.is_some() {
        return see_other(if next.is_empty() { "/account" } else { &next });
    }
    let page = RegisterPage::new(
        Layout::of(&st, &ctx),
        &RegisterForm {
            next,
            ..RegisterForm::default()
        },
        FieldErrors::default(),
        st.core.env.policy.min_password_len(),
    );
    render(StatusCode::OK, &page)
}

pub async fn submit(
    State(st): State<AppState>,
    ctx: Ctx,
    WebForm(f): WebForm<RegisterForm>,
) -> PageResult {
    let input = RegisterInput {
        national_id: f.national_id.clone(),
        given_name: f.given_name.clone(),
        family_name: f.family_name.clone(),
        birth_date: f.birth_date.clone(),
        email: f.email.clone(),
        phone: f.phone.clone(),
        password: f.password.clone(),
        password_confirm: f.password_confirm.clone(),
        language: ctx.tr.lang.to_owned(),
        next: safe_next(&f.next).unwrap_or_default(),
    };
    match st.core.registrations.register(input, &ctx.client).await {
        Ok(()) => {
            let l = Layout::of(&st, &ctx);
            let page = MessagePage {
                title: l.t("register-sent-title"),
                paragraphs: vec![
                    l.t1("register-sent-text", "email", f.email.trim()),
                    l.t("register-sent-none"),
                ],
                link: Some(("/register/resend".into(), l.t("resend-title"))),
                show_request_id: false,
                l,
            };
            Ok(render(StatusCode::OK, &page))
        }
        Err(errs) => {
            if let Some(e) = errs
                .iter()
                .find(|e| matches!(e, Error::Unavailable(_) | Error::Internal(_)))
            {
                return Err(e.clone().into());
            }
            let status = if errs.iter().any(|e| {
                matches!(
                    e,
                    Error::Invalid {
                        reason: "account-exists",
                        ..
                    }
                )
            }) {
                StatusCode::CONFLICT
            } else {
                StatusCode::BAD_REQUEST
            };
            let page = RegisterPage::new(
                Layout::of(&st, &ctx),
                &f,
                FieldErrors::from(&ctx.tr, &errs),
                st.core.env.policy.min_password_len(),
            );
            Ok(render(status, &page))
        }
    }
}

#[derive(Template)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    pub l: Layout,
    pub token: String,
    pub next: String,
}

/// The emailed link lands here; confirming is a POST, so mail scanners that follow links do not
/// confirm by themselves.
pub async fn confirm_page(State(st): State<AppState>, ctx: Ctx, raw: RawQuery) -> Response {
    let q = query(&raw);
    let token = q.get("token").cloned().unwrap_or_default();
    let next = q.get("next").and_then(|n| safe_next(n)).unwrap_or_default();
    render(
        StatusCode::OK,
        &ConfirmPage {
            l: Layout::of(&st, &ctx),
            token,
            next,
        },
    )
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    pub token: String,
    #[serde(default)]
    pub next: String,
}

pub async fn confirm(
    State(st): State<AppState>,
    ctx: Ctx,
    WebForm(f): WebForm<ConfirmForm>,
) -> PageResult {
    match st
        .core
        .registrations
        .confirm_email(&f.token, &ctx.client)
        .await
    {
        Ok(()) => Ok(see_other(&match safe_next(&f.next) {
            Some(next) => format!("/login?done=confirmed&next={}", enc(&next)),
            None => "/login?done=confirmed".into(),
        })),
        Err(e @ (Error::NotFound | Error::Expired(_))) => {
            let l = Layout::of(&st, &ctx);
            let key = if matches!(e, Error::NotFound) {
                "confirm-unknown"
            } else {
                "confirm-expired"
            };
            let page = MessagePage {
                title: l.t("confirm-failed-title"),
                paragraphs: vec![l.t(key)],
                link: Some(("/register/resend".into(), l.t("resend-title"))),
                show_request_id: false,
                l,
            };
            let status = if matches!(e, Error::NotFound) {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::GONE
            };
            Ok(render(status, &page))
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /register/resend`: "send the confirmation link again".
pub async fn resend_page(State(st): State<AppState>, ctx: Ctx) -> Response {
    use super::password::{IdRequest, id_request_page};
    id_request_page(
        &st,
        &ctx,
        IdRequest::Resend,
        String::new(),
        FieldErrors::default(),
        StatusCode::OK,
    )
}

/// `POST /register/resend`: the same answer whatever the identifier names.
pub async fn resend(
    State(st): State<AppState>,
    ctx: Ctx,
    WebForm(f): WebForm<super::password::IdForm>,
) -> PageResult {
    use super::password::{IdRequest, id_request_failed};
    match st
        .core
        .registrations
        .resend(&f.national_id, &ctx.client)
        .await
    {
        Ok(()) => {
            let l = Layout::of(&st, &ctx);
            let page = MessagePage {
                title: l.t("register-sent-title"),
                paragraphs: vec![l.t("resend-sent"), l.t("register-sent-none")],
                link: Some(("/login".into(), l.t("link-back-login"))),
                show_request_id: false,
                l,
            };
            Ok(render(StatusCode::OK, &page))
        }
        Err(e @ (Error::Invalid { .. } | Error::RateLimited { .. })) => Ok(id_request_failed(
            &st,
            &ctx,
            IdRequest::Resend,
            &f.national_id,
            &e,
        )),
        Err(e) => Err(e.into()),
    }
}
