//! npass web layer: axum routes, extractors, middleware, templates, static files, locales, and
//! the mapping from core errors to pages.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod error;
pub mod geoip;
pub mod i18n;
pub mod icon;
pub mod pages;
pub mod qr;
pub mod routes;
pub mod web;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};
use npass_core::Core;
use zeroize::Zeroizing;

pub use i18n::I18n;

/// Address ranges and the places they stand for, most specific first.
pub type Places = Vec<(ipnet::IpNet, String)>;

/// An operator's list of address ranges and the places they stand for, one `CIDR,place` a line
/// (`#` starts a comment), ordered most specific first so the narrowest range wins.
pub fn parse_places(text: &str) -> Result<Places, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (range, place) = line
            .split_once(',')
            .ok_or_else(|| format!("line {}: `range,place` expected", i + 1))?;
        let range: ipnet::IpNet = range
            .trim()
            .parse()
            .map_err(|e| format!("line {}: {e}", i + 1))?;
        let place = place.trim();
        if place.is_empty() || place.chars().count() > 100 {
            return Err(format!("line {}: a place of 1 to 100 characters", i + 1));
        }
        out.push((range.trunc(), place.to_owned()));
    }
    out.sort_by_key(|(r, _)| std::cmp::Reverse(r.prefix_len()));
    Ok(out)
}

/// The time zone named `name` (IANA, e.g. `Europe/Chisinau`), from the database built in.
pub fn time_zone(name: &str) -> Result<jiff::tz::TimeZone, String> {
    jiff::tz::TimeZone::get(name).map_err(|e| format!("{name:?}: {e}"))
}

/// What the web layer needs from the configuration.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// The authority shown above the service name ("Guvernul Republicii Moldova").
    pub authority: String,
    pub support_phone: String,
    pub support_email: String,
    /// The assistance centre's name in the footer ("Servicii Publice Electronice").
    pub support_name: String,
    /// Where the footer's links lead: a deployment's own pages, or (empty) npass's built-in
    /// ones (`/terms`, `/privacy`, `/accessibility`, `/help`, `/integration`).
    pub terms_url: String,
    pub privacy_url: String,
    pub accessibility_url: String,
    pub help_url: String,
    /// The e-services' integration procedure (MPass "Procedura de integrare").
    pub integration_url: String,
    /// Address ranges and the places they stand for, most specific first (`parse_places`).
    pub places: Places,
    /// The country of addresses `places` does not name (an offline database), if configured.
    pub countries: Option<Arc<geoip::Countries>>,
    /// The time zone times on pages are shown in (`None`: UTC).
    pub time_zone: Option<jiff::tz::TimeZone>,
    /// Take the client address from the last `X-Forwarded-For` entry (behind a proxy only).
    pub trust_forwarded_for: bool,
    /// SHA-256 (hex) of the admin API bearer token; `None` turns the admin API off.
    pub admin_token_sha256: Option<String>,
    /// The e-signature client-certificate listener's address, when it is on.
    pub esign_tls_url: Option<String>,
    /// Native apps on the app protocol, for the association files (`/.well-known/…`).
    pub native_apps: NativeApps,
}

/// Native apps allowed to use this site's passkeys and links (docs/app-protocol.md).
#[derive(Debug, Clone, Default)]
pub struct NativeApps {
    pub android_package: String,
    pub android_cert_sha256: Vec<String>,
    pub ios_app_ids: Vec<String>,
}

#[derive(Clone)]
pub struct AppState {
    pub core: Arc<Core>,
    pub i18n: Arc<I18n>,
    pub cfg: Arc<WebConfig>,
    pub csrf_key: Arc<Zeroizing<[u8; 32]>>,
}

/// The admin API, served on its own listener (`admin.listen`, loopback by default), never on
/// the citizens' one.
pub fn admin_router(state: AppState) -> Router {
    use routes::admin;
    let app = Router::new()
        .route("/admin/api/openapi.json", get(admin::openapi))
        .route("/admin/api/eservices", get(admin::list).post(admin::create))
        .route("/admin/api/eservices/saml", post(admin::create_saml))
        .route("/admin/api/eservices/{client_id}", get(admin::show))
        .route(
            "/admin/api/eservices/{client_id}/roles",
            get(admin::roles).post(admin::set_roles),
        )
        .route(
            "/admin/api/eservices/{client_id}/contexts",
            post(admin::set_contexts),
        )
        .route(
            "/admin/api/eservices/{client_id}/roles/grants",
            post(admin::grant_role),
        )
        .route(
            "/admin/api/eservices/{client_id}/roles/withdraw",
            post(admin::withdraw_role),
        )
        .route("/admin/api/organizations", post(admin::create_org))
        .route("/admin/api/organizations/import", post(admin::import_orgs))
        .route("/admin/api/organizations/{idno}", get(admin::show_org))
        .route(
            "/admin/api/organizations/{idno}/remove",
            post(admin::remove_org_member),
        )
        .route(
            "/admin/api/citizens/{national_id}/mandates",
            get(admin::citizen_mandates),
        )
        .route("/admin/api/mandates/{id}/end", post(admin::end_mandate))
        .route(
            "/admin/api/eservices/{client_id}/{action}",
            post(admin::act),
        );
    finish(app, state)
}

