//! The SAML 2.0 identity provider (design note 0016): MPass's contract (docs/integration-saml.md)
//! over the same sessions, levels, registry, consent and release rules as OpenID Connect.
//! `sso` reads, verifies and parks an AuthnRequest; `next_step` says what the browser's session
//! still needs; `respond` writes the signed Response and records what it released.

pub mod binding;
pub mod dsig;
pub mod enc;
pub mod logout;
pub mod register;
pub mod xml;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::json;

use self::binding::{BindingError, RedirectQuery};
use self::dsig::{DsigError, XmlSignatures};
use self::xml::{El, NS_ASSERTION, NS_PROTOCOL, esc};
use crate::acting::{Acting, Context, Pending};
use crate::audit;
use crate::error::{Error, Result};
use crate::ids::{AccountId, ClientId};
use crate::keys::SigningKeys;
use crate::login::Client;
use crate::model::{Account, AccountStatus, Assurance, Level, Organization, Session};
use crate::national_id::Scheme;
use crate::registry::Registry;
use crate::relying::{self, Attribute, EService, Released, SamlSp};
use crate::rng;
use crate::service::Env;
use crate::store::{AccountStore, ConsentStore, SamlStore};

/// How far a message's `IssueInstant` may be from npass's clock, either way.
pub const SKEW_MS: i64 = 3 * 60 * 1000;
/// The longest RelayState npass carries (SAML Bindings §3.4.3, §3.5.3).
pub const MAX_RELAY_STATE: usize = 80;
const REQUEST_TTL_MS: i64 = 10 * 60 * 1000;
/// How long an assertion may be presented to the service.
const ASSERTION_TTL_MS: i64 = 5 * 60 * 1000;
/// Participants are kept as long as any session can live.
pub const PARTICIPANT_TTL_MS: i64 = 31 * 24 * 60 * 60 * 1000;

pub const BINDING_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
pub const BINDING_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
pub const NAMEID_PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
pub const NAMEID_UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
const NAMEID_UNSPECIFIED_2: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:unspecified";
const STATUS: &str = "urn:oasis:names:tc:SAML:2.0:status:";
const CLASSES: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:";

/// The SAML identity provider's use-cases over the ports they use.
pub struct Saml {
    pub(crate) registry: Registry,
    pub(crate) keys: SigningKeys,
    pub(crate) store: Arc<dyn SamlStore>,
    pub(crate) consents: Arc<dyn ConsentStore>,
    pub(crate) accounts: Arc<dyn AccountStore>,
    pub(crate) env: Env,
    pub(crate) pairwise_key: zeroize::Zeroizing<[u8; 32]>,
    pub(crate) signatures: Arc<dyn XmlSignatures>,
    /// Citizens' roles at e-services (the `Role` attribute).
    pub(crate) roles: Arc<dyn crate::store::RoleStore>,
    /// The organisations citizens administer (`AdministeredLegalEntity`).
    pub(crate) orgs: Arc<dyn crate::store::OrgStore>,
    /// Whom a login is for (design note 0019).
    pub(crate) contexts: crate::acting::Contexts,
}

/// An AuthnRequest, verified and parked while the citizen logs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamlRequest {
    pub id: String,
    pub client_id: ClientId,
    /// The request's `ID`: the response's `InResponseTo`.
    pub request_id: String,
    /// Where the response goes: a registered ACS URL.
    pub acs_url: String,
    pub relay_state: String,
    /// The levels the assertion may state (from the service's minimum and the requested
    /// context).
    pub min_level: Level,
    pub max_level: Level,
    pub force_authn: bool,
    pub is_passive: bool,
    pub created_at: i64,
    pub expires_at: i64,
    /// Whom the citizen chose to log in for (design note 0019); `None`: not chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acting: Option<crate::acting::Acting>,
    /// Who made that choice: another citizen logging in on the same browser chooses anew.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chosen_by: Option<AccountId>,
}

/// A SAML service a session chain answered: whom single logout must reach, and how the
/// service knows the citizen (its NameID and the SessionIndex it was given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    pub chain: String,
    pub client_id: ClientId,
    pub name_id: String,
    pub session_index: String,
    pub created_at: i64,
}

/// How a message reached npass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    Post,
    Redirect,
}

/// A message to post to a service through the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostBack {
    pub url: String,
    /// `SAMLResponse` or `SAMLRequest`.
    pub field: &'static str,
    /// The signed message, base64.
    pub message: String,
    pub relay_state: String,
}

/// A message from a service, read and verified (`Saml::inbound`).
struct Inbound {
    /// The message as signed.
    root: El,
    /// The service that sent it.
    e: EService,
    relay_state: String,
    issued: i64,
    id: String,
}

/// Why an AuthnRequest gets no assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SsoError {
    /// Shown as a page (the key of its localised message); nothing is sent to any service:
    /// the request could not be trusted, or its ACS or RelayState were not acceptable.
    Page(&'static str),
    /// A trusted request that cannot be satisfied: an error status goes back to its ACS.
    Status(PostBack),
}

