//! The npass app as an installable web app (design note 0015): its page (`/app/`), manifest,
//! icons and service worker. The page is rendered in the citizen's language like any other;
//! its script (`/app/app.js`) talks only to the app's JSON API (`appapi`).

use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::AppState;
use crate::pages::Layout;
use crate::web::{Ctx, render, see_other};

#[derive(Template)]
#[template(path = "app.html")]
pub struct AppPage {
    pub l: Layout,
    /// The deployment can make passkeys (its public URL names a host).
    pub passkeys: bool,
}

/// `GET /app/`: the app's single page; its script shows the part the app is in.
pub async fn page(State(st): State<AppState>, ctx: Ctx) -> Response {
    render(
        StatusCode::OK,
        &AppPage {
            l: Layout::of(&st, &ctx),
            passkeys: st.core.passkeys.enabled(),
        },
    )
}

/// `GET /app`: the same page, at its canonical address.
pub async fn bare() -> Response {
    see_other("/app/")
}

/// `GET /app/manifest.webmanifest`: what a phone needs to install the app, in the citizen's
/// language.
pub async fn manifest(ctx: Ctx) -> Response {
    let m = json!({
        "id": "/app/",
        "name": ctx.tr.t("app-name"),
        "short_name": "npass",
        "description": ctx.tr.t("app-description"),
        "lang": ctx.tr.lang,
        "start_url": "/app/",
        "scope": "/app/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f6f7f9",
        "theme_color": "#0b4f8a",
        "icons": [
            {"src": "/app/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": "/app/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {"src": "/app/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
        ],
    });
    (
        [
            (header::CONTENT_TYPE, "application/manifest+json"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        m.to_string(),
    )
        .into_response()
}

fn icon(side: u32) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        crate::icon::png(side),
    )
        .into_response()
}

pub async fn icon_192() -> Response {
    icon(192)
}

pub async fn icon_512() -> Response {
    icon(512)
}

pub async fn app_js() -> Response {
    super::script(include_str!("../../static/app.js"))
}

/// `GET /app/sw.js`: the service worker (scope `/app/`), always checked for a newer version.
pub async fn service_worker() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../../static/sw.js"),
    )
        .into_response()
}
