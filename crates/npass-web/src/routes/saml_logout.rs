//! SAML single logout at `/logout/saml` (design note 0017): a service's LogoutRequest ends the
//! browser's session and, through frames on npass's logout page, the session's other
//! services; their LogoutResponses come back into those frames; the service that asked gets
//! its answer. npass's own logout runs the same page. Decisions are `npass_core::saml::logout`.

use askama::Template;
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use npass_core::saml::Binding;
use npass_core::saml::logout::{
    Delivery, LogoutEnd, LogoutNotice, LogoutStage, Outcome, Outgoing, SloIn,
};
use serde::Deserialize;

use super::query;
use super::saml::{POST_LIMIT, post_page};
use crate::AppState;
use crate::error::PageResult;
use crate::pages::Layout;
use crate::web::{
    Ctx, SESSION_COOKIE, WebForm, append_cookie, expired_cookie, is_form, message_page, render,
    see_other, serde_urlencoded_pairs,
};

/// npass's default policy, but framed by npass's own logout page only.
const FRAMED_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     connect-src 'self'; frame-ancestors 'self'; object-src 'none'; base-uri 'none'";

/// Where a logout is shown and goes on.
pub fn logout_url(id: &str) -> String {
    format!("/logout/saml/continue?req={id}")
}

/// A frame on the logout page: one service's notice.
pub struct FrameRow {
    pub service: String,
    pub src: String,
    pub request_id: String,
    pub outcome: Outcome,
}

#[derive(Template)]
#[template(path = "saml_logout.html")]
pub struct LogoutPage {
    pub l: Layout,
    pub id: String,
    pub frames: Vec<FrameRow>,
}

#[derive(Template)]
#[template(path = "saml_logout_done.html")]
pub struct LogoutDonePage {
    pub l: Layout,
    pub then: String,
    pub frames: Vec<FrameRow>,
}

/// What a frame shows: the form that posts npass's LogoutRequest, or the service's answer.
#[derive(Template)]
#[template(path = "saml_frame.html")]
pub struct FramePage {
    pub l: Layout,
    pub service: String,
    /// The form's target and message (a request still to send).
    pub form: Option<(String, String)>,
    pub request_id: String,
    pub done: bool,
}

/// A page npass's own logout page may frame.
fn framable(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(FRAMED_CSP),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    res
}

fn bad(st: &AppState, ctx: &Ctx, key: &str) -> Response {
    framable(message_page(
        st,
        &ctx.browser,
        StatusCode::BAD_REQUEST,
        "error-title",
        key,
    ))
}

/// `GET /logout/saml`: a LogoutRequest or LogoutResponse over HTTP-Redirect.
pub async fn redirect(State(st): State<AppState>, ctx: Ctx, raw: RawQuery) -> Response {
    let q = raw.0.unwrap_or_default();
    inbound(&st, &ctx, Binding::Redirect, "", &q, "").await
}

/// `POST /logout/saml`: a LogoutRequest or LogoutResponse over HTTP-POST, sent cross-site
/// (without the session cookie).
pub async fn post(State(st): State<AppState>, ctx: Ctx, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    if !is_form(&parts.headers) {
        return bad(&st, &ctx, "error-form");
    }
    let Ok(bytes) = axum::body::to_bytes(body, POST_LIMIT).await else {
        return bad(&st, &ctx, "saml-too-large");
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return bad(&st, &ctx, "saml-bad-request");
    };
    let (mut message, mut relay_state) = (None, None);
    for (k, v) in serde_urlencoded_pairs(text) {
        let slot = match k.as_str() {
            "SAMLRequest" | "SAMLResponse" => &mut message,
            "RelayState" => &mut relay_state,
            _ => continue,
        };
        if slot.replace((k, v)).is_some() {
            return bad(&st, &ctx, "saml-bad-request");
        }
    }
    let Some((field, message)) = message else {
        return bad(&st, &ctx, "saml-bad-request");
    };
    let relay_state = relay_state.map(|r| r.1).unwrap_or_default();
    inbound(&st, &ctx, Binding::Post, &field, &message, &relay_state).await
}

async fn inbound(
    st: &AppState,
    ctx: &Ctx,
    binding: Binding,
    field: &str,
    message: &str,
    relay_state: &str,
) -> Response {
    match st.core.saml.slo(binding, field, message, relay_state).await {
        // The browser comes back with its session cookie.
        Ok(SloIn::Asked(id)) => see_other(&logout_url(&id)),
        Ok(SloIn::Answered {
            service,
            request_id,
            done,
            ..
        }) => framable(render(
            StatusCode::OK,
            &FramePage {
                l: Layout::new(st, &ctx.browser, String::new()),
                service,
                form: None,
                request_id,
                done,
            },
        )),
        Err(key) => bad(st, ctx, key),
    }
}

/// A message to a service: a page whose form posts it, or a redirect.
fn send(st: &AppState, ctx: &Ctx, service: String, o: Outgoing) -> Response {
    match o {
        Outgoing::Post(p) => post_page(st, ctx, service, p),
        Outgoing::Redirect(url) => see_other(&url),
    }
}

/// The browser's session cookie goes: the session has ended.
fn signed_out(mut res: Response) -> Response {
    append_cookie(res.headers_mut(), &expired_cookie(SESSION_COOKIE));
    res
}

