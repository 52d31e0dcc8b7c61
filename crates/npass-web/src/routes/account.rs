use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use npass_core::model::AuditRecord;

use super::query;
use crate::AppState;
use crate::error::PageResult;
use crate::pages::Layout;
use crate::web::{Authed, Citizen, Ctx, FreshLogin, render};

pub struct ServiceRow {
    pub client_id: String,
    pub name: String,
    pub data: String,
    pub since: String,
    /// When it last received details, and which, in words (empty: not yet).
    pub last_release: String,
}

/// A role the citizen holds at an e-service (design note 0019): what its tokens carry.
pub struct HeldRole {
    pub service: String,
    pub role: String,
    /// The last day it holds, or empty: until withdrawn.
    pub until: String,
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
    /// The roles given to the citizen at e-services.
    pub roles: Vec<HeldRole>,
    pub level: String,
    pub assurance: String,
    /// The citizen set a profile picture (from the npass app).
    pub has_picture: bool,
    /// The citizen administers e-services (design note 0019).
    pub administers: bool,
    /// The citizen administers or represents organisations.
    pub in_orgs: bool,
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
    "esign.certificate-new",
    "passkey.",
    "device.",
    "app.",
    "saml.",
    "roles.",
    "orgs.",
    "mandates.",
];

/// What was released to an e-service, in words ("your name, your email address") instead of
/// the protocol's attribute names; a name without words of its own is shown as it is.
pub fn released_in_words(l: &Layout, names: &[&str]) -> String {
    let mut keys: Vec<String> = Vec::new();
    for n in names {
        let key = match *n {
            "sub" => "released-subject",
            "identity_assurance" => "released-assurance",
            "given_name" | "family_name" | "FirstName" | "LastName" => "released-name",
            "birthdate" | "BirthDate" => "released-birth-date",
            "locale" | "Language" => "released-language",
            "picture" => "released-picture",
            "email" | "email_verified" | "EmailAddress" => "released-email",
            "phone_number" | "MobilePhone" => "released-phone",
            "national_id" | "national_id_scheme" | "NameIdentifier" => "released-national-id",
            "roles" | "Role" => "released-roles",
            "IDNO" | "CompanyName" => "released-organization",
            other => {
                keys.push(other.to_owned());
                continue;
            }
        };
        let text = l.t(key);
        if !keys.contains(&text) {
            keys.push(text);
        }
    }
    keys.join(", ")
}

fn history_row(st: &AppState, l: &Layout, r: &AuditRecord) -> HistoryRow {
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
    // A login for someone else says for whom.
    let acting = r.event.detail.get("acting").filter(|a| !a.is_null());
    let of = |k: &str| acting.and_then(|a| a.get(k)).and_then(|v| v.as_str());
    if let Some(org) = of("name").or(of("org")) {
        detail.push(l.t1("history-acting-org", "org", org));
    } else if of("mandate").is_some() {
        detail.push(l.t("history-acting-mandate"));
    }
    // A grant or an end the operator (the assistance centre) made, not a citizen.
    if text("by") == "operator" {
        detail.push(l.t("history-by-operator"));
    }
    if let Some(claims) = r.event.detail.get("claims").and_then(|v| v.as_array()) {
        let names: Vec<&str> = claims.iter().filter_map(|c| c.as_str()).collect();
        detail.push(released_in_words(l, &names));
    }
    HistoryRow {
        when: crate::pages::local_time(st, r.at),
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
    let releases = st.core.credentials.last_releases(&a.account.id).await?;
    let mut l = Layout::of(&st, &ctx);
    if let Some(done) = query(&raw).get("done")
        && [
            "two-step-removed",
            "service-withdrawn",
            "password-changed",
            "contact-changed",
            "email-changed",
        ]
        .contains(&done.as_str())
    {
        l.notices.push(l.t(&format!("notice-{done}")));
    }
    let history = records.iter().map(|r| history_row(&st, &l, r)).collect();
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
            since: crate::pages::local_time(&st, c.created_at),
            last_release: releases
                .get(c.client_id.as_str())
                .map(|(at, names)| {
                    let names: Vec<&str> = names.iter().map(String::as_str).collect();
                    l.tr.args(
                        "services-last-release",
                        &[
                            ("date", crate::pages::local_time(&st, *at).as_str()),
                            ("data", released_in_words(&l, &names).as_str()),
                        ],
                    )
                })
                .unwrap_or_default(),
        })
        .collect();
    let has_picture = st.core.pictures.of(&a.account.id).await?.is_some();
    let administers = !st.core.roles.administered(&a.account.id).await?.is_empty();
    let in_orgs = !st.core.orgs.of(&a.account.id).await?.is_empty();
    let roles = st
        .core
        .roles
        .held(&a.account.id)
        .await?
        .into_iter()
        .map(|(g, service)| HeldRole {
            service,
            role: g.role,
            until: g
                .expires_at
                .map(|t| super::roles::last_day(&st, t))
                .unwrap_or_default(),
        })
        .collect();
    let page = AccountPage {
        has_picture,
        administers,
        in_orgs,
        two_step_since: status
            .active
            .map(|t| crate::pages::local_time(&st, t.created_at)),
        recovery_left: status.recovery_left,
        history,
        services,
        roles,
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

pub struct SessionRow {
    /// The session's stored key: what "sign out" names (the account's own sessions only).
    pub key: String,
    pub device: String,
    pub ip: String,
    pub started: String,
    pub last_seen: String,
    pub level: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "sessions.html")]
