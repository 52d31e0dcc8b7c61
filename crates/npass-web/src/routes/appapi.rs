//! The npass app's JSON API (`/app/v1/…`, design note 0015, `docs/app-protocol.md`): app
//! login, device enrolment, unlock and refresh, the caller's profile and devices. The PWA under
//! `/app/` uses it; a native app can too. Tokens travel as `Authorization: Bearer`, never as
//! cookies, so no page of another site can use them. Failures: `{"error", "message"[, "field"]}`
//! with the message in the caller's language.

use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use npass_core::Error;
use npass_core::device::{AppCaller, AppLogin, AppRefusal, AppTokens};
use npass_core::login::{LoginError, LoginInput};
use npass_core::passkey::Removal;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::api_json;
use crate::pages::{Layout, field_message};
use crate::web::Ctx;

/// A failure in the problem shape; 401s carry a `Bearer` challenge.
pub(crate) fn problem(status: StatusCode, code: &str, message: String, field: &str) -> Response {
    let mut body = json!({"error": code, "message": message});
    if !field.is_empty()
        && let Some(o) = body.as_object_mut()
    {
        o.insert("field".into(), Value::from(field));
    }
    let mut res = api_json(status, body);
    if status == StatusCode::UNAUTHORIZED
        && let Ok(v) = HeaderValue::from_str(&format!("Bearer realm=\"npass\", error=\"{code}\""))
    {
        res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    res
}

/// A core error as a problem, its message localised.
fn core_problem(ctx: &Ctx, e: &Error) -> Response {
    let (field, message) = field_message(&ctx.tr, e);
    let code = match e {
        Error::Invalid { reason, .. } => reason,
        Error::RateLimited { .. } => "rate-limited",
        Error::Expired(_) => "expired",
        Error::Unavailable(_) => "unavailable",
        Error::Unauthenticated(_) => "invalid-token",
        Error::NotFound => "not-found",
        _ => "internal",
    };
    let message = match e {
        Error::Unauthenticated(_) => ctx.tr.t("app-err-invalid-token"),
        Error::NotFound => ctx.tr.t("app-err-not-found"),
        _ => message,
    };
    if crate::error::status_of(e).is_server_error() {
        tracing::error!(error = %e, "app API request failed");
    }
    problem(crate::error::status_of(e), code, message, &field)
}

fn refusal(ctx: &Ctx, r: AppRefusal) -> Response {
    match r {
        AppRefusal::Invalid => problem(
            StatusCode::UNAUTHORIZED,
            "invalid-token",
            ctx.tr.t("app-err-invalid-token"),
            "",
        ),
        AppRefusal::Locked => problem(
            StatusCode::UNAUTHORIZED,
            "locked",
            ctx.tr.t("app-err-locked"),
            "",
        ),
    }
}

fn tokens(t: AppTokens) -> Response {
    api_json(
        StatusCode::OK,
        json!({
            "access_token": t.access_token,
            "refresh_token": t.refresh_token,
            "token_type": "Bearer",
            "expires_in": t.expires_in,
            "device": t.device,
        }),
    )
}

/// The bearer token of the request (`Authorization: Bearer …`), empty without one.
pub struct Bearer(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, rest) = v.split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then(|| rest.trim().to_owned())
            })
            .unwrap_or_default();
        Ok(Bearer(token))
    }
}

/// The app's caller for an access token, or the problem to answer.
async fn caller(st: &AppState, ctx: &Ctx, token: &str) -> Result<AppCaller, Response> {
    match st.core.devices.caller(token).await {
        Ok(Some(c)) => Ok(c),
        Ok(None) => Err(refusal(ctx, AppRefusal::Invalid)),
        Err(e) => Err(core_problem(ctx, &e)),
    }
}

/// A call with a device's access token: the caller, or the problem is the answer.
pub struct AppUser(pub AppCaller);