/// `GET /logout/saml/continue?req=…`: a service's parked request meets the browser's session
/// (and runs, or is answered), or a running logout's page again.
pub async fn resume(State(st): State<AppState>, ctx: Ctx, raw: RawQuery) -> PageResult {
    let id = query(&raw).get("req").cloned().unwrap_or_default();
    let saml = &st.core.saml;
    let (logout, stage) = saml.logout(&id).await.map_err(|e| ctx.fail(e))?;
    if stage == LogoutStage::Running {
        let notices = saml.logout_notices(&id).await.map_err(|e| ctx.fail(e))?;
        return Ok(running_page(&st, &ctx, &id, &notices));
    }
    let Some(ask) = &logout.initiator else {
        return Err(ctx.fail(npass_core::Error::NotFound));
    };
    let service = st
        .core
        .registry
        .eservice(&ask.client_id)
        .await
        .map_err(|e| ctx.fail(e))?
        .name;
    let matched = match &ctx.auth {
        Some(a) => saml
            .names_session(ask, &a.session)
            .await
            .map_err(|e| ctx.fail(e))?,
        None => false,
    };
    let Some(a) = ctx.auth.as_ref().filter(|_| matched) else {
        // No session: nothing to end. Another session's: refused, and nothing ends.
        let answer = saml
            .logout_refuse(&logout, ctx.auth.is_some())
            .await
            .map_err(|e| ctx.fail(e))?;
        return Ok(send(&st, &ctx, service, answer));
    };
    let notices = saml
        .logout_run(&logout, &a.session, &ctx.client)
        .await
        .map_err(|e| ctx.fail(e))?;
    st.core
        .logins
        .logout(&a.secret, &ctx.client)
        .await
        .map_err(|e| ctx.fail(e))?;
    if notices.is_empty() {
        return finish(&st, &ctx, &id).await.map(signed_out);
    }
    Ok(signed_out(running_page(&st, &ctx, &id, &notices)))
}

/// npass's own logout of the browser's session: the session ends, and when it answered SAML
/// services that take single logout the browser goes through the logout page first; then on
/// to `then`.
pub async fn end(
    st: &AppState,
    ctx: &Ctx,
    a: &crate::web::Authed,
    then: &str,
) -> Result<Response, crate::error::PageError> {
    let run = st
        .core
        .saml
        .own_logout(&a.session, then, &ctx.client)
        .await
        .map_err(|e| ctx.fail(e))?;
    st.core
        .logins
        .logout(&a.secret, &ctx.client)
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(see_other(
        &run.map(|id| logout_url(&id))
            .unwrap_or_else(|| then.to_owned()),
    ))
}

fn frame_rows(notices: &[LogoutNotice]) -> Vec<FrameRow> {
    notices
        .iter()
        .map(|n| FrameRow {
            service: n.service.clone(),
            src: match &n.delivery {
                Delivery::Redirect { url } => url.clone(),
                Delivery::Post { .. } => format!("/logout/saml/frame?n={}", n.request_id),
            },
            request_id: n.request_id.clone(),
            outcome: n.outcome,
        })
        .collect()
}

/// The origin (`scheme://host[:port]`) of a URL, for the page's `frame-src`.
fn origin(u: &str) -> Option<String> {
    let u = url::Url::parse(u).ok()?;
    match u.origin() {
        url::Origin::Tuple(..) => Some(u.origin().ascii_serialization()),
        url::Origin::Opaque(_) => None,
    }
}

/// The running logout's page: one frame per service (their origins, and npass's, allowed as
/// frames, nothing else), and "Continue".
fn running_page(st: &AppState, ctx: &Ctx, id: &str, notices: &[LogoutNotice]) -> Response {
    let frames = frame_rows(notices);
    let mut sources: Vec<String> = notices
        .iter()
        .filter_map(|n| match &n.delivery {
            Delivery::Redirect { url } => origin(url),
            Delivery::Post { url, .. } => origin(url),
        })
        .collect();
    sources.sort();
    sources.dedup();
    let mut res = render(
        StatusCode::OK,
        &LogoutPage {
            l: Layout::signed_out(st, ctx),
            id: id.to_owned(),
            frames,
        },
    );
    let csp = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; \
         frame-src 'self' {}; frame-ancestors 'none'; object-src 'none'; base-uri 'none'",
        sources.join(" ")
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

/// `GET /logout/saml/frame?n=…`: the frame that posts npass's LogoutRequest to one service.
pub async fn frame(State(st): State<AppState>, ctx: Ctx, raw: RawQuery) -> PageResult {
    let n = query(&raw).get("n").cloned().unwrap_or_default();
    let notice = st
        .core
        .saml
        .logout_notice(&n)
        .await
        .map_err(|e| ctx.fail(e))?;
    let form = match notice.delivery {
        Delivery::Post { url, message } if notice.outcome == Outcome::Pending => {
            Some((url, message))
        }
        _ => None,
    };
    Ok(framable(render(
        StatusCode::OK,
        &FramePage {
            l: Layout::new(&st, &ctx.browser, String::new()),
            service: notice.service,
            form,
            request_id: notice.request_id,
            done: notice.outcome == Outcome::Done,
        },
    )))
}

#[derive(Deserialize)]
pub struct DoneForm {
    pub id: String,
}

/// `POST /logout/saml/done`: the logout ends (once).
pub async fn done(
    State(st): State<AppState>,
    ctx: Ctx,
    WebForm(f): WebForm<DoneForm>,
) -> PageResult {
    finish(&st, &ctx, &f.id).await
}

async fn finish(st: &AppState, ctx: &Ctx, id: &str) -> PageResult {
    let (end, notices) = st
        .core
        .saml
        .logout_finish(id)
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(match end {
        LogoutEnd::Answer(service, o) => send(st, ctx, service, o),
        LogoutEnd::Then(then) => render(
            StatusCode::OK,
            &LogoutDonePage {
                l: Layout::signed_out(st, ctx),
                then,
                frames: frame_rows(&notices),
            },
        ),
    })
}

pub async fn logout_js() -> Response {
    super::script(include_str!("../../static/saml-logout.js"))
}
