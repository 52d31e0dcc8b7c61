//! SAML single logout (design note 0017): a service's LogoutRequest is verified and parked
//! until the browser's session is known; a running logout carries npass's signed
//! LogoutRequests to the session's other services through the browser, collects their
//! LogoutResponses, and answers the service that asked.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::xml::{self, NS_ASSERTION, NS_PROTOCOL, esc};
use super::{
    Binding, Inbound, MAX_RELAY_STATE, NAMEID_PERSISTENT, NAMEID_UNSPECIFIED, Participant,
    PostBack, Saml, binding, message_id, parse_xs_datetime, status_xml, xs_datetime,
};
use crate::audit;
use crate::error::{Error, Result};
use crate::ids::ClientId;
use crate::login::Client;
use crate::model::Session;
use crate::relying::{EService, SamlSp};
use crate::rng;

/// How long a logout may take from the service's request to its answer.
const LOGOUT_TTL_MS: i64 = 10 * 60 * 1000;
/// How long npass's LogoutRequests may be acted on.
const REQUEST_TTL_MS: i64 = 5 * 60 * 1000;

/// A service's LogoutRequest, verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoutAsk {
    pub client_id: ClientId,
    /// Its `ID`: the answer's `InResponseTo`.
    pub request_id: String,
    pub name_id: String,
    /// Its `SessionIndex`es (none: every session of the NameID in this browser).
    pub session_indexes: Vec<String>,
    pub relay_state: String,
}

/// One logout: begun by a service (`initiator`) or by npass's own logout (`then`: where the
/// browser goes when it is done).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamlLogout {
    pub id: String,
    pub initiator: Option<LogoutAsk>,
    pub then: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Where a logout is: waiting for the browser's session, or running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoutStage {
    Asked,
    Running,
}

impl LogoutStage {
    pub fn as_str(self) -> &'static str {
        match self {
            LogoutStage::Asked => "asked",
            LogoutStage::Running => "running",
        }
    }

    pub fn parse(s: &str) -> Option<LogoutStage> {
        match s {
            "asked" => Some(LogoutStage::Asked),
            "running" => Some(LogoutStage::Running),
            _ => None,
        }
    }
}

/// What became of a LogoutRequest npass sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Pending,
    /// The service answered `Success`.
    Done,
    /// It answered with another status.
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pending => "pending",
            Outcome::Done => "done",
            Outcome::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        match s {
            "pending" => Some(Outcome::Pending),
            "done" => Some(Outcome::Done),
            "failed" => Some(Outcome::Failed),
            _ => None,
        }
    }
}

/// How a message reaches a service through the browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "binding", rename_all = "lowercase")]
pub enum Delivery {
    /// A form posting `SAMLRequest` to `url`.
    Post { url: String, message: String },
    /// The service's URL with the signed query.
    Redirect { url: String },
}

/// A LogoutRequest npass sends to one of the session's services in a running logout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutNotice {
    /// Its `ID`: the service's answer names it.
    pub request_id: String,
    pub logout_id: String,
    pub client_id: ClientId,
    /// Its place on the page.
    pub position: i64,
    pub outcome: Outcome,
    /// The service's name, for the page.
    pub service: String,
    pub delivery: Delivery,
    pub expires_at: i64,
}

/// A message to a service: posted by a form, or a redirect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    Post(PostBack),
    Redirect(String),
}

/// What came to `/logout/saml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SloIn {
    /// A service asks to end the browser's session: parked as this logout.
    Asked(String),
    /// A service answered npass's LogoutRequest.
    Answered {
        service: String,
        request_id: String,
        logout_id: String,
        done: bool,
    },
}

/// How a logout ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogoutEnd {
    /// Answer the service that asked (its name, the message).
    Answer(String, Outgoing),
    /// npass's own logout goes on here.
    Then(String),
}