impl FromRequestParts<AppState> for AppUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Response> {
        let ctx = Ctx::from_request_parts(parts, st).await?;
        let Ok(Bearer(t)) = Bearer::from_request_parts(parts, st).await;
        caller(st, &ctx, &t).await.map(AppUser)
    }
}

#[derive(Deserialize)]
pub struct LoginBody {
    #[serde(default)]
    pub national_id: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub code: String,
}

/// `POST /app/v1/login` `{national_id, password, code}`: an enrolment token for this phone.
pub async fn login(State(st): State<AppState>, ctx: Ctx, Json(b): Json<LoginBody>) -> Response {
    let input = LoginInput {
        national_id: b.national_id,
        password: b.password.into(),
        code: b.code.into(),
        pre_id: String::new(),
    };
    match st.core.devices.login(input, &ctx.client).await {
        Ok(AppLogin::Enrol { token }) => api_json(
            StatusCode::OK,
            json!({
                "enrol_token": token,
                "expires_in": st.core.env.policy.fresh_login_ms / 1000,
            }),
        ),
        Ok(AppLogin::NeedsTwoStep) => problem(
            StatusCode::FORBIDDEN,
            "two-step-needed",
            ctx.tr.t("app-err-two-step-needed"),
            "",
        ),
        Err(e) => {
            let (status, (field, message)) = super::login::failure(&ctx.tr, &e, "err-login-failed");
            let code = match e {
                LoginError::RateLimited { .. } => "rate-limited",
                LoginError::Unavailable(_) => "unavailable",
                LoginError::Invalid(_) => "invalid",
                LoginError::Locked => "locked-out",
                LoginError::AccountLocked => "account-locked",
                LoginError::EmailNotConfirmed => "email-not-confirmed",
                LoginError::CodeUsed => "code-used",
                _ => "login-failed",
            };
            problem(status, code, message, &field)
        }
    }
}

/// `POST /app/v1/devices/options` (the enrolment token): the passkey registration that makes
/// this phone a device.
pub async fn enrol_options(State(st): State<AppState>, ctx: Ctx, Bearer(t): Bearer) -> Response {
    match st.core.devices.enrol_start(&t).await {
        Ok(c) => super::passkey::options_json(c),
        Err(e) => core_problem(&ctx, &e),
    }
}

#[derive(Deserialize)]
pub struct CeremonyBody {
    #[serde(default)]
    pub ceremony: String,
    #[serde(default)]
    pub credential: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub device: String,
}

/// `POST /app/v1/devices` (the enrolment token) `{ceremony, credential, name}`: the device
/// and its first tokens.
pub async fn enrol(
    State(st): State<AppState>,
    ctx: Ctx,
    Bearer(t): Bearer,
    Json(b): Json<CeremonyBody>,
) -> Response {
    let answer = [b.ceremony.as_str(), b.credential.as_str(), b.name.as_str()];
    match st.core.devices.enrol_finish(&t, answer, &ctx.client).await {
        Ok(t) => tokens(t),
        Err(Error::Invalid {
            field: "passkey",
            reason,
            ..
        }) => problem(
            StatusCode::BAD_REQUEST,
            reason,
            ctx.tr.t(&format!("err-{reason}")),
            "",
        ),
        Err(e) => core_problem(&ctx, &e),
    }
}

/// `POST /app/v1/unlock/options` `{device}`: the ceremony the device key answers.
pub async fn unlock_options(
    State(st): State<AppState>,
    ctx: Ctx,
    Json(b): Json<CeremonyBody>,
) -> Response {
    match st.core.devices.unlock_start(&b.device).await {
        Ok(Ok(c)) => super::passkey::options_json(c),
        Ok(Err(r)) => refusal(&ctx, r),
        Err(e) => core_problem(&ctx, &e),
    }
}

/// `POST /app/v1/unlock` `{device, ceremony, credential}`: fresh tokens for the device.
pub async fn unlock(State(st): State<AppState>, ctx: Ctx, Json(b): Json<CeremonyBody>) -> Response {
    match st
        .core
        .devices
        .unlock_finish(&b.device, &b.ceremony, &b.credential, &ctx.client)
        .await
    {
        Ok(Ok(t)) => tokens(t),
        Ok(Err(r)) => refusal(&ctx, r),
        Err(e) => core_problem(&ctx, &e),
    }
}

