//! SAML 2.0 at MPass's paths: `/login/saml` (AuthnRequest over HTTP-POST and HTTP-Redirect),
//! `/meta/saml` (the IdP's metadata) and `/meta` (the page that links its certificates).
//! Protocol decisions live in `npass_core::saml`; this is the browser's side of them.

use askama::Template;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use npass_core::saml::{Binding, PostBack, SamlNext, SamlRequest, SsoError};

use super::oidc::{ConsentForm, consent_page, stepup_page};
use super::{query, to_login};
use crate::AppState;
use crate::error::PageResult;
use crate::pages::Layout;
use crate::web::{Ctx, WebForm, is_form, message_page, render, see_other, serde_urlencoded_pairs};

/// The largest POST binding body npass reads.
pub const POST_LIMIT: usize = 64 * 1024;

#[derive(Template)]
#[template(path = "saml_post.html")]
pub struct PostPage {
    pub l: Layout,
    pub service: String,
    pub url: String,
    pub field: &'static str,
    pub message: String,
    pub relay_state: String,
}

pub struct CertificateRow {
    pub kid: String,
    pub alg: &'static str,
    pub fingerprint: String,
}

#[derive(Template)]
#[template(path = "meta.html")]
pub struct MetaPage {
    pub l: Layout,
    pub base: String,
    pub entity_id: String,
    pub certificates: Vec<CertificateRow>,
}

fn continue_url(id: &str) -> String {
    format!("/login/saml/continue?req={id}")
}

/// `GET /meta/saml`: the IdP's metadata.
pub async fn metadata(State(st): State<AppState>, ctx: Ctx) -> PageResult {
    let doc = st.core.saml.metadata().await.map_err(|e| ctx.fail(e))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/samlmetadata+xml"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        doc,
    )
        .into_response())
}

/// `GET /meta`: the human page with the addresses and the signing certificates.
pub async fn meta_page(State(st): State<AppState>, ctx: Ctx) -> PageResult {
    let certs = st.core.keys.certificates().await.map_err(|e| ctx.fail(e))?;
    let certificates = certs
        .iter()
        .map(|(kid, alg, der)| CertificateRow {
            kid: kid.to_string(),
            alg: match alg {
                npass_core::relying::SigningAlg::Rs256 => "RSA-SHA256",
                npass_core::relying::SigningAlg::Es256 => "ECDSA-SHA256",
            },
            fingerprint: {
                use sha2::Digest;
                sha2::Sha256::digest(der)
                    .iter()
                    .map(|b| format!("{b:02X}"))
                    .collect::<Vec<_>>()
                    .join(":")
            },
        })
        .collect();
    let base = st
        .core
        .env
        .policy
        .public_url
        .trim_end_matches('/')
        .to_owned();
    Ok(render(
        StatusCode::OK,
        &MetaPage {
            l: Layout::of(&st, &ctx),
            entity_id: st.core.saml.entity_id(),
            base,
            certificates,
        },
    ))
}

/// `GET /meta/certificates/{kid}.cer`: one signing certificate, DER (the `.cer` MPass-era
/// services install).
pub async fn certificate(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(file): Path<String>,
) -> PageResult {
    let kid = file.strip_suffix(".cer").unwrap_or("");
    let certs = st.core.keys.certificates().await.map_err(|e| ctx.fail(e))?;
    let der = certs
        .into_iter()
        .find(|(k, _, _)| k.as_str() == kid)
        .map(|(_, _, der)| der)
        .ok_or_else(|| ctx.fail(npass_core::Error::NotFound))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pkix-cert"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        der,
    )
        .into_response())
}

/// `GET /login/saml`: an AuthnRequest over HTTP-Redirect. A top-level navigation, so the
/// browser's session cookie came with it: straight on to the next step.
pub async fn sso_redirect(State(st): State<AppState>, ctx: Ctx, raw: RawQuery) -> PageResult {
    let q = raw.0.unwrap_or_default();
    match st.core.saml.sso(Binding::Redirect, &q, "").await {
        Ok(req) => step(&st, &ctx, &req, false).await,
        Err(e) => Ok(refused(&st, &ctx, e)),
    }
}

