//! The page frame shared by every template, and the error pages.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use npass_core::Error;

use crate::AppState;
use crate::i18n::{AVAILABLE, Tr};
use crate::web::{Browser, Ctx, enc, render};

pub struct LangLink {
    pub code: &'static str,
    pub name: &'static str,
    pub href: String,
    pub current: bool,
}

/// What the frame of every page shows: header, language links, notices, footer.
pub struct Layout {
    pub tr: Tr,
    pub csrf: String,
    pub langs: Vec<LangLink>,
    pub logged_in: bool,
    pub user_name: String,
    pub notices: Vec<String>,
    pub authority: String,
    pub support_phone: String,
    pub support_email: String,
    pub support_name: String,
    /// The footer's links: (address, text).
    pub footer_links: Vec<(String, String)>,
    pub request_id: String,
}

impl Layout {
    /// Shows the notice `notice-<key>` a page was sent back to with `?done=<key>`, when `key`
    /// is one of `known` (anything else in the address shows nothing).
    pub fn done_notice(&mut self, query_rest: &str, known: &[&str]) {
        if let Some(done) = query_rest.strip_prefix("done=")
            && known.contains(&done)
        {
            let n = self.t(&format!("notice-{done}"));
            self.notices.push(n);
        }
    }

    pub fn t(&self, key: &str) -> String {
        self.tr.t(key)
    }
    pub fn t1(&self, key: &str, name: &str, value: &str) -> String {
        self.tr.t1(key, name, value)
    }
    pub fn t2(&self, key: &str, n1: &str, v1: &str, n2: &str, v2: &str) -> String {
        self.tr.args(key, &[(n1, v1), (n2, v2)])
    }

    pub fn new(st: &AppState, b: &Browser, csrf: String) -> Self {
        let tr = Tr::new(st.i18n.clone(), b.lang);
        let langs = lang_links(st, b.lang, &enc(&b.path), &b.query_rest);
        let footer_links = footer_links(st, &tr);
        let mut notices = Vec::new();
        if b.lang_unknown {
            notices.push(tr.t("notice-lang-unknown"));
        }
        Layout {
            tr,
            csrf,
            langs,
            logged_in: false,
            user_name: String::new(),
            notices,
            authority: st.cfg.authority.clone(),
            support_phone: st.cfg.support_phone.clone(),
            support_email: st.cfg.support_email.clone(),
            support_name: st.cfg.support_name.clone(),
            footer_links,
            request_id: b.request_id.clone(),
        }
    }

    /// The language links lead to `path?query` instead of the address of this request.
    pub fn lang_links_to(mut self, path: &str, query: &str) -> Self {
        for x in &mut self.langs {
            x.href = lang_href(path, query, x.code);
        }
        self
    }

    /// For a page whose response ends the session: no name in the header, and forms bound
    /// to the browser rather than to the session.
    pub fn signed_out(st: &AppState, ctx: &Ctx) -> Self {
        let csrf = crate::web::csrf_token(st, &ctx.browser.pre_id, None);
        Layout::new(st, &ctx.browser, csrf)
    }

    pub fn of(st: &AppState, ctx: &Ctx) -> Self {
        let mut l = Layout::new(st, &ctx.browser, ctx.csrf.clone());
        if let Some(a) = &ctx.auth {
            l.logged_in = true;
            l.user_name = format!(
                "{} {}",
                a.account.profile.given_name, a.account.profile.family_name
            );
        }
        l
    }
}

/// An instant as the deployment's clocks show it: `2025-11-23 02:00 EET`.
pub fn local_time(st: &AppState, ms: i64) -> String {
    let Some(tz) = &st.cfg.time_zone else {
        return npass_core::clock::format_utc(ms);
    };
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => t
            .to_zoned(tz.clone())
            .strftime("%Y-%m-%d %H:%M %Z")
            .to_string(),
        Err(_) => npass_core::clock::format_utc(ms),
    }
}

/// Where an address is, by the operator's list of ranges: `Chișinău (192.0.2.7)`, or the
/// address alone.
pub fn place_of(st: &AppState, ip: &str) -> String {
    let place = ip.parse::<std::net::IpAddr>().ok().and_then(|a| {
        st.cfg
            .places
            .iter()
            .find(|(r, _)| r.contains(&a))
            .map(|(_, p)| p.as_str())
    });
    if let Some(p) = place {
        return format!("{p} ({ip})");
    }
    let country = ip
        .parse::<std::net::IpAddr>()
        .ok()
        .zip(st.cfg.countries.as_deref())
        .and_then(|(a, c)| c.of(a));
    match country {
        Some(cc) => format!("{} {cc} ({ip})", crate::geoip::flag(&cc)),
        None => ip.to_owned(),
    }
}

