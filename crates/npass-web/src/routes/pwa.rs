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

fn association(v: serde_json::Value) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        v.to_string(),
    )
        .into_response()
}

/// `GET /.well-known/assetlinks.json`: the Android app that may use this site's passkeys
/// (the same RP ID) and open its links; 404 when none is configured.
pub async fn asset_links(State(st): State<AppState>) -> Response {
    let a = &st.cfg.native_apps;
    if a.android_package.is_empty() {
        return StatusCode::NOT_FOUND.into_response();
    }
    association(json!([{
        "relation": [
            "delegate_permission/common.handle_all_urls",
            "delegate_permission/common.get_login_creds"
        ],
        "target": {
            "namespace": "android_app",
            "package_name": a.android_package,
            "sha256_cert_fingerprints": a.android_cert_sha256,
        }
    }]))
}

/// `GET /.well-known/apple-app-site-association`: the iOS apps that may use this site's
/// passkeys (`webcredentials`) and open its approval links (`applinks`); 404 when none.
pub async fn apple_association(State(st): State<AppState>) -> Response {
    let ids = &st.cfg.native_apps.ios_app_ids;
    if ids.is_empty() {
        return StatusCode::NOT_FOUND.into_response();
    }
    association(json!({
        "webcredentials": { "apps": ids },
        "applinks": {
            "details": [{ "appIDs": ids, "components": [{ "/": "/app/approve" }] }]
        }
    }))
}