#[derive(Deserialize)]
pub struct RefreshBody {
    #[serde(default)]
    pub refresh_token: String,
}

/// `POST /app/v1/token` `{refresh_token}`: new tokens while the app is unlocked.
pub async fn refresh(State(st): State<AppState>, ctx: Ctx, Json(b): Json<RefreshBody>) -> Response {
    match st.core.devices.refresh(&b.refresh_token, &ctx.client).await {
        Ok(Ok(t)) => tokens(t),
        Ok(Err(r)) => refusal(&ctx, r),
        Err(e) => core_problem(&ctx, &e),
    }
}

/// `POST /app/v1/lock` (access token): ends the device's tokens until it unlocks again.
pub async fn lock(State(st): State<AppState>, ctx: Ctx, AppUser(c): AppUser) -> Response {
    match st.core.devices.lock(&c).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => core_problem(&ctx, &e),
    }
}

/// `GET /app/v1/me` (access token): the citizen's personal details.
pub async fn me(State(st): State<AppState>, ctx: Ctx, AppUser(c): AppUser) -> Response {
    let a = &c.account;
    let p = &a.profile;
    let two_step = match st.core.credentials.two_step_status(a).await {
        Ok(t) => t.active.is_some(),
        Err(e) => return core_problem(&ctx, &e),
    };
    api_json(
        StatusCode::OK,
        json!({
            "national_id": a.national_id.value,
            "given_name": p.given_name,
            "family_name": p.family_name,
            "birth_date": p.birth_date,
            "email": p.email,
            "phone": p.phone,
            "language": p.language,
            "two_step": two_step,
            "device": c.grant.credential_id,
        }),
    )
}

/// `GET /app/v1/devices` (access token): the account's devices, this one marked.
pub async fn devices(State(st): State<AppState>, ctx: Ctx, AppUser(c): AppUser) -> Response {
    let list = match st.core.devices.of(&c.account.id).await {
        Ok(l) => l,
        Err(e) => return core_problem(&ctx, &e),
    };
    let l = Layout::of(&st, &ctx);
    let items = list
        .iter()
        .map(|d| {
            json!({
                "id": d.credential_id,
                "name": d.name,
                "enrolled": crate::pages::local_time(&st, d.created_at),
                "last_used": d.last_used_at.map(|t| crate::pages::local_time(&st, t))
                    .unwrap_or_else(|| l.t("passkeys-never-used")),
                "this_device": d.credential_id == c.grant.credential_id,
            })
        })
        .collect::<Vec<_>>();
    api_json(StatusCode::OK, json!({ "devices": items }))
}

/// `DELETE /app/v1/devices/{id}` (access token): revokes one of the account's devices (this
/// one too); its tokens stop at once.
pub async fn revoke(
    State(st): State<AppState>,
    ctx: Ctx,
    AppUser(c): AppUser,
    Path(id): Path<String>,
) -> Response {
    match st.core.devices.revoke(&c, &id, &ctx.client).await {
        Ok(Removal::Removed) => StatusCode::NO_CONTENT.into_response(),
        Ok(Removal::Gone) => problem(
            StatusCode::NOT_FOUND,
            "not-found",
            ctx.tr.t("app-err-not-found"),
            "",
        ),
        Ok(Removal::NeedsRecentLogin) => problem(
            StatusCode::FORBIDDEN,
            "unlock-needed",
            ctx.tr.t("app-err-unlock-needed"),
            "",
        ),
        Err(e) => core_problem(&ctx, &e),
    }
}