pub struct SessionsPage {
    pub l: Layout,
    pub sessions: Vec<SessionRow>,
}

/// "Chrome on Android" from a user agent, in words a citizen recognises; the browser's own
/// words where it names neither a known browser nor a known system.
pub fn device_name(l: &Layout, ua: &str) -> String {
    // Order matters: Edge and Opera also say Chrome, Chrome also says Safari.
    const BROWSERS: [(&str, &str); 7] = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ];
    const SYSTEMS: [(&str, &str); 7] = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ];
    let browser = BROWSERS.iter().find(|(k, _)| ua.contains(k)).map(|x| x.1);
    let system = SYSTEMS.iter().find(|(k, _)| ua.contains(k)).map(|x| x.1);
    match (browser, system) {
        (Some(b), Some(s)) => l.tr.args("device-on", &[("browser", b), ("system", s)]),
        (Some(b), None) => b.to_owned(),
        (None, Some(s)) => s.to_owned(),
        (None, None) if ua.trim().is_empty() => l.t("device-unknown"),
        (None, None) => ua.chars().take(60).collect(),
    }
}

/// `GET /account/sessions`: the account's live sessions, this browser's first.
pub async fn sessions(State(st): State<AppState>, ctx: Ctx, Citizen(a): Citizen) -> PageResult {
    let mut l = Layout::of(&st, &ctx);
    let mut list = st.core.logins.sessions_of(&a.account.id).await?;
    list.sort_by_key(|s| s.id_hash != a.session.id_hash);
    l.done_notice(
        &ctx.browser.query_rest,
        &["session-ended", "sessions-ended", "session-gone"],
    );
    let sessions = list
        .iter()
        .map(|s| SessionRow {
            key: s.id_hash.clone(),
            device: device_name(&l, &s.user_agent),
            ip: crate::pages::place_of(&st, &s.ip),
            started: crate::pages::local_time(&st, s.created_at),
            last_seen: crate::pages::local_time(&st, s.last_seen_at),
            level: l.t(&format!("level-{}", s.level.as_str())),
            current: s.id_hash == a.session.id_hash,
        })
        .collect();
    Ok(render(StatusCode::OK, &SessionsPage { l, sessions }))
}

#[derive(serde::Deserialize)]
pub struct EndSessionForm {
    #[serde(default)]
    pub session: String,
}

