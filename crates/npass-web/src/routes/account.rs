use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use npass_core::clock::format_utc;
use npass_core::model::AuditRecord;

use super::query;
use crate::AppState;
use crate::error::PageResult;
use crate::pages::Layout;
use crate::web::{Authed, Citizen, Ctx, render};

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

pub async fn page(
    State(st): State<AppState>,
    ctx: Ctx,
    Citizen(a): Citizen,
    raw: RawQuery,
) -> PageResult {
    let status = st.core.credentials.two_step_status(&a.account).await?;
    let records = st
        .core
        .credentials
        .history(&a.account.id, HISTORY_KINDS, 20)
        .await?;
    let connected = st.core.federation.connected_services(&a.account.id).await?;
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
            client_id: e.client_id.into(),
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
    Ok(render(StatusCode::OK, &page))
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
    Citizen(a): Citizen,
    crate::web::WebForm(f): crate::web::WebForm<WithdrawForm>,
) -> PageResult {
    st.core
        .federation
        .withdraw_consent(&a.account.id, &f.client_id, &ctx.client)
        .await?;
    Ok(crate::web::see_other("/account?done=service-withdrawn"))
}
