//! Mandates (design note 0019): a citizen (the mandator) authorises another (the
//! representative) to act for them at chosen e-services until a date. The mandator gives it
//! after a recent login at substantial or higher, the representative accepts it the same way,
//! and either ends it at any time. Assisted access at a counter is a mandate to the clerk, never
//! a shared password. Every step is in both citizens' histories, with who did it.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit;
use crate::error::{Error, Result};
use crate::ids::{AccountId, ClientId};
use crate::login::Client;
use crate::model::{Account, AuditEvent, Session};
use crate::registry::Registry;
use crate::roles::{OPERATOR, citizen_by_national_id, strong_and_recent};
use crate::service::Env;
use crate::store::{AccountStore, MandateStore};

/// The longest a mandate may run: a year, then it is given again.
pub const MANDATE_MAX_MS: i64 = 366 * 24 * 60 * 60 * 1000;

/// How many e-services one mandate may name.
pub const MANDATE_MAX_SERVICES: usize = 20;

/// How many unexpired mandates one citizen may have given (offered or accepted) at a time.
pub const MANDATE_MAX_GIVEN: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MandateState {
    /// Given, waiting for the representative.
    Offered,
    /// Accepted: the representative may act with it.
    Active,
}

impl MandateState {
    pub fn as_str(self) -> &'static str {
        match self {
            MandateState::Offered => "offered",
            MandateState::Active => "active",
        }
    }

    pub fn parse(s: &str) -> Option<MandateState> {
        match s {
            "offered" => Some(MandateState::Offered),
            "active" => Some(MandateState::Active),
            _ => None,
        }
    }
}

/// One mandate. An ended one is deleted (its history is the audit trail's); an expired one
/// stays until swept but counts for nothing from `expires_at` on, in every query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mandate {
    pub id: String,
    pub mandator: AccountId,
    pub representative: AccountId,
    /// The e-services it is for.
    pub services: Vec<ClientId>,
    pub state: MandateState,
    pub expires_at: i64,
    pub created_at: i64,
}

impl Mandate {
    /// Usable now at `client_id`: accepted, unexpired and naming it.
    pub fn covers(&self, client_id: &str, now: i64) -> bool {
        self.state == MandateState::Active
            && self.expires_at > now
            && self.services.iter().any(|s| s.as_str() == client_id)
    }
}

/// A mandate with the other party and the e-services' names, for the pages.
#[derive(Debug, Clone)]
pub struct NamedMandate {
    pub mandate: Mandate,
    /// The other citizen: the mandator on "I act for", the representative on "Acting for me".
    pub other: Account,
    pub services: Vec<String>,
}

fn takes_mandates(e: &crate::relying::EService) -> bool {
    !e.disabled && e.contexts.mandates
}

#[derive(Clone)]
pub struct Mandates {
    pub(crate) store: Arc<dyn MandateStore>,
    pub(crate) accounts: Arc<dyn AccountStore>,
    pub(crate) registry: Registry,
    pub(crate) env: Env,
}

impl Mandates {
    /// The mandator (a recent login at substantial or higher) gives a mandate to the citizen
    /// with `national_id`, for `services` (each accepting delegated logins) until `until`.
    pub async fn offer(
        &self,
        actor: &Session,
        national_id: &str,
        services: &[String],
        until: i64,
        client: &Client,
    ) -> Result<Mandate> {
        strong_and_recent(&self.env, actor)?;
        let now = self.env.now();
        if until <= now {
            return Err(Error::invalid("until", "role-until-past"));
        }
        if until > now + MANDATE_MAX_MS {
            return Err(Error::invalid("until", "mandate-too-long"));
        }
        let mut ids: Vec<ClientId> = Vec::new();
        for s in services {
            let e = match self.registry.store.eservice(s).await? {
                Some(e) if takes_mandates(&e) => e,
                _ => return Err(Error::invalid("services", "mandate-service")),
            };
            if !ids.contains(&e.client_id) {
                ids.push(e.client_id);
            }
        }
        if ids.is_empty() || ids.len() > MANDATE_MAX_SERVICES {
            return Err(Error::invalid("services", "mandate-service"));
        }
        let rep = citizen_by_national_id(self.accounts.as_ref(), &self.env, national_id).await?;
        if rep.id == actor.account_id {
            return Err(Error::invalid("national_id", "mandate-self"));
        }
        let given = self.store.mandates_of(&actor.account_id, now).await?;
        if given
            .iter()
            .filter(|m| m.mandator == actor.account_id)
            .count()
            >= MANDATE_MAX_GIVEN
        {
            return Err(Error::invalid_n(
                "national_id",
                "mandate-too-many",
                i64::try_from(MANDATE_MAX_GIVEN).unwrap_or(i64::MAX),
            ));
        }
        let m = Mandate {
            id: crate::rng::ordered_token(self.env.rng.as_ref(), now),
            mandator: actor.account_id.clone(),
            representative: rep.id.clone(),
            services: ids,
            state: MandateState::Offered,
            expires_at: until,
            created_at: now,
        };
        let events = self.both("mandates.offered", &m, &actor.account_id, client);
        self.store.mandate_put(&m, &events, now).await?;
        Ok(m)
    }