/// What a parked request needs next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SamlNext {
    /// Log in; `reauth` when there is a session but it does not do.
    Login {
        reauth: bool,
    },
    /// The session is below the level the request needs: the ways to reach it.
    StepUp {
        needed: Level,
        have: Level,
    },
    /// Whom the login is for: the citizen chooses (design note 0019).
    Choose,
    Consent,
    Issue,
    /// An error status to the service (`IsPassive` with nothing to answer silently, a level
    /// the request does not accept).
    Status(&'static str, &'static str),
}

/// The levels an `AuthnContextClassRef` stands for: npass's own (eIDAS LoA URIs or level
/// names) and SAML's standard classes by what reaches them in npass.
pub fn level_of_class(class: &str) -> Option<Level> {
    if let Some(l) = [Level::Low, Level::Substantial, Level::High]
        .into_iter()
        .find(|l| l.acr() == class || l.as_str() == class)
    {
        return Some(l);
    }
    match class.strip_prefix(CLASSES)? {
        "unspecified" | "Password" | "PasswordProtectedTransport" => Some(Level::Low),
        "TimeSyncToken" | "MobileTwoFactorContract" | "MobileTwoFactorUnregistered" => {
            Some(Level::Substantial)
        }
        "X509" | "XMLDSig" | "Smartcard" | "SmartcardPKI" | "SoftwarePKI" | "TLSClient" => {
            Some(Level::High)
        }
        _ => None,
    }
}

fn level_up(l: Level) -> Option<Level> {
    match l {
        Level::Low => Some(Level::Substantial),
        Level::Substantial => Some(Level::High),
        Level::High => None,
    }
}

/// The range of levels a `RequestedAuthnContext` accepts (SAML Core §3.3.2.2.1); `None` when
/// no level npass knows can satisfy it.
pub fn requested_levels(ctx: Option<&El>) -> Option<(Level, Level)> {
    let Some(ctx) = ctx else {
        return Some((Level::Low, Level::High));
    };
    let mut asked = Vec::new();
    for c in ctx.all(NS_ASSERTION, "AuthnContextClassRef") {
        asked.push(level_of_class(c.text.trim())?);
    }
    let (lo, hi) = (*asked.iter().min()?, *asked.iter().max()?);
    match ctx.attr("Comparison").unwrap_or("exact") {
        "exact" => Some((lo, hi)),
        "minimum" => Some((lo, Level::High)),
        "better" => Some((level_up(lo)?, Level::High)),
        "maximum" => Some((Level::Low, hi)),
        _ => None,
    }
}

/// Milliseconds since 1970 as an xs:dateTime in UTC, to the second.
pub fn xs_datetime(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (y, m, d) = crate::clock::civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60
    )
}

/// An xs:dateTime in UTC (`Z`, optional fraction) as milliseconds since 1970.
pub fn parse_xs_datetime(s: &str) -> Option<i64> {
    let s = s.strip_suffix('Z')?;
    let (date, time) = s.split_once('T')?;
    let mut d = date.splitn(3, '-');
    let (y, mo, da): (i64, u32, u32) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let mut t = hms.splitn(3, ':');
    let (h, mi, se): (i64, i64, i64) = (
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
    );
    if !(1..=12).contains(&mo)
        || da == 0
        || da > crate::clock::days_in_month(y, mo)
        || h > 23
        || mi > 59
        || se > 60
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let ms: i64 = format!("{frac:0<3}").get(..3)?.parse().ok()?;
    // Days from civil (the inverse of `clock::civil_from_days`).
    let (yy, mm) = if mo <= 2 {
        (y - 1, i64::from(mo) + 9)
    } else {
        (y, i64::from(mo) - 3)
    };
    let era = yy.div_euclid(400);
    let yoe = yy.rem_euclid(400);
    let doy = (153 * mm + 2) / 5 + i64::from(da) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + h * 3600 + mi * 60 + se) * 1000) + ms)
}

/// A message id: `_` and 32 hex digits of randomness (an NCName, as SAML's ID type needs).
fn message_id(env: &Env) -> String {
    let mut b = [0u8; 16];
    env.rng.fill(&mut b);
    format!("_{}", data_encoding::HEXLOWER.encode(&b))
}

/// The MPass attribute each of npass's released attributes is known by.
fn mpass_name(a: Attribute) -> Option<&'static str> {
    Some(match a {
        Attribute::GivenName => "FirstName",
        Attribute::FamilyName => "LastName",
        Attribute::BirthDate => "BirthDate",
        Attribute::Language => "Language",
        Attribute::Email => "EmailAddress",
        Attribute::Phone => "MobilePhone",
        Attribute::NationalId => "NameIdentifier",
        Attribute::Roles => "Role",
        _ => return None,
    })
}

impl Saml {
    /// The IdP's entity id: its metadata's address.
    pub fn entity_id(&self) -> String {
        format!("{}/meta/saml", self.base())
    }

    fn base(&self) -> String {
        self.env.policy.public_url.trim_end_matches('/').to_owned()
    }

    pub fn sso_url(&self) -> String {
        format!("{}/login/saml", self.base())
    }

    pub fn slo_url(&self) -> String {
        format!("{}/logout/saml", self.base())
    }

