//! Passkeys: My account's list (add, rename, remove) and the passkey login (passwordless, or
//! the step after a password). The ceremonies' options are JSON for `static/passkey.js`; their
//! answers come back as ordinary forms.

use askama::Template;
use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use npass_core::login::{LoginError, LoginTransaction, PasskeyInput};
use npass_core::model::Level;
use npass_core::passkey::Removal;
use serde::Deserialize;

use super::query;
use crate::AppState;
use crate::error::PageResult;
use crate::pages::{FieldErrors, Layout};
use crate::web::{
    Citizen, Ctx, FreshLogin, SESSION_COOKIE, WebForm, append_cookie, cookie, render, safe_next,
    see_other,
};

pub async fn script() -> Response {
    super::script(include_str!("../../static/passkey.js"))
}

pub struct PasskeyRow {
    pub id: String,
    pub name: String,
    pub created: String,
    pub last_used: String,
    /// "Synced to your other devices" or "On this device only", in words.
    pub kept: String,
    pub level: String,
    /// The npass app's key on a phone (design note 0015).
    pub device: bool,
}

#[derive(Template)]
#[template(path = "passkeys.html")]
pub struct PasskeysPage {
    pub l: Layout,
    pub passkeys: Vec<PasskeyRow>,
    pub errors: FieldErrors,
    pub name: String,
    /// The session's level lets a passkey be added (substantial or more).
    pub can_add: bool,
    pub enabled: bool,
}