    /// The representative (a recent login at substantial or higher) accepts a mandate offered
    /// to them and still unexpired.
    pub async fn accept(&self, actor: &Session, id: &str, client: &Client) -> Result<Mandate> {
        strong_and_recent(&self.env, actor)?;
        let now = self.env.now();
        let m = match self.store.mandate(id).await? {
            Some(m) if m.representative == actor.account_id && m.expires_at > now => m,
            _ => return Err(Error::NotFound),
        };
        let events = self.both("mandates.accepted", &m, &actor.account_id, client);
        if !self
            .store
            .mandate_accept(id, &actor.account_id, &events, now)
            .await?
        {
            return Err(Error::NotFound);
        }
        Ok(Mandate {
            state: MandateState::Active,
            ..m
        })
    }

    /// Either party ends a mandate (or the representative declines an offer): it has no effect
    /// from this moment.
    pub async fn end(&self, actor: &Session, id: &str, client: &Client) -> Result<()> {
        let m = match self.store.mandate(id).await? {
            Some(m) if m.mandator == actor.account_id || m.representative == actor.account_id => m,
            _ => return Err(Error::NotFound),
        };
        let events = self.both("mandates.ended", &m, &actor.account_id, client);
        if self
            .store
            .mandate_end(id, Some(&actor.account_id), &events, self.env.now())
            .await?
        {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }

    /// The operator ends a mandate (a citizen at a counter says it was given under pressure, a
    /// court decides): it has no effect from this moment, and both citizens' histories say the
    /// operator ended it.
    pub async fn end_by_operator(&self, id: &str, operator: &Client) -> Result<()> {
        let m = self.store.mandate(id).await?.ok_or(Error::NotFound)?;
        let events = self.both("mandates.ended", &m, OPERATOR, operator);
        if self
            .store
            .mandate_end(id, None, &events, self.env.now())
            .await?
        {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }

    /// The operator ends the mandates `ids` of the citizen with `national_id` (each must be one
    /// they gave or hold: `NotFound`, ending none, otherwise).
    pub async fn end_citizens_by_operator(
        &self,
        national_id: &str,
        ids: &[String],
        operator: &Client,
    ) -> Result<()> {
        let (holds, given) = self.of_citizen(national_id).await?;
        if !ids
            .iter()
            .all(|id| holds.iter().chain(&given).any(|n| n.mandate.id == *id))
        {
            return Err(Error::NotFound);
        }
        for id in ids {
            self.end_by_operator(id, operator).await?;
        }
        Ok(())
    }

    /// `of` for the citizen with `national_id`, for the operator.
    pub async fn of_citizen(
        &self,
        national_id: &str,
    ) -> Result<(Vec<NamedMandate>, Vec<NamedMandate>)> {
        let account =
            citizen_by_national_id(self.accounts.as_ref(), &self.env, national_id).await?;
        self.of(&account.id).await
    }

    /// The mandates a citizen holds for others ("I act for") and has given ("Acting for me"),
    /// unexpired, with the other citizen and the e-services named.
    pub async fn of(&self, account_id: &str) -> Result<(Vec<NamedMandate>, Vec<NamedMandate>)> {
        let all = self.store.mandates_of(account_id, self.env.now()).await?;
        let (mut mine, mut given) = (Vec::new(), Vec::new());
        for m in all {
            let holds = *m.representative == *account_id;
            let other = if holds {
                &m.mandator
            } else {
                &m.representative
            };
            let Some(other) = self.accounts.account_by_id(other).await? else {
                continue;
            };
            let mut services = Vec::new();
            for s in &m.services {
                if let Some(e) = self.registry.store.eservice(s).await? {
                    services.push(e.name);
                }
            }
            let named = NamedMandate {
                mandate: m,
                other,
                services,
            };
            if holds {
                mine.push(named);
            } else {
                given.push(named);
            }
        }
        Ok((mine, given))
    }

    /// The mandate `id` if it is usable now by `representative` at `client_id`.
    pub async fn usable(
        &self,
        id: &str,
        representative: &str,
        client_id: &str,
    ) -> Result<Option<Mandate>> {
        let now = self.env.now();
        Ok(self
            .store
            .mandate(id)
            .await?
            .filter(|m| *m.representative == *representative && m.covers(client_id, now)))
    }

    /// The e-services a mandate may name: those on that take delegated logins.
    pub async fn services(&self) -> Result<Vec<crate::relying::EService>> {
        let all = self.registry.eservices().await?;
        Ok(all.into_iter().filter(takes_mandates).collect())
    }

    /// Deletes the mandates that have expired; how many.
    pub async fn sweep(&self) -> Result<u64> {
        self.store.mandates_sweep(self.env.now()).await
    }

    /// The event `kind` in both citizens' histories: `by` is who did it.
    fn both(&self, kind: &str, m: &Mandate, by: &str, client: &Client) -> Vec<AuditEvent> {
        let detail = detail(m, by);
        let mut events = vec![audit::event(
            kind,
            Some(&m.mandator),
            Some(&client.ip),
            detail.clone(),
        )];
        events.push(audit::event(
            kind,
            Some(&m.representative),
            Some(&client.ip),
            detail,
        ));
        events
    }
}

/// What a mandate's audit events say of it: the mandate, both citizens, its e-services and end,
/// and who acted.
pub(crate) fn detail(m: &Mandate, by: &str) -> serde_json::Value {
    json!({"mandate": m.id, "mandator": m.mandator, "representative": m.representative,
           "services": m.services, "until": m.expires_at, "by": by})
}
