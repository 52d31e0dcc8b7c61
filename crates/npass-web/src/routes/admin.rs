//! The admin JSON API (described by `static/openapi.json`): e-service registry operations for
//! operators and automation, behind a bearer admin credential. Every act is audited.

use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use npass_core::Error;
use npass_core::login::Client;
use npass_core::model::Level;
use npass_core::oidc::flow::NewEService;
use npass_core::relying::EService;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::AppState;
use crate::error::{ApiError, api_json};
use crate::web::Ctx;

const BODY_LIMIT: usize = 64 * 1024;

/// An operator of the admin API: `Authorization: Bearer <token>`, compared by SHA-256 in
/// constant time with the configured digest. Acts are audited as this client.
pub struct Operator(pub Client);

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, ApiError> {
        let denied = || {
            ApiError::problem(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "an admin bearer token is required",
            )
        };
        let expected = st.cfg.admin_token_sha256.as_ref().ok_or_else(denied)?;
        let given = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(denied)?;
        let digest = data_encoding::HEXLOWER.encode(&Sha256::digest(given.trim().as_bytes()));
        if !bool::from(digest.as_bytes().ct_eq(expected.as_bytes())) {
            return Err(denied());
        }
        let ctx = Ctx::from_request_parts(parts, st)
            .await
            .map_err(|_| ApiError::from(Error::Internal("request context".into())))?;
        Ok(Operator(Client {
            ip: ctx.client.ip,
            user_agent: "admin-api".into(),
        }))
    }
}

pub fn eservice_json(e: &EService, secret: Option<&str>) -> Value {
    let mut v = json!({
        "client_id": e.client_id,
        "name": e.name,
        "min_level": e.min_level.as_str(),
        "scopes": e.scopes,
        "pairwise_sector": e.pairwise_sector,
        "national_id_claim": e.national_id_claim,
        "picture_claim": e.picture_claim,
        "disabled": e.disabled,
        "created_at": e.created_at,
        "contexts": e.contexts,
    });
    if let (Some(o), Some(m)) = (e.oidc(), v.as_object_mut()) {
        m.insert("redirect_uris".into(), json!(o.redirect_uris));
        m.insert(
            "post_logout_redirect_uris".into(),
            json!(o.post_logout_redirect_uris),
        );
        m.insert(
            "backchannel_logout_uri".into(),
            json!(o.backchannel_logout_uri),
        );
        m.insert("auth".into(), json!(o.auth.as_str()));
        m.insert("require_par".into(), json!(o.require_par));
        m.insert("id_token_alg".into(), json!(o.id_token_alg.as_str()));
        m.insert("jwks_uri".into(), json!(o.jwks_uri));
    }
    if let (Some(sp), Some(m)) = (e.saml(), v.as_object_mut()) {
        m.insert("protocol".into(), json!("saml"));
        m.insert("entity_id".into(), json!(sp.entity_id));
        m.insert("acs_urls".into(), json!(sp.acs_urls));
        m.insert("slo_url".into(), json!(sp.slo_url));
        m.insert(
            "slo_binding".into(),
            json!(if sp.slo_redirect { "redirect" } else { "post" }),
        );
        m.insert("attributes".into(), json!(sp.attributes));
        m.insert("sign_assertions".into(), json!(sp.sign_assertions));
        m.insert("encrypt_assertions".into(), json!(sp.encrypt_assertions));
        if sp.encrypt_assertions {
            m.insert(
                "encryption".into(),
                json!(if sp.encryption_cbc {
                    "aes256-cbc"
                } else {
                    "aes256-gcm"
                }),
            );
        }
        m.insert("signature_alg".into(), json!(sp.alg.as_str()));
        m.insert("certificates".into(), json!(sp.certificates.len()));
    } else if let Some(m) = v.as_object_mut() {
        m.insert("protocol".into(), json!("oidc"));
    }
    if let (Some(s), Some(m)) = (secret, v.as_object_mut()) {
        m.insert("client_secret".into(), json!(s));
    }
    v
}

pub async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("../../static/openapi.json"),
    )
        .into_response()
}