/// `POST /login/saml`: an AuthnRequest over HTTP-POST, posted cross-site by the service's
/// page (so without the `SameSite=Lax` session cookie): parked, then the browser goes on with
/// a GET that carries it.
pub async fn sso_post(State(st): State<AppState>, ctx: Ctx, req: Request) -> Response {
    let page = |status, key| message_page(&st, &ctx.browser, status, "error-title", key);
    let (parts, body) = req.into_parts();
    if !is_form(&parts.headers) {
        return page(StatusCode::UNSUPPORTED_MEDIA_TYPE, "error-form");
    }
    let Ok(bytes) = axum::body::to_bytes(body, POST_LIMIT).await else {
        return page(StatusCode::PAYLOAD_TOO_LARGE, "saml-too-large");
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return page(StatusCode::BAD_REQUEST, "saml-bad-request");
    };
    let (mut message, mut relay_state) = (None, None);
    for (k, v) in serde_urlencoded_pairs(text) {
        let slot = match k.as_str() {
            "SAMLRequest" => &mut message,
            "RelayState" => &mut relay_state,
            _ => continue,
        };
        if slot.replace(v).is_some() {
            return page(StatusCode::BAD_REQUEST, "saml-bad-request");
        }
    }
    let Some(message) = message else {
        return page(StatusCode::BAD_REQUEST, "saml-bad-request");
    };
    let relay_state = relay_state.unwrap_or_default();
    match st
        .core
        .saml
        .sso(Binding::Post, &message, &relay_state)
        .await
    {
        Ok(req) => see_other(&continue_url(&req.id)),
        Err(e) => refused(&st, &ctx, e),
    }
}

/// A request that gets no assertion: an error page (nothing sent anywhere), or an error
/// status posted back to the service's ACS.
fn refused(st: &AppState, ctx: &Ctx, e: SsoError) -> Response {
    match e {
        SsoError::Page(key) => message_page(
            st,
            &ctx.browser,
            StatusCode::BAD_REQUEST,
            "error-title",
            key,
        ),
        SsoError::Status(p) => post_page(st, ctx, String::new(), p),
    }
}

/// The page that takes a message to a service: a form posted at once by a first-party
/// script, or by the citizen's press of "Continue" without it.
pub(super) fn post_page(st: &AppState, ctx: &Ctx, service: String, p: PostBack) -> Response {
    render(
        StatusCode::OK,
        &PostPage {
            l: Layout::of(st, ctx),
            service,
            url: p.url,
            field: p.field,
            message: p.message,
            relay_state: p.relay_state,
        },
    )
}

/// `GET /login/saml/continue?req=…`: resumes a parked request after a login, step-up or
/// consent.
pub async fn resume(State(st): State<AppState>, ctx: Ctx, raw: RawQuery) -> PageResult {
    let id = query(&raw).get("req").cloned().unwrap_or_default();
    let req = st.core.saml.parked(&id).await.map_err(|e| ctx.fail(e))?;
    step(&st, &ctx, &req, false).await
}