/// Signs out one of the citizen's other sessions.
pub async fn end_session(
    State(st): State<AppState>,
    ctx: Ctx,
    Citizen(a): Citizen,
    crate::web::WebForm(f): crate::web::WebForm<EndSessionForm>,
) -> PageResult {
    if f.session == a.session.id_hash {
        // This browser's own: that is logging out, which has its own button.
        return Ok(crate::web::see_other("/account/sessions"));
    }
    let ended = st
        .core
        .logins
        .end_session_of(&a.account.id, &f.session, &ctx.client)
        .await?;
    Ok(crate::web::see_other(if ended {
        "/account/sessions?done=session-ended"
    } else {
        "/account/sessions?done=session-gone"
    }))
}

#[derive(serde::Deserialize)]
pub struct EndOthersForm {}

/// Signs out every session of the citizen but this browser's.
pub async fn end_other_sessions(
    State(st): State<AppState>,
    ctx: Ctx,
    Citizen(a): Citizen,
    crate::web::WebForm(_f): crate::web::WebForm<EndOthersForm>,
) -> PageResult {
    st.core
        .logins
        .end_other_sessions(&a.session, &ctx.client)
        .await?;
    Ok(crate::web::see_other(
        "/account/sessions?done=sessions-ended",
    ))
}

#[derive(Template)]
#[template(path = "profile.html")]
pub struct ProfilePage {
    pub l: Layout,
    pub errors: crate::pages::FieldErrors,
    pub phone: String,
    pub email: String,
    pub new_email: String,
    /// (code, name, chosen) of each enabled language.
    pub languages: Vec<(&'static str, &'static str, bool)>,
}

fn profile_page(
    st: &AppState,
    ctx: &Ctx,
    a: &Authed,
    errors: crate::pages::FieldErrors,
    phone: String,
    new_email: String,
) -> axum::response::Response {
    let status = errors.status();
    let languages = st
        .i18n
        .enabled
        .iter()
        .map(|code| {
            let name = crate::i18n::AVAILABLE
                .iter()
                .find(|(c, _, _)| c == code)
                .map(|x| x.1)
                .unwrap_or(code);
            (*code, name, *code == a.account.profile.language)
        })
        .collect();
    let page = ProfilePage {
        l: Layout::of(st, ctx),
        errors,
        phone,
        email: a.account.profile.email.clone(),
        new_email,
        languages,
    };
    render(status, &page)
}

/// `GET /account/profile`: the phone number, the preferred language and the email address.
pub async fn profile(
    State(st): State<AppState>,
    ctx: Ctx,
    Citizen(a): Citizen,
) -> axum::response::Response {
    let phone = a.account.profile.phone.clone();
    profile_page(
        &st,
        &ctx,
        &a,
        crate::pages::FieldErrors::default(),
        phone,
        String::new(),
    )
}

#[derive(serde::Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub language: String,
}