/// What every listener's routes share: the not-found page, the body limit, the browser layer
/// (request id, language, security headers).
fn finish(app: Router<AppState>, state: AppState) -> Router {
    app.fallback(routes::not_found)
        .layer(DefaultBodyLimit::max(web::FORM_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            web::browser_layer,
        ))
        .with_state(state)
}

/// Every route of the citizen-facing site.
pub fn router(state: AppState) -> Router {
    use routes::{
        account, acting, app, appapi, esign, login, oidc, orgs, passkey, password, pwa, register,
        roles, saml, saml_logout, twostep,
    };
    let app = Router::new()
        .route("/", get(routes::home))
        .route("/healthz", get(routes::healthz))
        .route("/readyz", get(routes::readyz))
        .route("/static/npass.css", get(routes::stylesheet))
        .route("/static/wait.js", get(routes::wait_js))
        .route("/static/approve.js", get(app::approve_js))
        .route("/static/saml-post.js", get(saml::post_js))
        .route(
            "/login/saml",
            get(saml::sso_redirect)
                .post(saml::sso_post)
                .layer(DefaultBodyLimit::max(saml::POST_LIMIT)),
        )
        .route("/login/saml/continue", get(saml::resume))
        .route(
            "/logout/saml",
            get(saml_logout::redirect)
                .post(saml_logout::post)
                .layer(DefaultBodyLimit::max(saml::POST_LIMIT)),
        )
        .route("/logout/saml/continue", get(saml_logout::resume))
        .route("/logout/saml/frame", get(saml_logout::frame))
        .route("/logout/saml/done", post(saml_logout::done))
        .route("/static/saml-logout.js", get(saml_logout::logout_js))
        .route("/login/saml/consent", post(saml::consent))
        .route("/login/saml/context", post(saml::choose))
        .route("/meta", get(saml::meta_page))
        .route("/meta/saml", get(saml::metadata))
        .route("/meta/certificates/{file}", get(saml::certificate))
        .route("/login/app", post(app::start))
        .route("/login/app/{id}", get(app::wait))
        .route("/login/app/{id}/qr.png", get(app::qr))
        .route("/login/app/{id}/status", get(app::status))
        .route("/app/approve", get(app::approve_page))
        .route("/app", get(pwa::bare))
        .route("/.well-known/assetlinks.json", get(pwa::asset_links))
        .route(
            "/.well-known/apple-app-site-association",
            get(pwa::apple_association),
        )
        .route("/app/", get(pwa::page))
        .route("/app/manifest.webmanifest", get(pwa::manifest))
        .route("/app/icon-192.png", get(pwa::icon_192))
        .route("/app/icon-512.png", get(pwa::icon_512))
        .route("/app/app.js", get(pwa::app_js))
        .route("/app/sw.js", get(pwa::service_worker))
        .route("/app/v1/openapi.json", get(appapi::openapi))
        .route("/app/v1/login", post(appapi::login))
        .route("/app/v1/devices/options", post(appapi::enrol_options))
        .route("/app/v1/devices", get(appapi::devices).post(appapi::enrol))
        .route("/app/v1/devices/{id}", delete(appapi::revoke))
        .route("/app/v1/unlock/options", post(appapi::unlock_options))
        .route("/app/v1/unlock", post(appapi::unlock))
        .route("/app/v1/token", post(appapi::refresh))
        .route("/app/v1/lock", post(appapi::lock))
        .route(
            "/app/v1/push",
            get(appapi::push_key)
                .put(appapi::push_subscribe)
                .delete(appapi::push_unsubscribe),
        )
        .route("/app/v1/me", get(appapi::me))
        .route(
            "/app/v1/me/picture",
            get(appapi::picture_get)
                .put(appapi::picture_put)
                .delete(appapi::picture_delete)
                .layer(DefaultBodyLimit::max(4 * 1024 * 1024)),
        )
        .route("/account/picture", get(account::picture))
        .route(
            "/app/v1/scan",
            post(appapi::scan).layer(DefaultBodyLimit::max(1024 * 1024)),
        )
        .route("/app/v1/password", post(appapi::password))
        .route("/app/v1/codes", post(appapi::codes_start))
        .route("/app/v1/codes/confirm", post(appapi::codes_confirm))
        .route("/app/v1/approvals", get(appapi::pending))
        .route("/app/v1/approvals/{id}", post(app::request))
        .route("/app/v1/approvals/{id}/options", post(app::options))
        .route("/app/v1/approvals/{id}/approve", post(app::approve))
        .route("/app/v1/approvals/{id}/deny", post(app::deny))
        .route("/static/show-password.js", get(routes::show_password_js))
        .route("/static/passkey.js", get(passkey::script))
        .route("/login/passkey", post(passkey::login))
        .route("/login/passkey/options", post(passkey::login_options))
        .route(
            "/account/passkeys",
            get(passkey::page).post(passkey::register),
        )
        .route("/account/passkeys/options", post(passkey::register_options))
        .route("/account/passkeys/rename", post(passkey::rename))
        .route("/account/passkeys/remove", post(passkey::remove))
        .route("/login", get(login::page).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/login/esign", post(esign::start))
        .route("/login/esign/card", post(esign::card))
        .route("/login/esign/{id}", get(esign::wait))
        .route("/login/esign/{id}/status", get(esign::status))
        .route("/login/esign/{id}/qr.png", get(esign::qr))
        .route(
            "/login/esign/{id}/register",
            get(esign::register_page).post(esign::register),
        )
        .route(
            "/api/esign/challenges/{id}",
            post(esign::answer).layer(axum::extract::DefaultBodyLimit::max(64 * 1024)),
        )
        .route("/register", get(register::page).post(register::submit))
        .route(
            "/register/resend",
            get(register::resend_page).post(register::resend),
        )
        .route(
            "/register/confirm",
            get(register::confirm_page).post(register::confirm),
        )
        .route("/account", get(account::page))
        .route("/terms", get(routes::info))
        .route("/privacy", get(routes::info))
        .route("/accessibility", get(routes::info))
        .route("/help", get(routes::info))
        .route("/integration", get(routes::info))
        .route("/account/two-step", get(twostep::intro))
        .route(
            "/account/password",
            get(password::change_page).post(password::change_submit),
        )
        .route(
            "/password/forgot",
            get(password::forgot_page).post(password::forgot_submit),
        )
        .route(
            "/password/reset",
            get(password::reset_page).post(password::reset_submit),
        )
        .route("/account/sessions", get(account::sessions))
        .route(
            "/account/profile",
            get(account::profile).post(account::contact_submit),
        )
        .route("/account/email", post(account::email_submit))
        .route(
            "/account/email/confirm",
            get(account::email_confirm_page).post(account::email_confirm),
        )
        .route(
            "/account/delete",
            get(account::delete_page).post(account::delete),
        )
        .route("/account/sessions/end", post(account::end_session))
        .route(
            "/account/sessions/end-others",
            post(account::end_other_sessions),
        )
        .route(
            "/account/two-step/password",
            get(twostep::password_page).post(twostep::password_submit),
        )
        .route("/account/two-step/device", get(twostep::device_page))
        .route("/account/two-step/lost", get(twostep::lost))
        .route("/account/two-step/scan", get(twostep::scan_page))
        .route("/account/two-step/qr.png", get(twostep::qr_png))
        .route("/account/two-step/confirm", post(twostep::confirm))
        .route("/account/two-step/remove", post(twostep::remove))
        .route("/account/two-step/replace", post(twostep::replace))
        .route("/account/recovery-codes", post(twostep::recovery_codes))
        .route(
            "/.well-known/openid-configuration",
            get(oidc::discovery_handler(&state)),
        )
        .route("/jwks", get(oidc::jwks))
        .route(
            "/authorize",
            get(oidc::authorize).post(oidc::authorize_post),
        )
        .route("/authorize/continue", get(oidc::resume))
        .route("/authorize/consent", post(oidc::consent))
        .route("/authorize/context", post(oidc::choose))
        .route("/token", post(oidc::token))
        .route("/revoke", post(oidc::revoke))
        .route("/par", post(oidc::par))
        .route("/introspect", post(oidc::introspect))
        .route("/userinfo", get(oidc::userinfo).post(oidc::userinfo))
        .route("/userinfo/picture", get(oidc::userinfo_picture))
        .route(
            "/end-session",
            get(oidc::end_session_page).post(oidc::end_session),
        )
        .route("/account/services/withdraw", post(account::withdraw))
        .route("/account/services/admin", get(roles::admin_page))
        .route("/account/services/admin/grant", post(roles::grant))
        .route("/account/services/admin/withdraw", post(roles::withdraw))
        .route("/account/services/admin/admins", post(roles::add_admin))
        .route(
            "/account/services/admin/admins/remove",
            post(roles::remove_admin),
        )
        .route("/account/organisations", get(orgs::orgs_page))
        .route("/account/organisations/representatives", post(orgs::name))
        .route("/account/organisations/withdraw", post(orgs::withdraw))
        .route(
            "/account/mandates",
            get(acting::mandates_page).post(acting::offer),
        )
        .route("/account/mandates/accept", post(acting::accept))
        .route("/account/mandates/end", post(acting::end));
    finish(app, state)
}
