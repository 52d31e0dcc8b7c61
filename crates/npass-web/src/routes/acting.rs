//! Acting for another (design note 0019): the login's "for myself / for an organisation / for a
//! mandator" chooser, shared by the OpenID Connect and SAML flows, and "Mandates" in My account
//! ("I act for", "Acting for me", giving one). The rules are `npass_core::acting` and
//! `npass_core::mandates`.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use npass_core::acting::{Acting, Context, Required};
use npass_core::mandates::MandateState;
use serde::Deserialize;

use super::roles::{end_of, full_name, last_day};
use crate::AppState;
use crate::error::PageResult;
use crate::pages::{FieldErrors, Layout, message_page};
use crate::web::{Citizen, Ctx, FreshLogin, WebForm, render, see_other};

pub struct ChoiceRow {
    pub value: String,
    pub label: String,
    pub detail: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "context.html")]
pub struct ContextPage {
    pub l: Layout,
    pub req: String,
    pub lead: String,
    pub choices: Vec<ChoiceRow>,
    /// Nothing can be chosen: what the e-service requires, in words.
    pub required_missing: String,
    /// Where the choice is posted, and where declining is.
    pub action: &'static str,
    pub decline: &'static str,
}

/// The chooser for a login at the e-service `client_id` (a form to `action`; declining goes to
/// `decline`, each protocol's consent endpoint).
pub async fn context_page(
    st: &AppState,
    ctx: &Ctx,
    a: &crate::web::Authed,
    client_id: &str,
    req: &str,
    (action, decline): (&'static str, &'static str),
) -> PageResult {
    let e = &st.core.registry.eservice(client_id).await?;
    let choices = st.core.contexts.choices(&a.account.id, e).await?;
    let l = Layout::of(st, ctx);
    let mut rows = Vec::new();
    let (myself, remembered) = choices
        .as_ref()
        .map_or((true, None), |c| (c.myself, c.remembered.clone()));
    if myself {
        rows.push(ChoiceRow {
            value: Acting::Myself.value(),
            label: l.t("context-myself"),
            detail: full_name(&a.account),
            checked: false,
        });
    }
    for c in choices.iter().flat_map(|c| c.options.iter()) {
        let (label, detail) = match c {
            Context::Myself => continue,
            Context::Organization { org, roles } => (
                format!("{} (IDNO {})", org.name, org.number),
                if roles.is_empty() {
                    l.t("context-org")
                } else {
                    l.t1("context-org-roles", "roles", &roles.join(", "))
                },
            ),
            Context::Mandator { mandate, mandator } => (
                full_name(mandator),
                l.t1(
                    "context-mandate-until",
                    "date",
                    &last_day(st, mandate.expires_at),
                ),
            ),
        };
        rows.push(ChoiceRow {
            value: c.acting().value(),
            label,
            detail,
            checked: false,
        });
    }
    let pick = remembered
        .map(|r| r.value())
        .or_else(|| rows.first().map(|r| r.value.clone()));
    for r in &mut rows {
        r.checked = Some(&r.value) == pick.as_ref();
    }
    let required_missing = match (rows.is_empty(), e.contexts.require) {
        (true, Some(Required::Organization)) => l.t("context-requires-org"),
        (true, Some(Required::Mandator)) => l.t("context-requires-mandate"),
        _ => String::new(),
    };
    let page = ContextPage {
        req: req.to_owned(),
        lead: l.t1("context-lead", "service", &e.name),
        choices: rows,
        required_missing,
        action,
        decline,
        l,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Deserialize)]
pub struct ContextForm {
    #[serde(default)]
    pub req: String,
    #[serde(default)]
    pub choice: String,
}

/// A choice that is not the citizen's to make (a forged or stale form value): refused with a
/// page, nothing changed.
pub fn refused(st: &AppState, ctx: &Ctx) -> Response {
    message_page(
        st,
        &ctx.browser,
        StatusCode::FORBIDDEN,
        "error-title",
        "context-refused",
    )
}

// ---- Mandates in My account ------------------------------------------------------------------

pub struct MandateRow {
    pub id: String,
    pub name: String,
    pub national_id: String,
    pub services: String,
    pub until: String,
    pub offered: bool,
}

pub struct ServiceChoice {
    pub client_id: String,
    pub name: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "mandates.html")]
pub struct MandatesPage {
    pub l: Layout,
    pub errors: FieldErrors,
    pub i_act_for: Vec<MandateRow>,
    pub acting_for_me: Vec<MandateRow>,
    pub services: Vec<ServiceChoice>,
    pub national_id: String,
    pub until: String,
}

/// The form giving a mandate: the e-services are checkboxes, one `service` field each (read
/// from the form's pairs: a struct would keep only one).
#[derive(Default)]
pub struct MandateForm {
    pub national_id: String,
    pub service: Vec<String>,
    pub until: String,
}