impl Saml {
    /// Reads a single logout message: a service's LogoutRequest (parked) or its
    /// LogoutResponse to npass's request (recorded). `field` is the POST form's field;
    /// for HTTP-Redirect `message` is the raw query and the field is read from it.
    pub async fn slo(
        &self,
        binding: Binding,
        field: &str,
        message: &str,
        relay_state: &str,
    ) -> std::result::Result<SloIn, &'static str> {
        let field = match binding {
            Binding::Post => field.to_owned(),
            Binding::Redirect => binding::RedirectQuery::parse(message)
                .map_err(|_| "saml-bad-request")?
                .kind
                .to_owned(),
        };
        let slo_url = self.slo_url();
        match field.as_str() {
            "SAMLRequest" => {
                let inbound = self
                    .inbound(binding, message, relay_state, "LogoutRequest", &slo_url)
                    .await?;
                self.logout_asked(inbound).await.map(SloIn::Asked)
            }
            "SAMLResponse" => {
                let inbound = self
                    .inbound(binding, message, relay_state, "LogoutResponse", &slo_url)
                    .await?;
                self.logout_answered(inbound).await
            }
            _ => Err("saml-bad-request"),
        }
    }

    async fn logout_asked(&self, m: Inbound) -> std::result::Result<String, &'static str> {
        let sp = m.e.saml().ok_or("saml-unknown-service")?;
        if m.relay_state.len() > MAX_RELAY_STATE {
            return Err("saml-relay-state");
        }
        let now = self.env.now();
        if let Some(until) = m.root.attr("NotOnOrAfter")
            && parse_xs_datetime(until).ok_or("saml-bad-request")? + super::SKEW_MS <= now
        {
            return Err("saml-stale-request");
        }
        let name_id = m
            .root
            .child_text(NS_ASSERTION, "NameID")
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .ok_or("saml-bad-request")?;
        if sp.slo_url.is_empty() {
            // Its answer would have nowhere to go.
            return Err("saml-no-logout-url");
        }
        self.first_time(&sp.entity_id, &m.id, m.issued).await?;
        let logout = SamlLogout {
            id: rng::ordered_token(self.env.rng.as_ref(), now),
            initiator: Some(LogoutAsk {
                client_id: m.e.client_id.clone(),
                request_id: m.id.clone(),
                name_id: name_id.to_owned(),
                session_indexes: m
                    .root
                    .all(NS_PROTOCOL, "SessionIndex")
                    .map(|s| s.text.trim().to_owned())
                    .collect(),
                relay_state: m.relay_state,
            }),
            then: String::new(),
            created_at: now,
            expires_at: now + LOGOUT_TTL_MS,
        };
        self.store
            .saml_logout_put(&logout)
            .await
            .map_err(|_| "error-unavailable")?;
        Ok(logout.id)
    }

    async fn logout_answered(&self, m: Inbound) -> std::result::Result<SloIn, &'static str> {
        let irt = m.root.attr("InResponseTo").unwrap_or("");
        let notice = match self.store.saml_logout_notice(irt).await {
            Ok(Some(n)) if n.client_id == m.e.client_id && n.expires_at > self.env.now() => n,
            Ok(_) => return Err("saml-logout-unknown"),
            Err(_) => return Err("error-unavailable"),
        };
        let sp = m.e.saml().ok_or("saml-unknown-service")?;
        self.first_time(&sp.entity_id, &m.id, m.issued).await?;
        let success = m
            .root
            .child(NS_PROTOCOL, "Status")
            .and_then(|s| s.child(NS_PROTOCOL, "StatusCode"))
            .and_then(|c| c.attr("Value"))
            == Some(&format!("{}Success", super::STATUS));
        let outcome = if success {
            Outcome::Done
        } else {
            Outcome::Failed
        };
        // The first answer stands.
        let recorded = self
            .store
            .saml_logout_answer(&notice.request_id, &notice.client_id, outcome)
            .await
            .map_err(|_| "error-unavailable")?;
        Ok(SloIn::Answered {
            service: notice.service,
            request_id: notice.request_id,
            logout_id: notice.logout_id,
            done: recorded.unwrap_or(outcome) == Outcome::Done,
        })
    }

    /// A logout and where it is.
    pub async fn logout(&self, id: &str) -> Result<(SamlLogout, LogoutStage)> {
        match self.store.saml_logout(id).await? {
            Some((l, stage)) if l.expires_at > self.env.now() => Ok((l, stage)),
            Some(_) => Err(Error::Expired("saml-logout")),
            None => Err(Error::NotFound),
        }
    }

    /// Whether `session` is the one a service's LogoutRequest names: the service answered its
    /// chain with that NameID and (when the request gives any) that SessionIndex.
    pub async fn names_session(&self, ask: &LogoutAsk, session: &Session) -> Result<bool> {
        Ok(self
            .store
            .saml_participants(&session.chain)
            .await?
            .iter()
            .any(|p| {
                p.client_id == ask.client_id
                    && p.name_id == ask.name_id
                    && (ask.session_indexes.is_empty()
                        || ask.session_indexes.contains(&p.session_index))
            }))
    }

    /// Answers the service that asked without running the logout (the browser has no
    /// session: `Success`; another session's: `Requester`/`UnknownPrincipal`), ending it.
    pub async fn logout_refuse(&self, logout: &SamlLogout, unknown: bool) -> Result<Outgoing> {
        let ask = logout.initiator.as_ref().ok_or(Error::NotFound)?;
        self.store.saml_logout_take(&logout.id).await?;
        let e = self.registry.eservice(&ask.client_id).await?;
        let (top, second) = if unknown {
            ("Requester", Some("UnknownPrincipal"))
        } else {
            ("Success", None)
        };
        self.logout_response(&e, ask, top, second).await
    }

    /// npass's own logout of `session`: when its chain answered SAML services that take
    /// single logout, a logout to run (its id), going on to `then` when done.
    pub async fn own_logout(
        &self,
        session: &Session,
        then: &str,
        client: &Client,
    ) -> Result<Option<String>> {
        let now = self.env.now();
        let logout = SamlLogout {
            id: rng::ordered_token(self.env.rng.as_ref(), now),
            initiator: None,
            then: then.to_owned(),
            created_at: now,
            expires_at: now + LOGOUT_TTL_MS,
        };
        let notices = self.logout_run(&logout, session, client).await?;
        Ok((!notices.is_empty()).then_some(logout.id))
    }

    /// Runs a logout for `session`: a signed LogoutRequest to each of its chain's SAML
    /// services that take single logout (but the one that asked), stored with the logout, the
    /// chain's participants forgotten. Once only: when it runs already, its notices as they
    /// are. The caller ends the session itself.
    pub async fn logout_run(
        &self,
        logout: &SamlLogout,
        session: &Session,
        client: &Client,
    ) -> Result<Vec<LogoutNotice>> {
        let now = self.env.now();
        let asker = logout.initiator.as_ref().map(|a| &a.client_id);
        let mut notices = Vec::new();
        for p in self.store.saml_participants(&session.chain).await? {
            if Some(&p.client_id) == asker {
                continue;
            }
            let Ok(e) = self.registry.eservice(&p.client_id).await else {
                continue;
            };
            let Some(sp) = e.saml().filter(|sp| !sp.slo_url.is_empty() && !e.disabled) else {
                continue;
            };
            let request_id = message_id(&self.env);
            notices.push(LogoutNotice {
                delivery: self.logout_request(&e, sp, &p, &request_id).await?,
                request_id,
                logout_id: logout.id.clone(),
                client_id: e.client_id.clone(),
                position: notices.len() as i64,
                outcome: Outcome::Pending,
                service: e.name.clone(),
                expires_at: logout.expires_at,
            });
        }
        let ev = audit::event(
            "saml.logout",
            Some(&session.account_id),
            Some(&client.ip),
            json!({
                "by": asker,
                "services": notices.iter().map(|n| &n.client_id).collect::<Vec<_>>(),
            }),
        );
        if self
            .store
            .saml_logout_run(logout, &session.chain, &notices, &ev, now)
            .await?
        {
            Ok(notices)
        } else {
            self.store.saml_logout_notices(&logout.id).await
        }
    }

    /// A running logout's notices, in page order.
    pub async fn logout_notices(&self, id: &str) -> Result<Vec<LogoutNotice>> {
        self.store.saml_logout_notices(id).await
    }

    /// The notice a frame shows.
    pub async fn logout_notice(&self, request_id: &str) -> Result<LogoutNotice> {
        match self.store.saml_logout_notice(request_id).await? {
            Some(n) if n.expires_at > self.env.now() => Ok(n),
            Some(_) => Err(Error::Expired("saml-logout")),
            None => Err(Error::NotFound),
        }
    }

    /// Ends a running logout, once: the service that asked gets its answer (`Success`, or
    /// `Success`/`PartialLogout` when a service did not confirm); npass's own logout goes on
    /// to its `then`. With the notices as they ended, for the page.
    pub async fn logout_finish(&self, id: &str) -> Result<(LogoutEnd, Vec<LogoutNotice>)> {
        let (logout, stage) = self.logout(id).await?;
        if stage != LogoutStage::Running {
            return Err(Error::NotFound);
        }
        let notices = self.store.saml_logout_take(id).await?;
        let end = match &logout.initiator {
            Some(ask) => {
                let e = self.registry.eservice(&ask.client_id).await?;
                let partial = notices.iter().any(|n| n.outcome != Outcome::Done);
                let second = partial.then_some("PartialLogout");
                let answer = self.logout_response(&e, ask, "Success", second).await?;
                LogoutEnd::Answer(e.name, answer)
            }
            None => LogoutEnd::Then(logout.then.clone()),
        };
        Ok((end, notices))
    }

    /// npass's LogoutRequest to service `e` for participant `p`, by the service's binding.
    async fn logout_request(
        &self,
        e: &EService,
        sp: &SamlSp,
        p: &Participant,
        id: &str,
    ) -> Result<Delivery> {
        let now = self.env.now();
        let format = if e.national_id_claim {
            NAMEID_UNSPECIFIED
        } else {
            NAMEID_PERSISTENT
        };
        let (pkcs8, cert) = self.keys.current(sp.alg).await?;
        let sig = if sp.slo_redirect {
            String::new()
        } else {
            xml::signature_template(id, sp.alg, &cert)
        };
        let xml = format!(
            concat!(
                r#"<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" "#,
                r#"ID="{id}" Version="2.0" IssueInstant="{now}" Destination="{slo}" NotOnOrAfter="{until}">"#,
                r#"<saml:Issuer>{issuer}</saml:Issuer>{sig}"#,
                r#"<saml:NameID Format="{format}" NameQualifier="{issuer}" SPNameQualifier="{audience}">{name_id}</saml:NameID>"#,
                r#"<samlp:SessionIndex>{index}</samlp:SessionIndex></samlp:LogoutRequest>"#
            ),
            id = id,
            now = xs_datetime(now),
            slo = esc(&sp.slo_url),
            until = xs_datetime(now + REQUEST_TTL_MS),
            issuer = esc(&self.entity_id()),
            sig = sig,
            format = format,
            audience = esc(&sp.entity_id),
            name_id = esc(&p.name_id),
            index = esc(&p.session_index),
        );
        Ok(match self.outgoing(sp, "SAMLRequest", &xml, "", &pkcs8)? {
            Outgoing::Post(pb) => Delivery::Post {
                url: pb.url,
                message: pb.message,
            },
            Outgoing::Redirect(url) => Delivery::Redirect { url },
        })
    }

    /// npass's LogoutResponse to the service that asked.
    async fn logout_response(
        &self,
        e: &EService,
        ask: &LogoutAsk,
        top: &str,
        second: Option<&str>,
    ) -> Result<Outgoing> {
        let sp = e.saml().ok_or(Error::NotFound)?;
        let (pkcs8, cert) = self.keys.current(sp.alg).await?;
        let id = message_id(&self.env);
        let sig = if sp.slo_redirect {
            String::new()
        } else {
            xml::signature_template(&id, sp.alg, &cert)
        };
        let xml = format!(
            concat!(
                r#"<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" "#,
                r#"ID="{id}" Version="2.0" IssueInstant="{now}" Destination="{slo}" InResponseTo="{irt}">"#,
                r#"<saml:Issuer>{issuer}</saml:Issuer>{sig}{status}</samlp:LogoutResponse>"#
            ),
            id = id,
            now = xs_datetime(self.env.now()),
            slo = esc(&sp.slo_url),
            irt = esc(&ask.request_id),
            issuer = esc(&self.entity_id()),
            sig = sig,
            status = status_xml(top, second),
        );
        self.outgoing(sp, "SAMLResponse", &xml, &ask.relay_state, &pkcs8)
    }

    /// A message to a service's single logout URL by its binding: XML-signed and posted, or
    /// deflated into a query signed as HTTP-Redirect signs it.
    fn outgoing(
        &self,
        sp: &SamlSp,
        field: &'static str,
        xml: &str,
        relay_state: &str,
        pkcs8: &[u8],
    ) -> Result<Outgoing> {
        if sp.slo_redirect {
            let query = binding::sign_redirect(
                field,
                &binding::encode_redirect(xml),
                relay_state,
                sp.alg,
                pkcs8,
            )?;
            let sep = if sp.slo_url.contains('?') { '&' } else { '?' };
            return Ok(Outgoing::Redirect(format!("{}{sep}{query}", sp.slo_url)));
        }
        let signed = self
            .signatures
            .sign(xml, pkcs8)
            .map_err(|e| Error::Internal(format!("signing a SAML logout message: {e:?}")))?;
        Ok(Outgoing::Post(PostBack {
            url: sp.slo_url.clone(),
            field,
            message: binding::encode_post(&signed),
            relay_state: relay_state.to_owned(),
        }))
    }
}