/// The caller, if the device key unlocked the app recently enough for a change of how the
/// citizen logs in; else the problem to answer.
fn changing(st: &AppState, ctx: &Ctx, c: &AppCaller) -> Result<(), Response> {
    match st.core.devices.may_change(c, st.core.esign.enabled()) {
        Ok(()) => Ok(()),
        Err(code) => Err(problem(
            StatusCode::FORBIDDEN,
            code,
            ctx.tr.t(&format!("app-err-{code}")),
            "",
        )),
    }
}

#[derive(Deserialize)]
pub struct PasswordBody {
    #[serde(default)]
    pub current_password: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub password_confirm: String,
}

/// `POST /app/v1/password` (access token) `{current_password, password, password_confirm}`:
/// every other session ends; the answer carries this device's new tokens.
pub async fn password(
    State(st): State<AppState>,
    ctx: Ctx,
    AppUser(c): AppUser,
    Json(b): Json<PasswordBody>,
) -> Response {
    if let Err(r) = changing(&st, &ctx, &c) {
        return r;
    }
    let answer = [
        b.current_password.as_str(),
        b.password.as_str(),
        b.password_confirm.as_str(),
    ];
    match st
        .core
        .devices
        .change_password(&c, answer, &ctx.client)
        .await
    {
        Ok(t) => tokens(t),
        Err(e) => core_problem(&ctx, &e),
    }
}

#[derive(Deserialize)]
pub struct CodeBody {
    #[serde(default)]
    pub code: String,
}

/// `POST /app/v1/codes` (access token) `{code}`: a new Authenticator seed for the app (`code`:
/// the current Authenticator's, when there is one), pending until confirmed.
pub async fn codes_start(
    State(st): State<AppState>,
    ctx: Ctx,
    AppUser(c): AppUser,
    Json(b): Json<CodeBody>,
) -> Response {
    if let Err(r) = changing(&st, &ctx, &c) {
        return r;
    }
    match st.core.devices.codes_start(&c, &b.code, &ctx.client).await {
        Ok(secret) => api_json(
            StatusCode::OK,
            json!({
                "secret": secret,
                "algorithm": "SHA1",
                "digits": 6,
                "period": 30,
                "issuer": st.core.env.policy.service_name,
                "account": c.account.national_id.value,
            }),
        ),
        Err(e) => core_problem(&ctx, &e),
    }
}

/// `POST /app/v1/codes/confirm` (access token) `{code}`: the app's first code; the app is the
/// account's Authenticator from now on. Answers the new recovery codes, once.
pub async fn codes_confirm(
    State(st): State<AppState>,
    ctx: Ctx,
    AppUser(c): AppUser,
    Json(b): Json<CodeBody>,
) -> Response {
    if let Err(r) = changing(&st, &ctx, &c) {
        return r;
    }
    match st
        .core
        .devices
        .codes_confirm(&c, &b.code, &ctx.client)
        .await
    {
        Ok(codes) => api_json(StatusCode::OK, json!({ "recovery_codes": codes })),
        Err(e) => core_problem(&ctx, &e),
    }
}

/// `GET /app/v1/approvals` (access token): the login requests sent to the account's devices
/// that still wait — each with what the phone shows and the link that answers it.
pub async fn pending(State(st): State<AppState>, ctx: Ctx, AppUser(c): AppUser) -> Response {
    let list = match st.core.approvals.pending(&c.account.id).await {
        Ok(l) => l,
        Err(e) => return core_problem(&ctx, &e),
    };
    let l = Layout::of(&st, &ctx);
    let items = list
        .into_iter()
        .map(|p| {
            let mut v = super::app::who_asks(&st, &l, p.service, &p.user_agent, &p.ip, p.at);
            v.insert(
                "link".into(),
                json!(format!("/app/approve#{}.{}", p.id, p.secret)),
            );
            v.insert("id".into(), json!(p.id));
            v.insert("secret".into(), json!(p.secret));
            Value::Object(v)
        })
        .collect::<Vec<_>>();
    api_json(StatusCode::OK, json!({ "approvals": items }))
}

/// `GET /app/v1/openapi.json`: this API, described.
pub async fn openapi() -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app-openapi.json"),
    )
        .into_response()
}