/// The footer's links, each to the deployment's own page or npass's built-in one.
fn footer_links(st: &AppState, tr: &Tr) -> Vec<(String, String)> {
    let c = &st.cfg;
    [
        (&c.help_url, "/help", "footer-help-link"),
        (&c.terms_url, "/terms", "footer-terms"),
        (&c.privacy_url, "/privacy", "footer-privacy"),
        (
            &c.accessibility_url,
            "/accessibility",
            "footer-accessibility",
        ),
        (&c.integration_url, "/integration", "footer-integration"),
    ]
    .into_iter()
    .map(|(own, builtin, key)| {
        let href = if own.is_empty() {
            builtin
        } else {
            own.as_str()
        };
        (href.to_owned(), tr.t(key))
    })
    .collect()
}

fn lang_links(st: &AppState, current: &str, path: &str, query: &str) -> Vec<LangLink> {
    st.i18n
        .enabled
        .iter()
        .map(|code| LangLink {
            code,
            name: AVAILABLE
                .iter()
                .find(|(c, _, _)| c == code)
                .map(|x| x.1)
                .unwrap_or(code),
            href: lang_href(path, query, code),
            current: *code == current,
        })
        .collect()
}

fn lang_href(path: &str, query: &str, code: &str) -> String {
    let sep = if query.is_empty() { "" } else { "&" };
    format!("{path}?{query}{sep}lang={code}")
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub l: Layout,
    pub title: String,
    pub paragraphs: Vec<String>,
    pub link: Option<(String, String)>,
    pub show_request_id: bool,
}

/// A page with a title and one message, in the browser's language.
pub fn message_page(
    st: &AppState,
    b: &Browser,
    status: StatusCode,
    title_key: &str,
    key: &str,
) -> Response {
    let l = Layout::new(st, b, String::new());
    let page = MessagePage {
        title: l.t(title_key),
        paragraphs: vec![l.t(key)],
        link: Some(("/".into(), l.t("link-home"))),
        show_request_id: status.is_server_error() || status.is_client_error(),
        l,
    };
    render(status, &page)
}

/// Maps a core error to a page. `Unavailable` is the fail-closed "try again" page.
pub fn error_page(st: &AppState, b: &Browser, e: &Error) -> Response {
    let (status, key) = match e {
        Error::NotFound => (StatusCode::NOT_FOUND, "error-not-found"),
        Error::Conflict(_) => (StatusCode::CONFLICT, "error-conflict"),
        Error::Invalid { .. } => (StatusCode::BAD_REQUEST, "error-form"),
        Error::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "error-login-needed"),
        Error::Forbidden(_) => (StatusCode::FORBIDDEN, "error-forbidden"),
        Error::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "error-rate-limited"),
        Error::Expired(_) => (StatusCode::GONE, "error-expired"),
        Error::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "error-unavailable"),
        Error::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "error-internal"),
    };
    if status.is_server_error() {
        tracing::error!(request_id = %b.request_id, error = %e, "request failed");
    }
    message_page(st, b, status, "error-title", key)
}

/// The localised text for a core error on a form field.
pub fn field_message(tr: &Tr, e: &Error) -> (String, String) {
    match e {
        Error::Invalid { field, reason, n } => {
            let n = n.map(|n| n.to_string()).unwrap_or_default();
            (
                (*field).to_owned(),
                tr.t1(&format!("err-{reason}"), "n", &n),
            )
        }
        Error::RateLimited { retry_after_ms } => {
            let secs = (retry_after_ms + 999) / 1000;
            (
                "".into(),
                tr.t1("err-rate-limited", "seconds", &secs.to_string()),
            )
        }
        Error::Forbidden("locked") => ("".into(), tr.t("err-locked")),
        Error::Expired(_) => ("".into(), tr.t("err-expired")),
        Error::Unavailable(_) => ("".into(), tr.t("error-unavailable")),
        _ => ("".into(), tr.t("error-internal")),
    }
}

/// Form errors by field name; `""` holds the ones about the whole form.
#[derive(Default)]
pub struct FieldErrors(pub Vec<(String, String)>);

impl FieldErrors {
    /// A form page's status: 400 when it comes back with errors.
    pub fn status(&self) -> axum::http::StatusCode {
        if self.0.is_empty() {
            axum::http::StatusCode::OK
        } else {
            axum::http::StatusCode::BAD_REQUEST
        }
    }

    pub fn from(tr: &Tr, errs: &[Error]) -> Self {
        FieldErrors(errs.iter().map(|e| field_message(tr, e)).collect())
    }
    pub fn get(&self, field: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.clone())
    }
    pub fn general(&self) -> Vec<String> {
        self.0
            .iter()
            .filter(|(f, _)| f.is_empty())
            .map(|(_, m)| m.clone())
            .collect()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn push(&mut self, field: &str, msg: String) {
        self.0.push((field.to_owned(), msg));
    }
}
