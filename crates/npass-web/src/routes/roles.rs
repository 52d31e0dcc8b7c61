//! "Service administration" (design note 0019): a citizen who administers e-services grants and
//! withdraws their roles, by national identifier, with an optional end date. Changes need a
//! recent login (`FreshLogin`) at substantial or higher; the rules are `npass_core::roles`.

use askama::Template;
use axum::extract::State;
use serde::Deserialize;

use crate::AppState;
use crate::error::PageResult;
use crate::pages::{FieldErrors, Layout};
use crate::web::{Citizen, Ctx, FreshLogin, WebForm, render, see_other};

pub struct GrantRow {
    pub national_id: String,
    pub name: String,
    pub role: String,
    /// The last day it holds, or empty: until withdrawn.
    pub until: String,
}

/// One of an e-service's administrators.
pub struct AdminRow {
    pub national_id: String,
    pub name: String,
    /// The citizen looking at the page (who cannot remove themselves).
    pub me: bool,
}

pub struct AdminService {
    pub client_id: String,
    pub name: String,
    pub roles: Vec<String>,
    pub grants: Vec<GrantRow>,
    pub admins: Vec<AdminRow>,
}

#[derive(Template)]
#[template(path = "service_admin.html")]
pub struct ServiceAdminPage {
    pub l: Layout,
    pub errors: FieldErrors,
    pub services: Vec<AdminService>,
    /// The service whose form the errors belong to, and what was typed there.
    pub form_for: String,
    pub national_id: String,
    pub until: String,
    /// The login is below substantial: changes need the verification code first.
    pub needs_stronger: bool,
}

#[derive(Deserialize)]
pub struct GrantForm {
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub national_id: String,
    #[serde(default)]
    pub role: String,
    /// `yyyy-mm-dd`: the last day the role holds (empty: until withdrawn).
    #[serde(default)]
    pub until: String,
}

async fn page(
    st: &AppState,
    ctx: &Ctx,
    a: &crate::web::Authed,
    errors: FieldErrors,
    form: Option<&GrantForm>,
) -> PageResult {
    let mut l = Layout::of(st, ctx);
    l.done_notice(
        &ctx.browser.query_rest,
        &[
            "role-granted",
            "role-withdrawn",
            "admin-added",
            "admin-removed",
        ],
    );
    let mut services = Vec::new();
    for client_id in st.core.roles.administered(&a.account.id).await? {
        let Ok(e) = st.core.registry.eservice(&client_id).await else {
            continue;
        };
        let grants = st
            .core
            .roles
            .grants_named(&client_id)
            .await?
            .into_iter()
            .map(|n| GrantRow {
                name: full_name(&n.holder),
                national_id: n.holder.national_id.value,
                role: n.grant.role,
                until: n
                    .grant
                    .expires_at
                    .map(|t| last_day(st, t))
                    .unwrap_or_default(),
            })
            .collect();
        let admins = st
            .core
            .roles
            .admins_named(&client_id)
            .await?
            .iter()
            .map(|admin| AdminRow {
                national_id: admin.national_id.value.clone(),
                name: full_name(admin),
                me: admin.id == a.account.id,
            })
            .collect();
        services.push(AdminService {
            client_id: client_id.to_string(),
            name: e.name,
            roles: st.core.roles.declared(&client_id).await?,
            grants,
            admins,
        });
    }
    let status = errors.status();
    let page = ServiceAdminPage {
        errors,
        services,
        form_for: form.map(|f| f.client_id.clone()).unwrap_or_default(),
        national_id: form
            .map(|f| f.national_id.chars().take(32).collect())
            .unwrap_or_default(),
        until: form
            .map(|f| f.until.chars().take(10).collect())
            .unwrap_or_default(),
        needs_stronger: a.session.level < npass_core::model::Level::Substantial,
        l,
    };
    Ok(render(status, &page))
}

/// A citizen's name as the administration pages show it.
pub(super) fn full_name(a: &npass_core::model::Account) -> String {
    format!("{} {}", a.profile.given_name, a.profile.family_name)
}

/// The last day a grant ending at `ms` holds, in the deployment's time zone.
pub(super) fn last_day(st: &AppState, ms: i64) -> String {
    let tz = st.cfg.time_zone.clone().unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_millisecond(ms - 1)
        .map(|t| t.to_zoned(tz).date().to_string())
        .unwrap_or_default()
}