/// What a parked request needs next, as the browser's session allows.
async fn step(st: &AppState, ctx: &Ctx, req: &SamlRequest, consented_now: bool) -> PageResult {
    let mut req = req.clone();
    let req = &mut req;
    let session = ctx.auth.as_ref().map(|a| &a.session);
    let next = st
        .core
        .saml
        .next_step(req, session, consented_now)
        .await
        .map_err(|e| ctx.fail(e))?;
    let service = || async {
        st.core
            .registry
            .eservice(&req.client_id)
            .await
            .map(|e| e.name)
            .map_err(|e| ctx.fail(e))
    };
    Ok(match (next, &ctx.auth) {
        (SamlNext::Login { reauth }, _) => {
            super::login::here(st, ctx, continue_url(&req.id), reauth)
        }
        (SamlNext::Status(top, second), _) => {
            let p = st
                .core
                .saml
                .refuse(req, top, second)
                .await
                .map_err(|e| ctx.fail(e))?;
            post_page(st, ctx, service().await?, p)
        }
        (SamlNext::StepUp { needed, have }, Some(a)) => {
            stepup_page(
                st,
                ctx,
                a,
                service().await?,
                (needed, have),
                &req.id,
                continue_url(&req.id),
                "/login/saml/consent",
            )
            .await?
        }
        (SamlNext::Choose, Some(a)) => {
            let actions = ("/login/saml/context", "/login/saml/consent");
            super::acting::context_page(st, ctx, a, &req.client_id, &req.id, actions).await?
        }
        (SamlNext::Consent, Some(a)) => {
            // A SAML service's consent covers the scopes its registered attributes stand for.
            let e = st
                .core
                .registry
                .eservice(&req.client_id)
                .await
                .map_err(|e| ctx.fail(e))?;
            consent_page(
                st,
                ctx,
                a,
                e.name,
                &e.scopes,
                &req.id,
                "/login/saml/consent",
            )
        }
        (SamlNext::Issue, Some(a)) => {
            let p = st
                .core
                .saml
                .respond(req, &a.session, &ctx.client, consented_now)
                .await
                .map_err(|e| ctx.fail(e))?;
            post_page(st, ctx, service().await?, p)
        }
        (_, None) => super::login::here(st, ctx, continue_url(&req.id), false),
    })
}

/// `POST /login/saml/consent`: the citizen agrees (the response follows) or declines (the
/// service is told `RequestDenied`, or `NoAuthnContext` when it was the step-up page's).
pub async fn consent(
    State(st): State<AppState>,
    ctx: Ctx,
    WebForm(f): WebForm<ConsentForm>,
) -> PageResult {
    if ctx.auth.is_none() {
        return Ok(to_login(&continue_url(&f.req), false));
    }
    let req = st.core.saml.parked(&f.req).await.map_err(|e| ctx.fail(e))?;
    if f.decision != "allow" {
        let service = st
            .core
            .registry
            .eservice(&req.client_id)
            .await
            .map_err(|e| ctx.fail(e))?
            .name;
        // Declining the step-up page: the level asked for cannot be met; declining to share
        // details: the request is denied.
        let below = ctx
            .auth
            .as_ref()
            .is_some_and(|a| a.session.level < req.min_level);
        let (top, second) = if below {
            ("Requester", "NoAuthnContext")
        } else {
            ("Responder", "RequestDenied")
        };
        let p = st
            .core
            .saml
            .refuse(&req, top, second)
            .await
            .map_err(|e| ctx.fail(e))?;
        return Ok(post_page(&st, &ctx, service, p));
    }
    step(&st, &ctx, &req, true).await
}

/// `POST /login/saml/context`: whom the citizen logs in for; then the request goes on.
pub async fn choose(
    State(st): State<AppState>,
    ctx: Ctx,
    WebForm(f): WebForm<super::acting::ContextForm>,
) -> PageResult {
    let Some(a) = &ctx.auth else {
        return Ok(to_login(&continue_url(&f.req), false));
    };
    let mut req = st.core.saml.parked(&f.req).await.map_err(|e| ctx.fail(e))?;
    match st.core.saml.choose(&mut req, &a.session, &f.choice).await {
        Ok(()) => step(&st, &ctx, &req, false).await,
        Err(npass_core::Error::Forbidden("context")) => Ok(super::acting::refused(&st, &ctx)),
        Err(e) => Err(ctx.fail(e)),
    }
}

pub async fn post_js() -> Response {
    super::script(include_str!("../../static/saml-post.js"))
}