    /// The IdP's metadata (SAML Metadata 2.0): every published signing key's certificate, so a
    /// rotation's new key is there before it signs.
    pub async fn metadata(&self) -> Result<String> {
        let mut keys = String::new();
        for (_, _, der) in self.keys.certificates().await? {
            keys.push_str(&format!(
                concat!(
                    r#"<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">"#,
                    r#"<ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"#
                ),
                data_encoding::BASE64.encode(&der)
            ));
        }
        let (sso, slo) = (
            esc(&self.sso_url()).into_owned(),
            esc(&self.slo_url()).into_owned(),
        );
        Ok(format!(
            concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?>"#,
                r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{entity}">"#,
                r#"<md:IDPSSODescriptor WantAuthnRequestsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">"#,
                "{keys}",
                r#"<md:SingleLogoutService Binding="{post}" Location="{slo}"/>"#,
                r#"<md:SingleLogoutService Binding="{redirect}" Location="{slo}"/>"#,
                r#"<md:NameIDFormat>{persistent}</md:NameIDFormat>"#,
                r#"<md:NameIDFormat>{unspecified}</md:NameIDFormat>"#,
                r#"<md:SingleSignOnService Binding="{post}" Location="{sso}"/>"#,
                r#"<md:SingleSignOnService Binding="{redirect}" Location="{sso}"/>"#,
                r#"</md:IDPSSODescriptor></md:EntityDescriptor>"#
            ),
            entity = esc(&self.entity_id()),
            keys = keys,
            post = BINDING_POST,
            redirect = BINDING_REDIRECT,
            persistent = NAMEID_PERSISTENT,
            unspecified = NAMEID_UNSPECIFIED,
            sso = sso,
            slo = slo,
        ))
    }

    /// Reads, verifies and parks an AuthnRequest. `message` is the POST form's `SAMLRequest`
    /// (with `relay_state`), or for the Redirect binding the raw query string.
    pub async fn sso(
        &self,
        binding: Binding,
        message: &str,
        relay_state: &str,
    ) -> std::result::Result<SamlRequest, SsoError> {
        let page = SsoError::Page;
        let Inbound {
            root: req,
            e,
            relay_state,
            issued,
            id: request_id,
        } = self
            .inbound(
                binding,
                message,
                relay_state,
                "AuthnRequest",
                &self.sso_url(),
            )
            .await
            .map_err(page)?;
        let request_id = request_id.as_str();
        let sp = e.saml().ok_or(page("saml-unknown-service"))?;
        let now = self.env.now();
        let acs_url = self.acs(&req, sp)?;
        if relay_state.len() > MAX_RELAY_STATE {
            return Err(page("saml-relay-state"));
        }
        self.first_time(&sp.entity_id, request_id, issued)
            .await
            .map_err(page)?;
        // From here on the request is trusted and its ACS known: what cannot be satisfied is
        // answered there with a status.
        let (service, acs, rs) = (&e, acs_url.as_str(), relay_state.as_str());
        let status = |top: &'static str, second: &'static str| async move {
            match self
                .status_response(service, acs, request_id, rs, top, second)
                .await
            {
                Ok(p) => SsoError::Status(p),
                Err(_) => page("error-unavailable"),
            }
        };
        if req
            .attr("ProtocolBinding")
            .is_some_and(|b| b != BINDING_POST)
        {
            return Err(status("Requester", "UnsupportedBinding").await);
        }
        if let Some(policy) = req.child(NS_PROTOCOL, "NameIDPolicy") {
            let ok = match policy.attr("Format") {
                None => true,
                Some(f) => {
                    f == NAMEID_UNSPECIFIED
                        || f == NAMEID_UNSPECIFIED_2
                        || (f == NAMEID_PERSISTENT && !e.national_id_claim)
                }
            };
            if !ok {
                return Err(status("Requester", "InvalidNameIDPolicy").await);
            }
        }
        let Some((lo, hi)) = requested_levels(req.child(NS_PROTOCOL, "RequestedAuthnContext"))
        else {
            return Err(status("Requester", "NoAuthnContext").await);
        };
        let min_level = lo.max(e.min_level);
        if min_level > hi {
            return Err(status("Requester", "NoAuthnContext").await);
        }
        let flag = |n: &str| matches!(req.attr(n), Some("true" | "1"));
        let parked = SamlRequest {
            id: rng::ordered_token(self.env.rng.as_ref(), now),
            client_id: e.client_id.clone(),
            request_id: request_id.to_owned(),
            acs_url,
            relay_state,
            min_level,
            max_level: hi,
            force_authn: flag("ForceAuthn"),
            is_passive: flag("IsPassive"),
            created_at: now,
            expires_at: now + REQUEST_TTL_MS,
            acting: None,
            chosen_by: None,
        };
        self.store
            .saml_request_put(&parked)
            .await
            .map_err(|_| page("error-unavailable"))?;
        Ok(parked)
    }

    /// Reads a message from a service as any binding brings it, and checks what every
    /// message must pass: the reader's limits, a registered and enabled issuer, its signature
    /// by that service's certificates (never `KeyInfo`), the signed element the message itself
    /// (`kind`, with the issuer inside), version 2.0, `Destination` (when given) npass's
    /// `destination`, `IssueInstant` within the skew, and an `ID`. `Err` is the page's key.
    async fn inbound(
        &self,
        binding: Binding,
        message: &str,
        relay_state: &str,
        kind: &str,
        destination: &str,
    ) -> std::result::Result<Inbound, &'static str> {
        let (xml, query, relay_state) = match binding {
            Binding::Post => (
                binding::decode_post(message).map_err(|e| binding_key(&e))?,
                None,
                relay_state.to_owned(),
            ),
            Binding::Redirect => {
                let q = RedirectQuery::parse(message).map_err(|e| binding_key(&e))?;
                let xml = binding::decode_redirect(&q.message.1).map_err(|e| binding_key(&e))?;
                let rs = q
                    .relay_state
                    .as_ref()
                    .map(|r| r.1.clone())
                    .unwrap_or_default();
                (xml, Some(q), rs)
            }
        };
        let outer = xml::parse(&xml).map_err(|e| match e {
            xml::XmlError::TooLarge => "saml-too-large",
            _ => "saml-bad-request",
        })?;
        if !outer.is(NS_PROTOCOL, kind) {
            return Err("saml-bad-request");
        }
        if let Some(q) = &query {
            // The query names the message it carries: a response is not a request.
            let field = if kind.ends_with("Response") {
                "SAMLResponse"
            } else {
                "SAMLRequest"
            };
            if q.kind != field {
                return Err("saml-bad-request");
            }
        }
        let issuer = outer.child_text(NS_ASSERTION, "Issuer").unwrap_or("");
        let e = self.service(issuer).await.map_err(|e| match e {
            SsoError::Page(k) => k,
            SsoError::Status(_) => "saml-unknown-service",
        })?;
        let sp = e.saml().ok_or("saml-unknown-service")?;
        let root = self.verified(&xml, &outer, query.as_ref(), sp)?;
        // The signed message names the issuer whose certificate verified it.
        if root.child_text(NS_ASSERTION, "Issuer") != Some(issuer) {
            return Err("saml-bad-signature");
        }
        if root.attr("Version") != Some("2.0") {
            return Err("saml-bad-request");
        }
        if root.attr("Destination").is_some_and(|d| d != destination) {
            return Err("saml-bad-destination");
        }
        let issued = root
            .attr("IssueInstant")
            .and_then(parse_xs_datetime)
            .ok_or("saml-bad-request")?;
        if (self.env.now() - issued).abs() > SKEW_MS {
            return Err("saml-stale-request");
        }
        let id = root.attr("ID").unwrap_or("").to_owned();
        if id.is_empty() || id.len() > 256 {
            return Err("saml-bad-request");
        }
        Ok(Inbound {
            root,
            e,
            relay_state,
            issued,
            id,
        })
    }

    /// Records a message's `ID` as seen for as long as its time window is open: a second
    /// arrival, on any node, is a replay.
    async fn first_time(
        &self,
        issuer: &str,
        id: &str,
        issued: i64,
    ) -> std::result::Result<(), &'static str> {
        let fresh = self
            .store
            .saml_seen_once(issuer, id, issued + 2 * SKEW_MS, self.env.now())
            .await
            .map_err(|_| "error-unavailable")?;
        if fresh { Ok(()) } else { Err("saml-replay") }
    }

    /// The registered, enabled SAML service whose entity id is `issuer`.
    async fn service(&self, issuer: &str) -> std::result::Result<EService, SsoError> {
        if issuer.is_empty() {
            return Err(SsoError::Page("saml-unknown-service"));
        }
        match self.registry.store.eservice_by_entity(issuer).await {
            Ok(Some(e)) if !e.disabled && e.saml().is_some() => Ok(e),
            Ok(_) => Err(SsoError::Page("saml-unknown-service")),
            Err(_) => Err(SsoError::Page("error-unavailable")),
        }
    }

    /// The message as signed by the service: for HTTP-POST the one element its XML signature
    /// covers, which must be the message itself (anything else is signature wrapping); for
    /// HTTP-Redirect the whole message, once the query's signature is good.
    fn verified(
        &self,
        xml: &str,
        outer: &El,
        query: Option<&RedirectQuery>,
        sp: &SamlSp,
    ) -> std::result::Result<El, &'static str> {
        let bad = "saml-bad-signature";
        if let Some(q) = query {
            q.verify(&sp.certificates).map_err(|_| bad)?;
            return Ok(outer.clone());
        }
        let signed = self
            .signatures
            .verified(xml, &sp.certificates)
            .map_err(|e| match e {
                DsigError::Algorithm => "saml-weak-signature",
                _ => bad,
            })?;
        let inner = xml::parse(&signed).map_err(|_| bad)?;
        if inner.ns != outer.ns || inner.name != outer.name || inner.attr("ID") != outer.attr("ID")
        {
            return Err(bad);
        }
        Ok(inner)
    }

    /// The ACS a request's response goes to: the one it names (URL or index) when registered,
    /// else the first registered. A URL npass does not know is never answered.
    fn acs(&self, req: &El, sp: &SamlSp) -> std::result::Result<String, SsoError> {
        let bad = SsoError::Page("saml-bad-acs");
        if let Some(url) = req.attr("AssertionConsumerServiceURL") {
            return if sp.acs_urls.iter().any(|u| u.as_bytes() == url.as_bytes()) {
                Ok(url.to_owned())
            } else {
                Err(bad)
            };
        }
        if let Some(i) = req.attr("AssertionConsumerServiceIndex") {
            let i: usize = i.parse().map_err(|_| bad.clone())?;
            return sp.acs_urls.get(i).cloned().ok_or(bad);
        }
        sp.acs_urls.first().cloned().ok_or(bad)
    }

    pub async fn parked(&self, id: &str) -> Result<SamlRequest> {
        match self.store.saml_request(id).await? {
            Some(r) if r.expires_at > self.env.now() => Ok(r),
            Some(_) => Err(Error::Expired("saml-request")),
            None => Err(Error::NotFound),
        }
    }

    /// What the browser needs next for a parked request. With `IsPassive` a choice of whom to
    /// act for is made silently (the one remembered, else "for myself" where allowed) and kept
    /// on `req`.
    pub async fn next_step(
        &self,
        req: &mut SamlRequest,
        session: Option<&Session>,
        consented_now: bool,
    ) -> Result<SamlNext> {
        let passive = req.is_passive;
        let Some(s) = session else {
            return Ok(if passive {
                SamlNext::Status("Requester", "NoPassive")
            } else {
                SamlNext::Login { reauth: false }
            });
        };
        if s.level > req.max_level {
            // The assertion states the level reached, never less.
            return Ok(SamlNext::Status("Requester", "NoAuthnContext"));
        }
        let must_login = req.force_authn && s.auth_time < req.created_at;
        if !must_login && s.level < req.min_level && !passive {
            return Ok(SamlNext::StepUp {
                needed: req.min_level,
                have: s.level,
            });
        }
        if must_login || s.level < req.min_level {
            return Ok(if passive {
                SamlNext::Status("Requester", "NoPassive")
            } else {
                SamlNext::Login { reauth: true }
            });
        }
        let e = self.registry.eservice(&req.client_id).await?;
        if req.chosen_by.as_ref() != Some(&s.account_id) {
            // Chosen by someone else (another citizen since logged in on this browser): anew.
            req.acting = None;
        }
        if req.acting.is_none() {
            match self.contexts.pending(&s.account_id, &e, passive).await? {
                Pending::Nothing => {}
                Pending::Ask => return Ok(SamlNext::Choose),
                Pending::Take(a) => {
                    req.acting = Some(a);
                    req.chosen_by = Some(s.account_id.clone());
                    self.store.saml_request_update(req).await?;
                }
                Pending::Impossible => return Ok(SamlNext::Status("Requester", "NoPassive")),
            }
        }
        if consented_now {
            return Ok(SamlNext::Issue);
        }
        let given = self
            .consents
            .consent(&s.account_id, &req.client_id)
            .await?
            .unwrap_or_default();
        if !e.scopes.iter().all(|x| given.contains(x)) {
            return Ok(if passive {
                SamlNext::Status("Requester", "NoPassive")
            } else {
                SamlNext::Consent
            });
        }
        Ok(SamlNext::Issue)
    }

    /// The citizen chose whom to log in for (`Acting::value`): resolved now, remembered for
    /// this service, kept on the parked request; `Forbidden("context")`, changing nothing, for
    /// a choice not theirs to make.
    pub async fn choose(
        &self,
        req: &mut SamlRequest,
        session: &Session,
        value: &str,
    ) -> Result<()> {
        let acting = self
            .contexts
            .choose(&session.account_id, &req.client_id, value);
        req.acting = Some(acting.await?);
        req.chosen_by = Some(session.account_id.clone());
        if self.store.saml_request_update(req).await? {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }

    /// Answers a parked request with an error status (the citizen declined, or `next_step`
    /// said so), consuming it.
    pub async fn refuse(
        &self,
        req: &SamlRequest,
        top: &'static str,
        second: &'static str,
    ) -> Result<PostBack> {
        self.store.saml_request_take(&req.id).await?;
        let e = self.registry.eservice(&req.client_id).await?;
        self.status_response(
            &e,
            &req.acs_url,
            &req.request_id,
            &req.relay_state,
            top,
            second,
        )
        .await
    }

    /// A signed Response with an error status and no assertion.
    async fn status_response(
        &self,
        e: &EService,
        acs_url: &str,
        in_response_to: &str,
        relay_state: &str,
        top: &'static str,
        second: &'static str,
    ) -> Result<PostBack> {
        let sp = e.saml().ok_or(Error::NotFound)?;
        let status = status_xml(top, Some(second));
        let xml = self
            .signed_response(sp, acs_url, in_response_to, None, &status, "")
            .await?;
        Ok(PostBack {
            url: acs_url.to_owned(),
            field: "SAMLResponse",
            message: binding::encode_post(&xml),
            relay_state: relay_state.to_owned(),
        })
    }

    /// A Response signed with the key of the service's algorithm, around `assertion`.
    async fn signed_response(
        &self,
        sp: &SamlSp,
        acs_url: &str,
        in_response_to: &str,
        consent: Option<&str>,
        status: &str,
        assertion: &str,
    ) -> Result<String> {
        let (pkcs8, cert) = self.keys.current(sp.alg).await?;
        let id = message_id(&self.env);
        let consent = consent
            .map(|c| format!(r#" Consent="urn:oasis:names:tc:SAML:2.0:consent:{c}""#))
            .unwrap_or_default();
        let xml = format!(
            concat!(
                r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" "#,
                r#"ID="{id}" Version="2.0" IssueInstant="{now}" Destination="{acs}" InResponseTo="{irt}"{consent}>"#,
                r#"<saml:Issuer>{issuer}</saml:Issuer>{sig}{status}{assertion}</samlp:Response>"#
            ),
            id = id,
            now = xs_datetime(self.env.now()),
            acs = esc(acs_url),
            irt = esc(in_response_to),
            consent = consent,
            issuer = esc(&self.entity_id()),
            sig = xml::signature_template(&id, sp.alg, &cert),
            status = status,
            assertion = assertion,
        );
        self.signatures
            .sign(&xml, &pkcs8)
            .map_err(|e| Error::Internal(format!("signing a SAML response: {e:?}")))
    }

    /// Issues the signed Response for a parked request and records what it released; the
    /// consent just given (if any) is recorded with it, in one transaction.
    pub async fn respond(
        &self,
        req: &SamlRequest,
        session: &Session,
        client: &Client,
        consented_now: bool,
    ) -> Result<PostBack> {
        let e = self.registry.eservice(&req.client_id).await?;
        let sp = e.saml().ok_or(Error::NotFound)?;
        let person = self
            .accounts
            .account_by_id(&session.account_id)
            .await?
            .ok_or(Error::NotFound)?;
        let acting = req.acting.clone().unwrap_or(Acting::Myself);
        let context = match self.contexts.resolve(&person.id, &e, &acting).await {
            Ok(c) => c,
            // Ended meanwhile, or never theirs: refused, never an assertion for the person.
            Err(Error::Forbidden(_)) => {
                return self.refuse(req, "Responder", "RequestDenied").await;
            }
            Err(err) => return Err(err),
        };
        // A mandate's assertion is about the mandator; the person is its ActingPerson.
        let account = match &context {
            Context::Mandator { mandator, .. } => (**mandator).clone(),
            _ => person.clone(),
        };
        let now = self.env.now();
        let name_of = |a: &Account| {
            if e.national_id_claim {
                a.national_id.value.clone()
            } else {
                relying::pairwise_subject(&self.pairwise_key, &e, &a.id)
            }
        };
        let format = if e.national_id_claim {
            NAMEID_UNSPECIFIED
        } else {
            NAMEID_PERSISTENT
        };
        let name_id = name_of(&account);
        let session_index = crate::oidc::logout::sid(&session.chain);
        let roles = if context
            .released_scope(&e.scopes)
            .iter()
            .any(|s| s == "roles")
        {
            self.roles.roles_of(&e.client_id, &account.id, now).await?
        } else {
            Vec::new()
        };
        let administered: Vec<String> =
            if sp.attributes.iter().any(|a| a == "AdministeredLegalEntity")
                && e.scopes.iter().any(|s| s == "organization")
            {
                self.orgs
                    .memberships_of(&account.id, now)
                    .await?
                    .into_iter()
                    .filter(|(_, m)| m.kind == crate::orgs::MemberKind::Admin)
                    .map(|(o, _)| format!("{} {}", o.name, o.number))
                    .collect()
            } else {
                Vec::new()
            };
        // The organisation chosen at login speaks over the certificate's.
        let chosen = match &context {
            Context::Organization { org, .. } => Some(Organization {
                identifier: org.id.clone(),
                name: org.name.clone(),
            }),
            _ => None,
        };
        let mut attributes = saml_attributes(
            &self.pairwise_key,
            &e,
            sp,
            &account,
            chosen.as_ref().or(session.organization.as_ref()),
            &roles,
            &administered,
        );
        attributes.extend(context_attributes(&context, &name_of(&person)));
        let mut statement = String::new();
        for (i, (name, value)) in attributes.iter().enumerate() {
            // A name's values follow each other: one Attribute holds them all.
            let first = i == 0 || attributes.get(i - 1).is_none_or(|(n, _)| n != name);
            let last = attributes.get(i + 1).is_none_or(|(n, _)| n != name);
            if first {
                statement.push_str(&format!(
                    r#"<saml:Attribute Name="{}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">"#,
                    esc(name)
                ));
            }
            statement.push_str(&format!(
                r#"<saml:AttributeValue xsi:type="xs:string">{}</saml:AttributeValue>"#,
                esc(value)
            ));
            if last {
                statement.push_str("</saml:Attribute>");
            }
        }
        let statement = if statement.is_empty() {
            String::new()
        } else {
            format!("<saml:AttributeStatement>{statement}</saml:AttributeStatement>")
        };
        let assertion_id = message_id(&self.env);
        let until = xs_datetime(now + ASSERTION_TTL_MS);
        let locality = if client.ip.is_empty() {
            String::new()
        } else {
            format!(r#"<saml:SubjectLocality Address="{}"/>"#, esc(&client.ip))
        };
        let (pkcs8, cert) = self.keys.current(sp.alg).await?;
        let template = if sp.sign_assertions {
            xml::signature_template(&assertion_id, sp.alg, &cert)
        } else {
            String::new()
        };
        let assertion = format!(
            concat!(
                r#"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xs="http://www.w3.org/2001/XMLSchema" "#,
                r#"xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="{aid}" Version="2.0" IssueInstant="{now}">"#,
                r#"<saml:Issuer>{issuer}</saml:Issuer>{sig}"#,
                r#"<saml:Subject><saml:NameID Format="{format}" NameQualifier="{issuer}" SPNameQualifier="{audience}">{name_id}</saml:NameID>"#,
                r#"<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">"#,
                r#"<saml:SubjectConfirmationData NotOnOrAfter="{until}" Recipient="{acs}" InResponseTo="{irt}"/>"#,
                r#"</saml:SubjectConfirmation></saml:Subject>"#,
                r#"<saml:Conditions NotBefore="{now}" NotOnOrAfter="{until}"><saml:AudienceRestriction>"#,
                r#"<saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>"#,
                r#"<saml:AuthnStatement AuthnInstant="{auth}" SessionIndex="{index}" SessionNotOnOrAfter="{session_end}">"#,
                r#"{locality}<saml:AuthnContext><saml:AuthnContextClassRef>{class}</saml:AuthnContextClassRef>"#,
                r#"</saml:AuthnContext></saml:AuthnStatement>{statement}</saml:Assertion>"#
            ),
            aid = assertion_id,
            now = xs_datetime(now),
            issuer = esc(&self.entity_id()),
            sig = template,
            format = format,
            audience = esc(&sp.entity_id),
            name_id = esc(&name_id),
            until = until,
            acs = esc(&req.acs_url),
            irt = esc(&req.request_id),
            auth = xs_datetime(session.auth_time),
            index = esc(&session_index),
            session_end = xs_datetime(session.expires_at),
            locality = locality,
            class = session.level.acr(),
            statement = statement,
        );
        let assertion = if sp.sign_assertions {
            let signed = self
                .signatures
                .sign(&assertion, &pkcs8)
                .map_err(|e| Error::Internal(format!("signing a SAML assertion: {e:?}")))?;
            strip_declaration(&signed).to_owned()
        } else {
            assertion
        };
        let assertion = match (&sp.encryption_certificate, sp.encrypt_assertions) {
            (Some(cert), true) => {
                enc::encrypt_assertion(&assertion, cert, sp.encryption_cbc, self.env.rng.as_ref())?
            }
            (None, true) => return Err(Error::Internal("no encryption certificate".into())),
            (_, false) => assertion,
        };
        let status = status_xml("Success", None);
        let consent_kind = if consented_now { "explicit" } else { "prior" };
        let xml = self
            .signed_response(
                sp,
                &req.acs_url,
                &req.request_id,
                Some(consent_kind),
                &status,
                &assertion,
            )
            .await?;
        let mut released: Vec<&str> = attributes.iter().map(|(n, _)| n.as_str()).collect();
        released.dedup();
        let ev = audit::event(
            "saml.authorized",
            Some(&session.account_id),
            Some(&client.ip),
            json!({"client_id": e.client_id, "attributes": released, "level": session.level.as_str(),
                   "acting": context.detail()}),
        );
        let used = context.used(&e, &session.account_id, client);
        let consent = consented_now.then(|| {
            audit::event(
                "saml.consent",
                Some(&session.account_id),
                Some(&client.ip),
                json!({"client_id": e.client_id, "scope": e.scopes.join(" ")}),
            )
        });
        let participant = Participant {
            chain: session.chain.clone(),
            client_id: e.client_id.clone(),
            name_id,
            session_index,
            created_at: now,
        };
        self.store
            .saml_answered(
                &req.id,
                &participant,
                consent
                    .as_ref()
                    .map(|ev| (session.account_id.as_str(), e.scopes.as_slice(), ev)),
                &std::iter::once(ev).chain(used).collect::<Vec<_>>(),
                now,
            )
            .await?;
        Ok(PostBack {
            url: req.acs_url.clone(),
            field: "SAMLResponse",
            message: binding::encode_post(&xml),
            relay_state: req.relay_state.clone(),
        })
    }

    /// Forgets expired requests and seen IDs, and participants of sessions that have ended.
    pub async fn sweep(&self) -> Result<u64> {
        let now = self.env.now();
        self.store.saml_sweep(now - PARTICIPANT_TTL_MS, now).await
    }
}

/// The structured attributes of a login for another (design note 0019): the organisation's
/// identifier and the person's roles in it, and the person who acted (`acting_person`, as this
/// service knows people), whenever it was not for themselves.
fn context_attributes(context: &Context, acting_person: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    match context {
        Context::Myself => return out,
        Context::Organization { org, roles } => {
            out.push(("npass:OrganizationIdentifier".to_owned(), org.id.clone()));
            out.extend(
                roles
                    .iter()
                    .map(|r| ("npass:OrganizationRole".to_owned(), r.clone())),
            );
        }
        Context::Mandator { .. } => {}
    }
    out.push(("npass:ActingPerson".to_owned(), acting_person.to_owned()));
    out
}

/// A `Status` with its top-level and optional second-level code (names under SAML's status
/// namespace).
fn status_xml(top: &str, second: Option<&str>) -> String {
    let inner = second
        .map(|s| format!(r#"<samlp:StatusCode Value="{STATUS}{s}"/>"#))
        .unwrap_or_default();
    format!(
        r#"<samlp:Status><samlp:StatusCode Value="{STATUS}{top}">{inner}</samlp:StatusCode></samlp:Status>"#
    )
}

fn strip_declaration(xml: &str) -> &str {
    let t = xml.trim_start();
    match t.strip_prefix("<?xml") {
        Some(rest) => rest
            .split_once("?>")
            .map(|(_, body)| body.trim_start())
            .unwrap_or(t),
        None => t,
    }
}

/// The attributes (MPass names, values) service `e` receives about `account`: those it was
/// registered for, of what `relying::release` lets it have; `Gender` is always "0"
/// (unspecified: npass keeps no gender), `IsResident` whether the account's identifier is a
/// verified Moldovan IDNP.
pub fn saml_attributes(
    pairwise_key: &[u8; 32],
    e: &EService,
    sp: &SamlSp,
    account: &Account,
    organization: Option<&Organization>,
    roles: &[String],
    administered: &[String],
) -> Vec<(String, String)> {
    let released = relying::release(pairwise_key, e, account, &e.scopes, roles);
    let profile = e.scopes.iter().any(|s| s == "profile");
    let org = organization.filter(|_| e.scopes.iter().any(|s| s == "organization"));
    let mut out = Vec::new();
    for name in &sp.attributes {
        // Several values: one pair each, in order (the statement writes them as one attribute).
        if let Some(values) = released.iter().find_map(|(a, v)| match v {
            Released::List(l) if mpass_name(*a) == Some(name.as_str()) => Some(l),
            _ => None,
        }) {
            out.extend(values.iter().map(|v| (name.clone(), v.clone())));
            continue;
        }
        if name == "AdministeredLegalEntity" {
            if e.scopes.iter().any(|s| s == "organization") {
                out.extend(administered.iter().map(|v| (name.clone(), v.clone())));
            }
            continue;
        }
        let value = match name.as_str() {
            "IDNO" => org.map(|o| o.number().to_owned()),
            "CompanyName" => org.map(|o| o.name.clone()).filter(|n| !n.is_empty()),
            "Gender" if profile => Some("0".to_owned()),
            "IsResident" if profile => Some(
                (account.national_id.scheme == Scheme::MdIdnp
                    && account.assurance == Assurance::Verified
                    && account.status == AccountStatus::Active)
                    .to_string(),
            ),
            _ => released.iter().find_map(|(a, v)| match v {
                Released::Text(t) if mpass_name(*a) == Some(name.as_str()) && !t.is_empty() => {
                    Some(t.clone())
                }
                _ => None,
            }),
        };
        if let Some(v) = value {
            out.push((name.clone(), v));
        }
    }
    out
}

fn binding_key(e: &BindingError) -> &'static str {
    match e {
        BindingError::TooLarge => "saml-too-large",
        BindingError::Signature => "saml-bad-signature",
        BindingError::Malformed => "saml-bad-request",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xs_datetimes_round_trip_and_refuse_what_is_not_utc() {
        for ms in [0, 1_765_000_000_000, 951_782_400_000] {
            assert_eq!(parse_xs_datetime(&xs_datetime(ms)), Some(ms));
        }
        assert_eq!(
            parse_xs_datetime("2026-12-07T10:00:00.25Z"),
            parse_xs_datetime("2026-12-07T10:00:00Z").map(|t| t + 250)
        );
        assert_eq!(parse_xs_datetime("2026-12-07T10:00:00+02:00"), None);
        assert_eq!(parse_xs_datetime("2026-02-30T10:00:00Z"), None);
        assert_eq!(parse_xs_datetime("2026-12-07 10:00:00Z"), None);
    }

    #[test]
    fn requested_contexts_map_onto_levels() {
        let ctx = |cmp: &str, classes: &[&str]| {
            let refs: String = classes
                .iter()
                .map(|c| format!("<saml:AuthnContextClassRef>{c}</saml:AuthnContextClassRef>"))
                .collect();
            xml::parse(&format!(
                r#"<samlp:RequestedAuthnContext xmlns:samlp="{NS_PROTOCOL}" xmlns:saml="{NS_ASSERTION}" Comparison="{cmp}">{refs}</samlp:RequestedAuthnContext>"#
            ))
            .unwrap()
        };
        let sub = Level::Substantial.acr();
        assert_eq!(requested_levels(None), Some((Level::Low, Level::High)));
        assert_eq!(
            requested_levels(Some(&ctx("exact", &[sub]))),
            Some((Level::Substantial, Level::Substantial))
        );
        assert_eq!(
            requested_levels(Some(&ctx("minimum", &[sub]))),
            Some((Level::Substantial, Level::High))
        );
        assert_eq!(
            requested_levels(Some(&ctx("better", &[sub]))),
            Some((Level::High, Level::High))
        );
        assert_eq!(
            requested_levels(Some(&ctx("better", &[Level::High.acr()]))),
            None
        );
        assert_eq!(
            requested_levels(Some(&ctx(
                "minimum",
                &["urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"]
            ))),
            Some((Level::Low, Level::High))
        );
        assert_eq!(
            requested_levels(Some(&ctx("exact", &["urn:example:gold"]))),
            None
        );
    }
}