/// `GET /app/v1/push`: the key the app subscribes to Web Push with (VAPID,
/// `applicationServerKey`); 404 where the deployment sends no push.
pub async fn push_key(State(st): State<AppState>, ctx: Ctx) -> Response {
    match st.core.devices.push_key() {
        Some(k) => api_json(StatusCode::OK, json!({ "public_key": k })),
        None => core_problem(&ctx, &Error::NotFound),
    }
}

#[derive(Deserialize, Default)]
pub struct PushKeys {
    #[serde(default)]
    pub p256dh: String,
    #[serde(default)]
    pub auth: String,
}

#[derive(Deserialize)]
pub struct PushBody {
    #[serde(default)]
    pub endpoint: String,
    #[serde(default)]
    pub keys: PushKeys,
}

/// `PUT /app/v1/push` (access token) `{endpoint, keys: {p256dh, auth}}` (a browser's
/// `PushSubscription` as JSON): login requests sent to this device are pushed there too.
pub async fn push_subscribe(
    State(st): State<AppState>,
    ctx: Ctx,
    AppUser(c): AppUser,
    Json(b): Json<PushBody>,
) -> Response {
    match st
        .core
        .devices
        .push_subscribe(&c, &b.endpoint, &b.keys.p256dh, &b.keys.auth)
        .await
    {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => core_problem(&ctx, &e),
    }
}

/// `DELETE /app/v1/push` (access token): no more push to this device.
pub async fn push_unsubscribe(
    State(st): State<AppState>,
    ctx: Ctx,
    AppUser(c): AppUser,
) -> Response {
    match st.core.devices.push_unsubscribe(&c).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => core_problem(&ctx, &e),
    }
}

/// `PUT /app/v1/me/picture` (access token), the image as the body (PNG or JPEG, at most
/// 2 MiB and 4096 px a side): kept re-encoded, without its metadata.
pub async fn picture_put(
    State(st): State<AppState>,
    ctx: Ctx,
    AppUser(c): AppUser,
    body: axum::body::Bytes,
) -> Response {
    match st
        .core
        .pictures
        .set(&c.account, body.to_vec(), &ctx.client)
        .await
    {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => core_problem(&ctx, &e),
    }
}

/// The picture as a response only its owner's cache may keep.
pub(crate) fn picture_response(jpeg: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        jpeg,
    )
        .into_response()
}

/// `GET /app/v1/me/picture` (access token).
pub async fn picture_get(State(st): State<AppState>, ctx: Ctx, AppUser(c): AppUser) -> Response {
    match st.core.pictures.of(&c.account.id).await {
        Ok(Some(jpeg)) => picture_response(jpeg),
        Ok(None) => core_problem(&ctx, &Error::NotFound),
        Err(e) => core_problem(&ctx, &e),
    }
}

/// `DELETE /app/v1/me/picture` (access token).
pub async fn picture_delete(State(st): State<AppState>, ctx: Ctx, AppUser(c): AppUser) -> Response {
    match st.core.pictures.remove(&c.account, &ctx.client).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => core_problem(&ctx, &e),
    }
}

/// `POST /app/v1/scan` (access token), a camera frame (PNG or JPEG) as the body: the npass
/// approval link in it, if any — the in-app scanner for phones whose browser cannot read QR
/// codes itself. `{"link": null}` while none is in view.
pub async fn scan(
    State(st): State<AppState>,
    ctx: Ctx,
    _: AppUser,
    body: axum::body::Bytes,
) -> Response {
    let public_url = st.core.env.policy.public_url.clone();
    let found = tokio::task::spawn_blocking(move || {
        npass_core::picture::approval_link_in(&body, &public_url)
    })
    .await
    .unwrap_or_else(|e| Err(Error::Internal(format!("scan: {e}"))));
    match found {
        Ok(link) => api_json(StatusCode::OK, json!({ "link": link })),
        Err(e) => core_problem(&ctx, &e),
    }
}