async fn list_page(
    st: &AppState,
    ctx: &Ctx,
    a: &crate::web::Authed,
    errors: FieldErrors,
    name: String,
    done: Option<&str>,
) -> PageResult {
    let mut l = Layout::of(st, ctx);
    if let Some(done) = done
        && [
            "passkey-added",
            "passkey-renamed",
            "passkey-removed",
            "passkey-gone",
        ]
        .contains(&done)
    {
        l.notices.push(l.t(&format!("notice-{done}")));
    }
    let passkeys = st
        .core
        .passkeys
        .of(&a.account.id)
        .await?
        .into_iter()
        .map(|p| PasskeyRow {
            created: crate::pages::local_time(st, p.created_at),
            last_used: p
                .last_used_at
                .map(|t| crate::pages::local_time(st, t))
                .unwrap_or_else(|| l.t("passkeys-never-used")),
            kept: l.t(if p.backed_up || p.backup_eligible {
                "passkeys-synced"
            } else {
                "passkeys-device-bound"
            }),
            level: l.t(if p.attested {
                "level-high"
            } else {
                "level-substantial"
            }),
            device: p.device,
            id: p.credential_id,
            name: p.name,
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let page = PasskeysPage {
        l,
        passkeys,
        errors,
        name,
        can_add: a.session.level >= Level::Substantial,
        enabled: st.core.passkeys.enabled(),
    };
    Ok(render(status, &page))
}

/// `GET /account/passkeys`.
pub async fn page(
    State(st): State<AppState>,
    ctx: Ctx,
    Citizen(a): Citizen,
    raw: RawQuery,
) -> PageResult {
    let q = query(&raw);
    list_page(
        &st,
        &ctx,
        &a,
        FieldErrors::default(),
        String::new(),
        q.get("done").map(String::as_str),
    )
    .await
}

#[derive(Deserialize)]
pub struct OptionsForm {
    #[serde(default)]
    pub tx: String,
}

pub(crate) fn options_json(c: npass_core::passkey::Ceremony) -> Response {
    Json(serde_json::json!({"ceremony": c.id, "options": c.options})).into_response()
}

fn refused(status: StatusCode, what: &str) -> Response {
    (status, Json(serde_json::json!({"error": what}))).into_response()
}

/// `POST /account/passkeys/options`: a registration ceremony, after a recent login at
/// substantial or more.
pub async fn register_options(
    State(st): State<AppState>,
    ctx: Ctx,
    FreshLogin(a): FreshLogin,
    WebForm(_f): WebForm<OptionsForm>,
) -> Result<Response, crate::error::PageError> {
    if a.session.level < Level::Substantial {
        return Ok(refused(StatusCode::FORBIDDEN, "level"));
    }
    let c = st
        .core
        .passkeys
        .register_start(&a.account, &ctx.browser.pre_id)
        .await?;
    Ok(options_json(c))
}

#[derive(Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub ceremony: String,
    #[serde(default)]
    pub credential: String,
}

/// `POST /account/passkeys`: the authenticator's answer, and the name the citizen gave it.
pub async fn register(
    State(st): State<AppState>,
    ctx: Ctx,
    FreshLogin(a): FreshLogin,
    WebForm(f): WebForm<RegisterForm>,
) -> PageResult {
    if a.session.level < Level::Substantial {
        return Ok(see_other("/account/passkeys"));
    }
    let r = st
        .core
        .passkeys
        .register_finish(
            &a.account,
            &ctx.browser.pre_id,
            &f.ceremony,
            &f.credential,
            &f.name,
            &ctx.client,
        )
        .await;
    match r {
        Ok(_) => Ok(see_other("/account/passkeys?done=passkey-added")),
        Err(e @ (npass_core::Error::Invalid { .. } | npass_core::Error::Expired(_))) => {
            let mut errors = FieldErrors::default();
            let (field, msg) = crate::pages::field_message(&ctx.tr, &e);
            let field = if field == "passkey_name" {
                "name".to_owned()
            } else {
                field
            };
            errors.push(&field, msg);
            let name = f.name.chars().take(npass_core::passkey::NAME_MAX).collect();
            list_page(&st, &ctx, &a, errors, name, None).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct RenameForm {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
}

/// `POST /account/passkeys/rename`.
pub async fn rename(
    State(st): State<AppState>,
    ctx: Ctx,
    Citizen(a): Citizen,
    WebForm(f): WebForm<RenameForm>,
) -> PageResult {
    match st
        .core
        .passkeys
        .rename(&a.account, &f.id, &f.name, &ctx.client)
        .await
    {
        Ok(true) => Ok(see_other("/account/passkeys?done=passkey-renamed")),
        Ok(false) => Ok(see_other("/account/passkeys?done=passkey-gone")),
        Err(e @ npass_core::Error::Invalid { .. }) => {
            let mut errors = FieldErrors::default();
            let (_, msg) = crate::pages::field_message(&ctx.tr, &e);
            errors.push(&format!("name-{}", f.id), msg);
            list_page(&st, &ctx, &a, errors, String::new(), None).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    pub id: String,
}

/// `POST /account/passkeys/remove`: the last second factor only after a recent login.
pub async fn remove(
    State(st): State<AppState>,
    ctx: Ctx,
    Citizen(a): Citizen,
    WebForm(f): WebForm<RemoveForm>,
) -> PageResult {
    let recent = st.core.logins.is_fresh(&a.session);
    let removal = st
        .core
        .passkeys
        .remove(&a.account, &f.id, recent, &ctx.client)
        .await?;
    Ok(match removal {
        Removal::Removed => see_other("/account/passkeys?done=passkey-removed"),
        Removal::Gone => see_other("/account/passkeys?done=passkey-gone"),
        Removal::NeedsRecentLogin => super::to_login("/account/passkeys", true),
    })
}

/// `POST /login/passkey/options`: a login ceremony for this browser: passwordless, or for the
/// account of the stored login `tx` (its password was right).
pub async fn login_options(
    State(st): State<AppState>,
    ctx: Ctx,
    WebForm(f): WebForm<OptionsForm>,
) -> Result<Response, crate::error::PageError> {
    if !st.core.passkeys.enabled() {
        return Ok(refused(StatusCode::NOT_FOUND, "off"));
    }
    let tx = if f.tx.is_empty() {
        None
    } else {
        match st
            .core
            .logins
            .login_resume(&f.tx, &ctx.browser.pre_id)
            .await?
        {
            Some(tx) => Some(tx),
            None => return Ok(refused(StatusCode::GONE, "gone")),
        }
    };
    match st
        .core
        .passkeys
        .login_start(&ctx.browser.pre_id, tx.as_ref())
        .await
    {
        Ok(c) => Ok(options_json(c)),
        Err(npass_core::Error::NotFound) => Ok(refused(StatusCode::GONE, "gone")),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "passkey_step.html")]
pub struct PasskeyStepPage {
    pub l: Layout,
    pub tx: String,
    pub next: String,
    /// Back to the login form, for the same `next`.
    pub login_href: String,
    pub errors: FieldErrors,
}

/// The page after a right password when the account's second step is a passkey.
pub fn step_page(st: &AppState, ctx: &Ctx, tx: String, next: String) -> Response {
    render(
        StatusCode::OK,
        &PasskeyStepPage {
            l: Layout::of(st, ctx),
            tx,
            login_href: if next.is_empty() {
                "/login".into()
            } else {
                format!("/login?next={}", crate::web::enc(&next))
            },
            next,
            errors: FieldErrors::default(),
        },
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    pub ceremony: String,
    #[serde(default)]
    pub credential: String,
    #[serde(default)]
    pub next: String,
    #[serde(default)]
    pub tx: String,
}

/// `POST /login/passkey`: the authenticator's answer to this browser's ceremony.
pub async fn login(
    State(st): State<AppState>,
    ctx: Ctx,
    WebForm(f): WebForm<LoginForm>,
) -> PageResult {
    let replaces = ctx.auth.as_ref().map(|a| a.secret.clone());
    let tx = if f.tx.is_empty() {
        Some(LoginTransaction::for_browser(&ctx.browser.pre_id))
    } else {
        st.core
            .logins
            .login_resume(&f.tx, &ctx.browser.pre_id)
            .await?
    };
    let input = PasskeyInput {
        ceremony: f.ceremony,
        credential: f.credential,
        pre_id: ctx.browser.pre_id.clone(),
    };
    let result = match tx {
        Some(tx) => {
            st.core
                .logins
                .passkey_login(tx, &input, &ctx.client, replaces.as_deref())
                .await
        }
        None => Err(LoginError::Gone),
    };
    let ctx = super::oidc::continuing(&st, ctx, &f.next).await;
    match result {
        Ok(ns) => {
            let next = safe_next(&f.next).unwrap_or_else(|| "/account".into());
            let mut res = see_other(&next);
            append_cookie(res.headers_mut(), &cookie(SESSION_COOKIE, &ns.secret));
            Ok(res)
        }
        Err(LoginError::Unavailable(e)) => Err(ctx.fail(e)),
        Err(e) => {
            let (status, message) = super::login::failure(&ctx.tr, &e, "err-passkey-failed");
            let next = safe_next(&f.next).unwrap_or_default();
            let page = super::login::login_page(&st, &ctx, next, message);
            Ok(render(status, &page))
        }
    }
}