impl MandateForm {
    fn of(pairs: Vec<(String, String)>) -> MandateForm {
        let mut f = MandateForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "national_id" => f.national_id = v,
                "until" => f.until = v,
                "service" if f.service.len() < 100 => f.service.push(v),
                _ => {}
            }
        }
        f
    }
}

#[derive(Deserialize)]
pub struct MandateId {
    #[serde(default)]
    pub id: String,
}

async fn mandates(
    st: &AppState,
    ctx: &Ctx,
    a: &crate::web::Authed,
    errors: FieldErrors,
    form: Option<&MandateForm>,
) -> PageResult {
    let mut l = Layout::of(st, ctx);
    l.done_notice(
        &ctx.browser.query_rest,
        &["mandate-offered", "mandate-accepted", "mandate-ended"],
    );
    let (mine, given) = st.core.mandates.of(&a.account.id).await?;
    let row = |n: npass_core::mandates::NamedMandate| MandateRow {
        id: n.mandate.id.clone(),
        name: full_name(&n.other),
        national_id: n.other.national_id.value.clone(),
        services: n.services.join(", "),
        until: last_day(st, n.mandate.expires_at),
        offered: n.mandate.state == MandateState::Offered,
    };
    let chosen = |id: &str| form.is_some_and(|f| f.service.iter().any(|s| s == id));
    let services = st
        .core
        .mandates
        .services()
        .await?
        .into_iter()
        .map(|e| ServiceChoice {
            checked: chosen(&e.client_id),
            client_id: e.client_id.to_string(),
            name: e.name,
        })
        .collect();
    let status = errors.status();
    let keep = |f: fn(&MandateForm) -> &str, n: usize| {
        form.map(|x| f(x).chars().take(n).collect())
            .unwrap_or_default()
    };
    let page = MandatesPage {
        errors,
        i_act_for: mine.into_iter().map(row).collect(),
        acting_for_me: given.into_iter().map(row).collect(),
        services,
        national_id: keep(|f| &f.national_id, 32),
        until: keep(|f| &f.until, 10),
        l,
    };
    Ok(render(status, &page))
}

/// `GET /account/mandates`.
pub async fn mandates_page(
    State(st): State<AppState>,
    ctx: Ctx,
    Citizen(a): Citizen,
) -> PageResult {
    mandates(&st, &ctx, &a, FieldErrors::default(), None).await
}

/// `POST /account/mandates`: the mandator gives a mandate.
pub async fn offer(
    State(st): State<AppState>,
    ctx: Ctx,
    FreshLogin(a): FreshLogin,
    WebForm(pairs): WebForm<Vec<(String, String)>>,
) -> PageResult {
    let f = MandateForm::of(pairs);
    let Some(until) = end_of(&st, &f.until) else {
        let e = npass_core::Error::invalid("until", "mandate-until");
        return mandates(&st, &ctx, &a, FieldErrors::from(&ctx.tr, &[e]), Some(&f)).await;
    };
    match st
        .core
        .mandates
        .offer(&a.session, &f.national_id, &f.service, until, &ctx.client)
        .await
    {
        Ok(_) => Ok(see_other("/account/mandates?done=mandate-offered")),
        Err(e) => {
            let e = match e {
                npass_core::Error::Forbidden("level") => {
                    npass_core::Error::invalid("", "mandate-level")
                }
                e => super::roles::as_field_error(e, true)?,
            };
            mandates(&st, &ctx, &a, FieldErrors::from(&ctx.tr, &[e]), Some(&f)).await
        }
    }
}

/// `POST /account/mandates/accept`: the representative accepts.
pub async fn accept(
    State(st): State<AppState>,
    ctx: Ctx,
    FreshLogin(a): FreshLogin,
    WebForm(f): WebForm<MandateId>,
) -> PageResult {
    match st
        .core
        .mandates
        .accept(&a.session, &f.id, &ctx.client)
        .await
    {
        Ok(_) => Ok(see_other("/account/mandates?done=mandate-accepted")),
        Err(npass_core::Error::Forbidden("level")) => {
            let e = npass_core::Error::invalid("", "mandate-level");
            mandates(&st, &ctx, &a, FieldErrors::from(&ctx.tr, &[e]), None).await
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

/// `POST /account/mandates/end`: either citizen ends it (the representative may decline an
/// offer the same way).
pub async fn end(
    State(st): State<AppState>,
    ctx: Ctx,
    Citizen(a): Citizen,
    WebForm(f): WebForm<MandateId>,
) -> PageResult {
    st.core
        .mandates
        .end(&a.session, &f.id, &ctx.client)
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(see_other("/account/mandates?done=mandate-ended"))
}
