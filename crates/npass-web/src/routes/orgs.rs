//! "Organisations" in My account (design note 0019): the organisations a citizen administers or
//! represents; an administrator names representatives (national identifier, roles in the
//! organisation, an optional last day) and withdraws them, after a recent strong login. The
//! rules are `npass_core::orgs`.

use askama::Template;
use axum::extract::State;
use npass_core::orgs::MemberKind;
use serde::Deserialize;

use crate::AppState;
use crate::error::PageResult;
use crate::pages::{FieldErrors, Layout};
use crate::web::{Citizen, Ctx, FreshLogin, WebForm, render, see_other};

pub struct MemberRow {
    pub national_id: String,
    pub name: String,
    pub admin: bool,
    pub roles: String,
    pub until: String,
}

pub struct OrgRow {
    pub idno: String,
    pub name: String,
    /// The citizen administers it (else represents it).
    pub admin: bool,
    /// The citizen's own roles in it (a representative's).
    pub my_roles: String,
    pub members: Vec<MemberRow>,
}

#[derive(Template)]
#[template(path = "orgs.html")]
pub struct OrgsPage {
    pub l: Layout,
    pub errors: FieldErrors,
    pub orgs: Vec<OrgRow>,
    pub form_for: String,
    pub national_id: String,
    pub roles: String,
    pub until: String,
}

#[derive(Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    pub idno: String,
    #[serde(default)]
    pub national_id: String,
    /// Role names separated by commas or spaces.
    #[serde(default)]
    pub roles: String,
    #[serde(default)]
    pub until: String,
}

async fn page(
    st: &AppState,
    ctx: &Ctx,
    a: &crate::web::Authed,
    errors: FieldErrors,
    form: Option<&MemberForm>,
) -> PageResult {
    let mut l = Layout::of(st, ctx);
    l.done_notice(
        &ctx.browser.query_rest,
        &["representative-named", "representative-withdrawn"],
    );
    let mut orgs = Vec::new();
    for (org, me) in st.core.orgs.of(&a.account.id).await? {
        let admin = me.kind == MemberKind::Admin;
        let mut members = Vec::new();
        if admin {
            for (m, who) in st.core.orgs.members_named(&org.number).await? {
                members.push(MemberRow {
                    name: super::roles::full_name(&who),
                    national_id: who.national_id.value,
                    admin: m.kind == MemberKind::Admin,
                    roles: m.roles.join(", "),
                    until: m
                        .expires_at
                        .map(|t| super::roles::last_day(st, t))
                        .unwrap_or_default(),
                });
            }
        }
        orgs.push(OrgRow {
            idno: org.number,
            name: org.name,
            admin,
            my_roles: me.roles.join(", "),
            members,
        });
    }
    let status = errors.status();
    let keep = |f: fn(&MemberForm) -> &str, n: usize| {
        form.map(|x| f(x).chars().take(n).collect())
            .unwrap_or_default()
    };
    let page = OrgsPage {
        errors,
        orgs,
        form_for: keep(|f| &f.idno, 13),
        national_id: keep(|f| &f.national_id, 32),
        roles: keep(|f| &f.roles, 300),
        until: keep(|f| &f.until, 10),
        l,
    };
    Ok(render(status, &page))
}

/// `GET /account/organisations`.
pub async fn orgs_page(State(st): State<AppState>, ctx: Ctx, Citizen(a): Citizen) -> PageResult {
    page(&st, &ctx, &a, FieldErrors::default(), None).await
}

/// `POST /account/organisations/representatives`: an administrator names a representative.
pub async fn name(
    State(st): State<AppState>,
    ctx: Ctx,
    FreshLogin(a): FreshLogin,
    WebForm(f): WebForm<MemberForm>,
) -> PageResult {
    let roles: Vec<String> = f
        .roles
        .split([',', ' '])
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    let until = if f.until.trim().is_empty() {
        None
    } else {
        match super::roles::end_of(&st, &f.until) {
            Some(t) => Some(t),
            None => {
                let e = npass_core::Error::invalid("until", "role-until-date");
                return page(&st, &ctx, &a, FieldErrors::from(&ctx.tr, &[e]), Some(&f)).await;
            }
        }
    };
    match st
        .core
        .orgs
        .name_representative(
            &a.session,
            &f.idno,
            &f.national_id,
            &roles,
            until,
            &ctx.client,
        )
        .await
    {
        Ok(_) => Ok(see_other(
            "/account/organisations?done=representative-named",
        )),
        Err(e) => {
            let e = super::roles::as_field_error(e, true)?;
            page(&st, &ctx, &a, FieldErrors::from(&ctx.tr, &[e]), Some(&f)).await
        }
    }
}

/// `POST /account/organisations/withdraw`: an administrator withdraws a representative.
pub async fn withdraw(
    State(st): State<AppState>,
    ctx: Ctx,
    FreshLogin(a): FreshLogin,
    WebForm(f): WebForm<MemberForm>,
) -> PageResult {
    match st
        .core
        .orgs
        .withdraw(&a.session, &f.idno, &f.national_id, &ctx.client)
        .await
    {
        Ok(()) => Ok(see_other(
            "/account/organisations?done=representative-withdrawn",
        )),
        Err(e) => {
            let e = super::roles::as_field_error(e, true)?;
            page(&st, &ctx, &a, FieldErrors::from(&ctx.tr, &[e]), None).await
        }
    }
}