pub async fn contact_submit(
    State(st): State<AppState>,
    ctx: Ctx,
    Citizen(a): Citizen,
    crate::web::WebForm(f): crate::web::WebForm<ContactForm>,
) -> PageResult {
    // Only an enabled language; anything else keeps the one there is.
    let language = st
        .i18n
        .find(&f.language)
        .map(str::to_owned)
        .unwrap_or_else(|| a.account.profile.language.clone());
    match st
        .core
        .own
        .update_contact(&a.account, &f.phone, &language, &ctx.client)
        .await
    {
        Ok(()) => Ok(crate::web::see_other("/account?done=contact-changed")),
        Err(e @ npass_core::Error::Invalid { .. }) => Ok(profile_page(
            &st,
            &ctx,
            &a,
            crate::pages::FieldErrors::from(&ctx.tr, &[e]),
            f.phone.chars().take(40).collect(),
            String::new(),
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    pub email: String,
}

/// `POST /account/email`: a link to the new address (after a recent login: the address is
/// where a forgotten password's link goes).
pub async fn email_submit(
    State(st): State<AppState>,
    ctx: Ctx,
    FreshLogin(a): FreshLogin,
    crate::web::WebForm(f): crate::web::WebForm<EmailForm>,
) -> PageResult {
    match st
        .core
        .own
        .request_email_change(&a.account, &f.email, &ctx.client)
        .await
    {
        Ok(()) => {
            let l = Layout::of(&st, &ctx);
            let page = crate::pages::MessagePage {
                title: l.t("register-sent-title"),
                paragraphs: vec![l.t1("email-change-sent", "email", f.email.trim())],
                link: Some(("/account".into(), l.t("link-back-account"))),
                show_request_id: false,
                l,
            };
            Ok(render(StatusCode::OK, &page))
        }
        Err(e @ npass_core::Error::Invalid { .. }) => {
            let phone = a.account.profile.phone.clone();
            Ok(profile_page(
                &st,
                &ctx,
                &a,
                crate::pages::FieldErrors::from(&ctx.tr, &[e]),
                phone,
                f.email.chars().take(254).collect(),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "link_confirm.html")]
pub struct LinkConfirmPage {
    pub l: Layout,
    pub title: String,
    pub lead: String,
    pub action: &'static str,
    pub token: String,
    pub submit: String,
}

fn email_link_gone(st: &AppState, ctx: &Ctx) -> axum::response::Response {
    let l = Layout::of(st, ctx);
    let page = crate::pages::MessagePage {
        title: l.t("confirm-failed-title"),
        paragraphs: vec![l.t("email-change-gone")],
        link: Some(("/account/profile".into(), l.t("profile-title"))),
        show_request_id: false,
        l,
    };
    render(StatusCode::GONE, &page)
}

/// `GET /account/email/confirm?token=…`: a button (mail scanners follow links, not forms).
pub async fn email_confirm_page(State(st): State<AppState>, ctx: Ctx, raw: RawQuery) -> PageResult {
    let token = query(&raw).get("token").cloned().unwrap_or_default();
    match st.core.own.email_change_of(&token).await {
        Ok(email) => {
            let l = Layout::of(&st, &ctx);
            let page = LinkConfirmPage {
                title: l.t("email-change-title"),
                lead: l.t1("email-change-lead", "email", &email),
                action: "/account/email/confirm",
                token,
                submit: l.t("email-change-submit"),
                l,
            };
            Ok(render(StatusCode::OK, &page))
        }
        Err(npass_core::Error::Expired(_)) => Ok(email_link_gone(&st, &ctx)),
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    pub token: String,
}

pub async fn email_confirm(
    State(st): State<AppState>,
    ctx: Ctx,
    crate::web::WebForm(f): crate::web::WebForm<TokenForm>,
) -> PageResult {
    match st
        .core
        .own
        .confirm_email_change(&f.token, &ctx.client)
        .await
    {
        Ok(()) => Ok(crate::web::see_other(if ctx.auth.is_some() {
            "/account?done=email-changed"
        } else {
            "/login?done=email-changed"
        })),
        Err(npass_core::Error::Expired(_)) => Ok(email_link_gone(&st, &ctx)),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "delete.html")]
pub struct DeletePage {
    pub l: Layout,
}

/// `GET /account/delete` (after a recent login).
pub async fn delete_page(
    State(st): State<AppState>,
    ctx: Ctx,
    _: FreshLogin,
) -> axum::response::Response {
    render(
        StatusCode::OK,
        &DeletePage {
            l: Layout::of(&st, &ctx),
        },
    )
}

#[derive(serde::Deserialize)]
pub struct DeleteForm {}

pub async fn delete(
    State(st): State<AppState>,
    ctx: Ctx,
    FreshLogin(a): FreshLogin,
    crate::web::WebForm(_f): crate::web::WebForm<DeleteForm>,
) -> PageResult {
    st.core
        .own
        .delete(&a.account, &a.session, &ctx.client)
        .await?;
    let mut res = crate::web::see_other("/login?done=deleted");
    crate::web::append_cookie(
        res.headers_mut(),
        &crate::web::expired_cookie(crate::web::SESSION_COOKIE),
    );
    Ok(res)
}

/// `GET /account/picture`: the citizen's own picture, to them only.
pub async fn picture(
    State(st): State<AppState>,
    crate::web::Citizen(a): crate::web::Citizen,
) -> crate::error::PageResult {
    match st.core.pictures.of(&a.account.id).await? {
        Some(jpeg) => Ok(super::appapi::picture_response(jpeg)),
        None => Err(npass_core::Error::NotFound.into()),
    }
}
