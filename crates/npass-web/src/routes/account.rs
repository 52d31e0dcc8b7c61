use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use npass_core::clock::format_utc;
use npass_core::model::AuditRecord;

use super::{query, to_login};
use crate::AppState;
use crate::pages::Layout;
use crate::web::{Authed, Ctx, error_page, render};

pub struct ServiceRow {
    pub client_id: String,
    pub name: String,
    pub data: String,
    pub since: String,
}

pub struct HistoryRow {
    pub when: String,
    pub what: String,
    pub from: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage {
    pub l: Layout,
    pub a: Authed,
    pub two_step_since: Option<String>,
    pub recovery_left: i64,
    pub history: Vec<HistoryRow>,
    pub services: Vec<ServiceRow>,
    pub level: String,
    pub assurance: String,
}

/// The pages a logged-in citizen may see; `fresh` for sensitive changes.
pub fn need_login<'a>(st: &AppState, ctx: &'a Ctx, fresh: bool) -> Result<&'a Authed, Response> {
    let path = ctx.browser.path.clone();
    match &ctx.auth {
        None => Err(to_login(&path, false)),
        Some(a) if fresh && !st.core.is_fresh(&a.session) => Err(to_login(&path, true)),
        // Where e-signature trust is configured (the MPass path), changing how one logs in
        // needs a recent e-signature login, not only a password.
        Some(a)
            if fresh
                && st.core.esign.enabled()
                && !a.session.amr.contains(&npass_core::model::Amr::Sc) =>
        {
            Err(crate::web::see_other(&format!(
                "/login?next={}&reauth=1&esign=1",
                crate::web::enc(&path)
            )))
        }
        Some(a) => Ok(a),
    }
}

pub const HISTORY_KINDS: &[&str] = &[
    "login.",
    "two-step.",
    "recovery.",
    "session.",
    "account.",
    "password.",
    "admin.",
    "oidc.",
];

fn history_row(l: &Layout, r: &AuditRecord) -> HistoryRow {
    let key = format!("history-{}", r.event.kind.replace('.', "-"));
    let text = |k: &str| {
        r.event
            .detail
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned()
    };
    let mut detail: Vec<String> = Vec::new();
    if !text("service").is_empty() {
        detail.push(text("service"));
    }
    let level = text("level");
    if !level.is_empty() {
        detail.push(l.t(&format!("level-{level}")));
    }
    if let Some(claims) = r.event.detail.get("claims").and_then(|v| v.as_array()) {
        let names: Vec<&str> = claims.iter().filter_map(|c| c.as_str()).collect();
        detail.push(names.join(", "));
    }
    HistoryRow {
        when: format_utc(r.at),
        what: l.t(&key),
        from: r.event.ip.clone().unwrap_or_default(),
        detail: detail.join("; "),
    }
}

pub async fn page(State(st): State<AppState>, ctx: Ctx, raw: RawQuery) -> Response {
    let a = match need_login(&st, &ctx, false) {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    let status = match st.core.two_step_status(&a.account).await {
        Ok(s) => s,
        Err(e) => return error_page(&st, &ctx.browser, &e),
    };
    let records = match st
        .core
        .store
        .audit_for_account(&a.account.id, HISTORY_KINDS, 20)
        .await
    {
        Ok(r) => r,
        Err(e) => return error_page(&st, &ctx.browser, &e),
    };
    let connected = match st.core.connected_services(&a.account.id).await {
        Ok(c) => c,
        Err(e) => return error_page(&st, &ctx.browser, &e),
    };
    let mut l = Layout::of(&st, &ctx);
    if let Some(done) = query(&raw).get("done")
        && ["two-step-removed", "service-withdrawn", "password-reset"].contains(&done.as_str())
    {
        l.notices.push(l.t(&format!("notice-{done}")));
    }
    let history = records.iter().map(|r| history_row(&l, r)).collect();
    let services = connected
        .into_iter()
        .map(|(c, e)| ServiceRow {
            client_id: e.client_id,
            name: e.name,
            data: c
                .scope
                .iter()
                .map(|s| l.t(&format!("consent-scope-{}", s.replace('_', "-"))))
                .collect::<Vec<_>>()
                .join("; "),
            since: format_utc(c.created_at),
        })
        .collect();
    let page = AccountPage {
        two_step_since: status.active.map(|t| format_utc(t.created_at)),
        recovery_left: status.recovery_left,
        history,
        services,
        level: l.t(&format!("level-{}", a.session.level.as_str())),
        assurance: l.t(&format!("assurance-{}", a.account.assurance.as_str())),
        a,
        l,
    };
    render(StatusCode::OK, &page)
}

#[derive(serde::Deserialize)]
pub struct WithdrawForm {
    #[serde(default)]
    pub client_id: String,
}

/// Stops sharing data with an e-service; its tokens stop working at once.
pub async fn withdraw(
    State(st): State<AppState>,
    ctx: Ctx,
    crate::web::WebForm(f): crate::web::WebForm<WithdrawForm>,
) -> Response {
    let a = match need_login(&st, &ctx, false) {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    match st
        .core
        .withdraw_consent(&a.account.id, &f.client_id, &ctx.client)
        .await
    {
        Ok(()) => crate::web::see_other("/account?done=service-withdrawn"),
        Err(e) => error_page(&st, &ctx.browser, &e),
    }
}