pub async fn list(State(st): State<AppState>, _: Operator) -> Result<Response, ApiError> {
    let es = st.core.registry.eservices().await?;
    let all: Vec<Value> = es.iter().map(|e| eservice_json(e, None)).collect();
    Ok(api_json(StatusCode::OK, json!(all)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewEServiceBody {
    pub name: String,
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    #[serde(default)]
    pub backchannel_logout_uri: String,
    #[serde(default)]
    pub min_level: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub auth: String,
    #[serde(default)]
    pub pairwise_sector: String,
    #[serde(default)]
    pub national_id_claim: bool,
    #[serde(default)]
    pub picture_claim: bool,
    #[serde(default)]
    pub require_par: bool,
    #[serde(default)]
    pub jwks: Option<Value>,
    #[serde(default)]
    pub id_token_alg: Option<String>,
    #[serde(default)]
    pub jwks_uri: String,
    /// What it takes of logins for others (absent: none).
    #[serde(default)]
    pub contexts: Option<ContextsBody>,
}

/// A JSON body of at most `BODY_LIMIT` bytes.
async fn json_body<T: serde::de::DeserializeOwned>(req: Request) -> Result<T, ApiError> {
    let Ok(bytes) = axum::body::to_bytes(req.into_body(), BODY_LIMIT).await else {
        return Err(ApiError::problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "the body is too large",
        ));
    };
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::problem(StatusCode::BAD_REQUEST, "invalid_json", e.to_string()))
}

/// An optional `min_level`: low, substantial or high.
fn min_level(text: Option<&str>) -> Result<Option<Level>, ApiError> {
    match text.map(Level::parse) {
        None => Ok(None),
        Some(Some(l)) => Ok(Some(l)),
        Some(None) => Err(ApiError::problem(
            StatusCode::BAD_REQUEST,
            "invalid",
            "min_level: low, substantial or high",
        )),
    }
}

pub async fn create(
    State(st): State<AppState>,
    Operator(op): Operator,
    req: Request,
) -> Result<Response, ApiError> {
    let body: NewEServiceBody = json_body(req).await?;
    let min_level = min_level(body.min_level.as_deref())?;
    let n = NewEService {
        name: body.name,
        redirect_uris: body.redirect_uris,
        post_logout_redirect_uris: body.post_logout_redirect_uris,
        backchannel_logout_uri: body.backchannel_logout_uri,
        min_level,
        scopes: body.scopes,
        auth_method: body.auth,
        national_id_claim: body.national_id_claim,
        picture_claim: body.picture_claim,
        pairwise_sector: body.pairwise_sector,
        require_par: body.require_par,
        jwks: body.jwks,
        id_token_alg: body.id_token_alg,
        jwks_uri: body.jwks_uri,
        contexts: contexts(body.contexts)?,
    };
    let (e, secret) = st.core.registry.add_eservice(n, &op).await?;
    Ok(api_json(
        StatusCode::CREATED,
        eservice_json(&e, secret.as_deref()),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSamlServiceBody {
    pub name: String,
    /// The service provider's metadata (XML text).
    #[serde(default)]
    pub metadata: Option<String>,
    #[serde(default)]
    pub entity_id: String,
    #[serde(default)]
    pub acs_urls: Vec<String>,
    #[serde(default)]
    pub slo_url: String,
    /// `post` (the default) or `redirect`: the binding `slo_url` takes.
    #[serde(default)]
    pub slo_binding: Option<String>,
    /// Its signing certificates, PEM.
    #[serde(default)]
    pub certificates: Vec<String>,
    #[serde(default)]
    pub encryption_certificate: Option<String>,
    #[serde(default)]
    pub sign_assertions: bool,
    #[serde(default)]
    pub encrypt_assertions: bool,
    #[serde(default)]
    pub signature_alg: Option<String>,
    #[serde(default)]
    pub attributes: Vec<String>,
    #[serde(default)]
    pub min_level: Option<String>,
    #[serde(default)]
    pub national_id_claim: bool,
    #[serde(default)]
    pub pairwise_sector: String,
    /// What it takes of logins for others (absent: none).
    #[serde(default)]
    pub contexts: Option<ContextsBody>,
}

/// `POST /admin/api/eservices/saml`: registers a SAML service provider.
pub async fn create_saml(
    State(st): State<AppState>,
    Operator(op): Operator,
    req: Request,
) -> Result<Response, ApiError> {
    let b: NewSamlServiceBody = json_body(req).await?;
    let min_level = min_level(b.min_level.as_deref())?;
    let slo_redirect = match b.slo_binding.as_deref() {
        None | Some("post") => false,
        Some("redirect") => true,
        Some(_) => {
            return Err(ApiError::from(npass_core::Error::invalid(
                "slo_binding",
                "saml-binding",
            )));
        }
    };
    let n = npass_core::saml::register::NewSamlService {
        name: b.name,
        metadata: b.metadata,
        entity_id: b.entity_id,
        acs_urls: b.acs_urls,
        slo_url: b.slo_url,
        slo_redirect,
        certificates: b.certificates.into_iter().map(String::into_bytes).collect(),
        encryption_certificate: b.encryption_certificate.map(String::into_bytes),
        sign_assertions: b.sign_assertions,
        encrypt_assertions: b.encrypt_assertions,
        alg: b.signature_alg,
        attributes: b.attributes,
        min_level,
        national_id_claim: b.national_id_claim,
        pairwise_sector: b.pairwise_sector,
        contexts: contexts(b.contexts)?,
    };
    let e = st.core.registry.add_saml_service(n, &op).await?;
    Ok(api_json(StatusCode::CREATED, eservice_json(&e, None)))
}

pub async fn show(
    State(st): State<AppState>,
    _: Operator,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let e = st.core.registry.eservice(&id).await?;
    Ok(api_json(StatusCode::OK, eservice_json(&e, None)))
}

pub async fn act(
    State(st): State<AppState>,
    Operator(op): Operator,
    Path((id, action)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let v = match action.as_str() {
        "disable" => st
            .core
            .registry
            .set_eservice_disabled(&id, true, &op)
            .await
            .map(|e| eservice_json(&e, None)),
        "enable" => st
            .core
            .registry
            .set_eservice_disabled(&id, false, &op)
            .await
            .map(|e| eservice_json(&e, None)),
        "rotate-secret" => st
            .core
            .registry
            .rotate_eservice_secret(&id, &op)
            .await
            .map(|(e, s)| eservice_json(&e, Some(&s))),
        _ => {
            return Err(ApiError::problem(
                StatusCode::NOT_FOUND,
                "not_found",
                "unknown action",
            ));
        }
    }?;
    Ok(api_json(StatusCode::OK, v))
}

/// What an e-service's roles look like to the operator: declared roles, administrators and
/// standing grants, citizens by national identifier.
async fn roles_json(st: &AppState, id: &str) -> Result<Value, Error> {
    st.core.registry.eservice(id).await?;
    let roles = &st.core.roles;
    let admins: Vec<String> = roles
        .admins_named(id)
        .await?
        .into_iter()
        .map(|a| a.national_id.value)
        .collect();
    let grants: Vec<Value> = roles
        .grants_named(id)
        .await?
        .into_iter()
        .map(|n| {
            json!({
                "national_id": n.holder.national_id.value,
                "role": n.grant.role,
                "until": n.grant.expires_at,
                "granted_by": n.granted_by,
                "granted_at": n.grant.created_at,
            })
        })
        .collect();
    Ok(json!({
        "client_id": id,
        "roles": roles.declared(id).await?,
        "admins": admins,
        "grants": grants,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolesBody {
    #[serde(default)]
    pub declare: Vec<String>,
    #[serde(default)]
    pub admins: Vec<String>,
    /// Citizens (national identifiers) who no longer administer it.
    #[serde(default)]
    pub remove_admins: Vec<String>,
    /// Declared roles to retire: whoever holds one loses it at once.
    #[serde(default)]
    pub retire: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleGrantBody {
    pub national_id: String,
    pub role: String,
    /// Milliseconds since 1970-01-01 UTC when it ends (none: until withdrawn).
    #[serde(default)]
    pub until: Option<i64>,
}

/// What an e-service accepts of logins for others; a field left out keeps its value.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ContextsBody {
    #[serde(default)]
    pub organizations: Option<bool>,
    #[serde(default)]
    pub mandates: Option<bool>,
    /// `none`, `organization` or `mandator`.
    #[serde(default)]
    pub require: Option<String>,
}

/// A registration's `contexts` (absent: none taken).
fn contexts(b: Option<ContextsBody>) -> Result<npass_core::acting::ContextPolicy, Error> {
    let b = b.unwrap_or_default();
    npass_core::acting::ContextPolicy::new(
        b.organizations.unwrap_or(false),
        b.mandates.unwrap_or(false),
        b.require.as_deref().unwrap_or("none"),
    )
}

/// `POST /admin/api/eservices/{client_id}/contexts`: whether it takes logins for an
/// organisation or a mandator, and whether it requires one.
pub async fn set_contexts(
    State(st): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, ApiError> {
    let b: ContextsBody = json_body(req).await?;
    let change = (b.organizations, b.mandates, b.require.as_deref());
    let e = st
        .core
        .registry
        .set_eservice_contexts(&id, change, &op)
        .await?;
    Ok(api_json(StatusCode::OK, eservice_json(&e, None)))
}

/// `GET /admin/api/eservices/{client_id}/roles`.
pub async fn roles(
    State(st): State<AppState>,
    _: Operator,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(api_json(StatusCode::OK, roles_json(&st, &id).await?))
}

/// `POST /admin/api/eservices/{client_id}/roles`: declares and retires roles, names
/// administrators and ends administrations.
pub async fn set_roles(
    State(st): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, ApiError> {
    let b: RolesBody = json_body(req).await?;
    if !b.declare.is_empty() {
        st.core.roles.declare(&id, &b.declare, &op).await?;
    }
    for national_id in &b.admins {
        st.core
            .roles
            .add_admin_by_operator(&id, national_id, &op)
            .await?;
    }
    for national_id in &b.remove_admins {
        st.core
            .roles
            .remove_admin_by_operator(&id, national_id, &op)
            .await?;
    }
    if !b.retire.is_empty() {
        st.core.roles.retire(&id, &b.retire, &op).await?;
    }
    Ok(api_json(StatusCode::OK, roles_json(&st, &id).await?))
}

/// `POST /admin/api/eservices/{client_id}/roles/grants`: the operator grants a role.
pub async fn grant_role(
    State(st): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, ApiError> {
    let b: RoleGrantBody = json_body(req).await?;
    st.core
        .roles
        .grant_by_operator(&id, &b.national_id, &b.role, b.until, &op)
        .await?;
    Ok(api_json(StatusCode::CREATED, roles_json(&st, &id).await?))
}

/// `POST /admin/api/eservices/{client_id}/roles/withdraw`: the operator withdraws a role.
pub async fn withdraw_role(
    State(st): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, ApiError> {
    let b: RoleGrantBody = json_body(req).await?;
    st.core
        .roles
        .withdraw_by_operator(&id, &b.national_id, &b.role, &op)
        .await?;
    Ok(api_json(StatusCode::OK, roles_json(&st, &id).await?))
}

/// An organisation as the operator sees it: its register entry and standing members.
async fn org_json(st: &AppState, idno: &str) -> Result<Value, Error> {
    let org = st.core.orgs.find(idno).await?;
    let mut members = Vec::new();
    for (m, a) in st.core.orgs.members_named(idno).await? {
        members.push(json!({
            "national_id": a.national_id.value,
            "kind": m.kind.as_str(),
            "roles": m.roles,
            "until": m.expires_at,
        }));
    }
    Ok(json!({
        "id": org.id,
        "idno": org.number,
        "name": org.name,
        "source": org.source,
        "members": members,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrgBody {
    pub idno: String,
    pub name: String,
    #[serde(default)]
    pub admins: Vec<String>,
}

/// `POST /admin/api/organizations`: adds (or renames) an organisation, naming administrators.
pub async fn create_org(
    State(st): State<AppState>,
    Operator(op): Operator,
    req: Request,
) -> Result<Response, ApiError> {
    let b: NewOrgBody = json_body(req).await?;
    st.core.orgs.register(&b.idno, &b.name, &op).await?;
    for national_id in &b.admins {
        st.core
            .orgs
            .add_admin_by_operator(&b.idno, national_id, &op)
            .await?;
    }
    Ok(api_json(StatusCode::OK, org_json(&st, &b.idno).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberBody {
    pub national_id: String,
}

/// `POST /admin/api/organizations/{idno}/remove`: ends a citizen's administration or
/// representation of the organisation.
pub async fn remove_org_member(
    State(st): State<AppState>,
    Operator(op): Operator,
    Path(idno): Path<String>,
    req: Request,
) -> Result<Response, ApiError> {
    let b: MemberBody = json_body(req).await?;
    st.core
        .orgs
        .remove_by_operator(&idno, &b.national_id, &op)
        .await?;
    Ok(api_json(StatusCode::OK, org_json(&st, &idno).await?))
}

/// `GET /admin/api/citizens/{national_id}/mandates`: the mandates a citizen holds
/// (`acts_for`) and has given (`acting_for_them`), each with the other citizen.
pub async fn citizen_mandates(
    State(st): State<AppState>,
    _: Operator,
    Path(national_id): Path<String>,
) -> Result<Response, ApiError> {
    let (holds, given) = st.core.mandates.of_citizen(&national_id).await?;
    let v = mandates_json(&national_id, holds, given, |ms| json!(ms));
    Ok(api_json(StatusCode::OK, v))
}

/// A citizen's mandates as the operator reads them (the admin API, the CLI): those they hold
/// (`acts_for`) and have given (`acting_for_them`), each naming the other citizen; `until`
/// writes the end (milliseconds for the API, readable UTC for the CLI).
pub fn mandates_json(
    national_id: &str,
    holds: Vec<npass_core::mandates::NamedMandate>,
    given: Vec<npass_core::mandates::NamedMandate>,
    until: impl Fn(i64) -> Value,
) -> Value {
    let list = |v: Vec<npass_core::mandates::NamedMandate>| -> Vec<Value> {
        v.into_iter()
            .map(|n| {
                json!({"id": n.mandate.id, "national_id": n.other.national_id.value,
                       "state": n.mandate.state.as_str(), "services": n.mandate.services,
                       "until": until(n.mandate.expires_at)})
            })
            .collect()
    };
    json!({"national_id": national_id, "acts_for": list(holds), "acting_for_them": list(given)})
}

/// `POST /admin/api/mandates/{id}/end`: the operator ends a mandate.
pub async fn end_mandate(
    State(st): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    st.core.mandates.end_by_operator(&id, &op).await?;
    Ok(api_json(StatusCode::OK, json!({"ended": id})))
}

/// `GET /admin/api/organizations/{idno}`.
pub async fn show_org(
    State(st): State<AppState>,
    _: Operator,
    Path(idno): Path<String>,
) -> Result<Response, ApiError> {
    Ok(api_json(StatusCode::OK, org_json(&st, &idno).await?))
}

/// `POST /admin/api/organizations/import`: the national register's CSV (`text/csv`), whole
/// or not at all.
pub async fn import_orgs(
    State(st): State<AppState>,
    Operator(op): Operator,
    req: Request,
) -> Result<Response, ApiError> {
    let bytes = axum::body::to_bytes(req.into_body(), IMPORT_LIMIT)
        .await
        .map_err(|_| ApiError::from(Error::invalid("csv", "org-csv-file")))?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ApiError::from(Error::invalid("csv", "org-csv-file")))?;
    let n = st.core.orgs.import(text, &op).await?;
    Ok(api_json(StatusCode::OK, json!({ "imported": n })))
}

/// The largest register export accepted in one request (a country's register is imported in
/// parts).
const IMPORT_LIMIT: usize = 8 * 1024 * 1024;
