//! Handlers: typed input in, one core use-case, a page or a redirect out.

pub mod account;
pub mod acting;
pub mod admin;
pub mod app;
pub mod appapi;
pub mod esign;
pub mod login;
pub mod oidc;
pub mod orgs;
pub mod passkey;
pub mod password;
pub mod pwa;
pub mod register;
pub mod roles;
pub mod saml;
pub mod saml_logout;
pub mod twostep;

use std::collections::HashMap;

use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::web::{Ctx, message_page, see_other, serde_urlencoded_pairs};

pub fn query(raw: &RawQuery) -> HashMap<String, String> {
    raw.0
        .as_deref()
        .map(serde_urlencoded_pairs)
        .unwrap_or_default()
        .into_iter()
        .collect()
}

/// `/login?next=…` for a page that needs a (fresh) login.
pub fn to_login(next: &str, reauth: bool) -> Response {
    let r = if reauth { "&reauth=1" } else { "" };
    see_other(&format!("/login?next={}{r}", crate::web::enc(next)))
}

pub async fn home(ctx: Ctx) -> Response {
    see_other(if ctx.auth.is_some() {
        "/account"
    } else {
        "/login"
    })
}

pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database commits a write (within a few seconds).
pub async fn readyz(State(st): State<AppState>) -> Response {
    match st.core.ready().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/npass.css"),
    )
        .into_response()
}

/// One of the first-party scripts in `static/`, cached for an hour.
pub fn script(body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

pub async fn wait_js() -> Response {
    script(include_str!("../../static/wait.js"))
}

/// npass's own help, terms, privacy and accessibility pages (the footer's links when the
/// deployment names no pages of its own): a title and paragraphs from the locale files.
pub async fn info(State(st): State<AppState>, ctx: Ctx) -> Response {
    let name = ctx.browser.path.trim_start_matches('/').to_owned();
    let l = crate::pages::Layout::of(&st, &ctx);
    let body = l.tr.args(
        &format!("page-{name}-body"),
        &[
            ("service", l.t("service-name").as_str()),
            ("support", st.cfg.support_name.as_str()),
            (
                "issuer",
                st.core.env.policy.public_url.trim_end_matches('/'),
            ),
        ],
    );
    let page = crate::pages::MessagePage {
        title: l.t(&format!("page-{name}-title")),
        paragraphs: body
            .split("\n\n")
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect(),
        link: None,
        show_request_id: false,
        l,
    };
    crate::web::render(StatusCode::OK, &page)
}

pub async fn show_password_js() -> Response {
    script(include_str!("../../static/show-password.js"))
}

pub async fn not_found(State(st): State<AppState>, ctx: Ctx) -> Response {
    message_page(
        &st,
        &ctx.browser,
        StatusCode::NOT_FOUND,
        "error-title",
        "error-not-found",
    )
}