/// The end of day `date` (`yyyy-mm-dd`) in the deployment's time zone, as milliseconds.
pub(super) fn end_of(st: &AppState, date: &str) -> Option<i64> {
    let tz = st.cfg.time_zone.clone().unwrap_or(jiff::tz::TimeZone::UTC);
    let d: jiff::civil::Date = date.trim().parse().ok()?;
    let next = d.tomorrow().ok()?;
    Some(next.to_zoned(tz).ok()?.timestamp().as_millisecond())
}

/// `GET /account/services/admin`: the e-services the citizen administers, their roles and who
/// holds them.
pub async fn admin_page(State(st): State<AppState>, ctx: Ctx, Citizen(a): Citizen) -> PageResult {
    page(&st, &ctx, &a, FieldErrors::default(), None).await
}

/// `POST /account/services/admin/grant`.
pub async fn grant(
    State(st): State<AppState>,
    ctx: Ctx,
    FreshLogin(a): FreshLogin,
    WebForm(f): WebForm<GrantForm>,
) -> PageResult {
    let until = if f.until.trim().is_empty() {
        None
    } else {
        match end_of(&st, &f.until) {
            Some(t) => Some(t),
            None => {
                let e = npass_core::Error::invalid("until", "role-until-date");
                return page(&st, &ctx, &a, FieldErrors::from(&ctx.tr, &[e]), Some(&f)).await;
            }
        }
    };
    let r = st
        .core
        .roles
        .grant(
            &a.session,
            &f.client_id,
            &f.national_id,
            &f.role,
            until,
            &ctx.client,
        )
        .await;
    match r {
        Ok(_) => Ok(see_other("/account/services/admin?done=role-granted")),
        Err(e) => {
            let e = as_field_error(e, true)?;
            page(&st, &ctx, &a, FieldErrors::from(&ctx.tr, &[e]), Some(&f)).await
        }
    }
}

/// `POST /account/services/admin/withdraw`.
pub async fn withdraw(
    State(st): State<AppState>,
    ctx: Ctx,
    FreshLogin(a): FreshLogin,
    WebForm(f): WebForm<GrantForm>,
) -> PageResult {
    match st
        .core
        .roles
        .withdraw(
            &a.session,
            &f.client_id,
            &f.national_id,
            &f.role,
            &ctx.client,
        )
        .await
    {
        Ok(()) => Ok(see_other("/account/services/admin?done=role-withdrawn")),
        Err(e) => {
            let e = as_field_error(e, false)?;
            page(&st, &ctx, &a, FieldErrors::from(&ctx.tr, &[e]), None).await
        }
    }
}

/// `POST /account/services/admin/admins`: an administrator names another.
pub async fn add_admin(
    State(st): State<AppState>,
    ctx: Ctx,
    FreshLogin(a): FreshLogin,
    WebForm(f): WebForm<GrantForm>,
) -> PageResult {
    match st
        .core
        .roles
        .add_admin(&a.session, &f.client_id, &f.national_id, &ctx.client)
        .await
    {
        Ok(_) => Ok(see_other("/account/services/admin?done=admin-added")),
        Err(e) => {
            let e = as_field_error(e, true)?;
            page(&st, &ctx, &a, FieldErrors::from(&ctx.tr, &[e]), Some(&f)).await
        }
    }
}

/// `POST /account/services/admin/admins/remove`: an administrator ends another's
/// administration.
pub async fn remove_admin(
    State(st): State<AppState>,
    ctx: Ctx,
    FreshLogin(a): FreshLogin,
    WebForm(f): WebForm<GrantForm>,
) -> PageResult {
    match st
        .core
        .roles
        .remove_admin(&a.session, &f.client_id, &f.national_id, &ctx.client)
        .await
    {
        Ok(()) => Ok(see_other("/account/services/admin?done=admin-removed")),
        Err(e) => {
            let e = as_field_error(e, false)?;
            page(&st, &ctx, &a, FieldErrors::from(&ctx.tr, &[e]), None).await
        }
    }
}

/// How an administration page (roles, organisations, mandates) shows a refusal: `Ok` with the
/// error to show at its field (a rule of the form, a login below substantial and, where the
/// form names a citizen, nobody with that number), or `Err` with the error it is.
pub(super) fn as_field_error(
    e: npass_core::Error,
    names_citizen: bool,
) -> Result<npass_core::Error, npass_core::Error> {
    match e {
        npass_core::Error::NotFound if names_citizen => {
            Ok(npass_core::Error::invalid("national_id", "role-no-citizen"))
        }
        npass_core::Error::Forbidden("level") => Ok(npass_core::Error::invalid("", "role-level")),
        e @ npass_core::Error::Invalid { .. } => Ok(e),
        e => Err(e),
    }
}
