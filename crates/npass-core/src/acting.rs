//! Acting for another at login (design note 0019): a citizen who represents organisations or
//! holds mandates chooses, for an e-service that accepts it, to log in for themselves, for one
//! organisation or for one mandator. The choice rides on the parked request (OpenID Connect and
//! SAML alike), is remembered per e-service, and is resolved again — against the register and
//! the mandates as they stand — whenever a code, token, userinfo answer or assertion is made:
//! a representation or mandate ended meanwhile fails the request, never a token for the person
//! instead.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit;
use crate::login::Client;
use crate::model::AuditEvent;

use crate::error::{Error, Result};
use crate::mandates::{Mandate, Mandates};
use crate::model::{Account, AccountStatus};
use crate::orgs::{MemberKind, OrgEntry};
use crate::relying::EService;
use crate::service::Env;
use crate::store::{AccountStore, MandateStore, OrgStore};

/// Whom a login is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Acting {
    /// The person themselves.
    Myself,
    /// An organisation the person administers or represents.
    Organization { org_id: String },
    /// A citizen whose mandate the person holds.
    Mandator { mandate_id: String },
}

impl Acting {
    /// The form value that names this choice (`myself`, `org:<id>`, `mandate:<id>`).
    pub fn value(&self) -> String {
        match self {
            Acting::Myself => "myself".into(),
            Acting::Organization { org_id } => format!("org:{org_id}"),
            Acting::Mandator { mandate_id } => format!("mandate:{mandate_id}"),
        }
    }

    /// Reads a form value; `None` for anything else.
    pub fn parse(v: &str) -> Option<Acting> {
        let ok = |s: &str| (1..=100).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic());
        match v.split_once(':') {
            None if v == "myself" => Some(Acting::Myself),
            Some(("org", id)) if ok(id) => Some(Acting::Organization {
                org_id: id.to_owned(),
            }),
            Some(("mandate", id)) if ok(id) => Some(Acting::Mandator {
                mandate_id: id.to_owned(),
            }),
            _ => None,
        }
    }
}

/// A context an e-service insists on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Required {
    /// Only logins for an organisation.
    Organization,
    /// Only logins for a mandator (a person).
    Mandator,
}

impl Required {
    pub fn as_str(self) -> &'static str {
        match self {
            Required::Organization => "organization",
            Required::Mandator => "mandator",
        }
    }

    pub fn parse(s: &str) -> Option<Option<Required>> {
        match s {
            "none" | "" => Some(None),
            "organization" | "organisation" => Some(Some(Required::Organization)),
            "mandator" => Some(Some(Required::Mandator)),
            _ => None,
        }
    }
}

/// What an e-service accepts of people acting for others (registered by the operator).
/// Nothing, by default: every login is for oneself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextPolicy {
    /// Logins for an organisation.
    #[serde(default)]
    pub organizations: bool,
    /// Delegated logins: for a mandator.
    #[serde(default)]
    pub mandates: bool,
    #[serde(default)]
    pub require: Option<Required>,
}

impl ContextPolicy {
    /// A policy from an operator's words (`require`: `none`, `organization`, `mandator`);
    /// `Invalid` for an unknown context or a required one not taken.
    pub fn new(organizations: bool, mandates: bool, require: &str) -> Result<ContextPolicy> {
        let bad = || Error::invalid("require", "context-require");
        let p = ContextPolicy {
            organizations,
            mandates,
            require: Required::parse(require).ok_or_else(bad)?,
        };
        if p.valid() { Ok(p) } else { Err(bad()) }
    }

    /// Takes no login for others.
    pub fn is_none(&self) -> bool {
        *self == ContextPolicy::default()
    }

    /// Whether a login for oneself is allowed.
    pub fn allows_myself(self) -> bool {
        self.require.is_none()
    }

    /// A policy that holds together: a required context must be accepted.
    pub fn valid(self) -> bool {
        match self.require {
            Some(Required::Organization) => self.organizations,
            Some(Required::Mandator) => self.mandates,
            None => true,
        }
    }
}

/// A choice resolved against the register and the mandates, now.
#[derive(Debug, Clone)]
pub enum Context {
    Myself,
    Organization {
        org: OrgEntry,
        /// The person's roles in it (an administrator's: `admin`).
        roles: Vec<String>,
    },
    Mandator {
        mandate: Mandate,
        /// The citizen the login is for: the token's subject.
        mandator: Box<Account>,
    },
}

impl Context {
    /// What the audit trail records of it (null: for oneself).
    pub fn detail(&self) -> serde_json::Value {
        match self {
            Context::Myself => serde_json::Value::Null,
            Context::Organization { org, roles } => {
                json!({"org": org.id, "name": org.name, "roles": roles})
            }
            Context::Mandator { mandate, mandator } => {
                json!({"mandate": mandate.id, "mandator": mandator.id})
            }
        }
    }

    /// The event a login for a mandator leaves in the mandator's history: who acted for them
    /// where. `actor` is the representative's account id.
    pub fn used(&self, e: &EService, actor: &str, client: &Client) -> Option<AuditEvent> {
        let Context::Mandator { mandate, mandator } = self else {
            return None;
        };
        Some(audit::event(
            "mandates.used",
            Some(&mandator.id),
            Some(&client.ip),
            json!({"mandate": mandate.id, "client_id": e.client_id, "service": e.name, "by": actor}),
        ))
    }

    /// What of `scope` is released about the subject: all of it, but a person's `roles` are
    /// theirs and never stated for a mandator they act for.
    pub fn released_scope(&self, scope: &[String]) -> Vec<String> {
        let lent = matches!(self, Context::Mandator { .. });
        scope
            .iter()
            .filter(|s| !(lent && *s == "roles"))
            .cloned()
            .collect()
    }

    pub fn acting(&self) -> Acting {
        match self {
            Context::Myself => Acting::Myself,
            Context::Organization { org, .. } => Acting::Organization {
                org_id: org.id.clone(),
            },
            Context::Mandator { mandate, .. } => Acting::Mandator {
                mandate_id: mandate.id.clone(),
            },
        }
    }
}

/// What the chooser offers for a login at an e-service.
#[derive(Debug, Clone)]
pub struct Choices {
    /// Organisations and mandators the person may act for there.
    pub options: Vec<Context>,
    /// "For myself" may be chosen.
    pub myself: bool,
    /// What the person chose there last time, if it is still on offer.
    pub remembered: Option<Acting>,
}

/// What a login still needs to know of whom it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    /// Nothing to choose: it is for the person.
    Nothing,
    /// The citizen chooses (the chooser page).
    Ask,
    /// A request that may show no page takes this (the remembered choice, or "for myself").
    Take(Acting),
    /// A request that may show no page, where only a choice would do.
    Impossible,
}

#[derive(Clone)]
pub struct Contexts {
    pub(crate) orgs: Arc<dyn OrgStore>,
    pub(crate) store: Arc<dyn MandateStore>,
    pub(crate) accounts: Arc<dyn AccountStore>,
    pub(crate) mandates: Mandates,
    pub(crate) registry: crate::registry::Registry,
    pub(crate) env: Env,
}

impl Contexts {
    /// What `account_id` may choose at `e`; `None` when there is nothing to choose (every
    /// login there is for oneself).
    pub async fn choices(&self, account_id: &str, e: &EService) -> Result<Option<Choices>> {
        let p = e.contexts;
        if !p.organizations && !p.mandates {
            return Ok(None);
        }
        let now = self.env.now();
        let mut options = Vec::new();
        // What the e-service requires is all it offers.
        if p.organizations && p.require != Some(Required::Mandator) {
            for (org, m) in self.orgs.memberships_of(account_id, now).await? {
                options.push(Context::Organization {
                    roles: roles_in(&m),
                    org,
                });
            }
        }
        if p.mandates && p.require != Some(Required::Organization) {
            for m in self.store.mandates_of(account_id, now).await? {
                if *m.representative != *account_id || !m.covers(&e.client_id, now) {
                    continue;
                }
                match self.accounts.account_by_id(&m.mandator).await? {
                    Some(a) if a.status == AccountStatus::Active => {
                        options.push(Context::Mandator {
                            mandate: m,
                            mandator: Box::new(a),
                        });
                    }
                    _ => {}
                }
            }
        }
        if options.is_empty() && p.allows_myself() {
            return Ok(None);
        }
        let remembered = self
            .store
            .acting_choice(account_id, &e.client_id)
            .await?
            .as_deref()
            .and_then(Acting::parse)
            .filter(|a| {
                (*a == Acting::Myself && p.allows_myself())
                    || options.iter().any(|o| o.acting() == *a)
            });
        Ok(Some(Choices {
            options,
            myself: p.allows_myself(),
            remembered,
        }))
    }

    /// Resolves `acting` for `account_id` at `e` now: `Forbidden("context")` when the
    /// e-service does not take it, the person does not (or no longer) represent the
    /// organisation, or the mandate is not (or no longer) theirs and usable there.
    pub async fn resolve(
        &self,
        account_id: &str,
        e: &EService,
        acting: &Acting,
    ) -> Result<Context> {
        let p = e.contexts;
        let refused = Err(Error::Forbidden("context"));
        match acting {
            Acting::Myself if p.allows_myself() => Ok(Context::Myself),
            Acting::Myself => refused,
            Acting::Organization { org_id } => {
                if !p.organizations || p.require == Some(Required::Mandator) {
                    return refused;
                }
                let now = self.env.now();
                match self
                    .orgs
                    .memberships_of(account_id, now)
                    .await?
                    .into_iter()
                    .find(|(o, _)| o.id == *org_id)
                {
                    Some((org, m)) => Ok(Context::Organization {
                        roles: roles_in(&m),
                        org,
                    }),
                    None => refused,
                }
            }
            Acting::Mandator { mandate_id } => {
                if !p.mandates || p.require == Some(Required::Organization) {
                    return refused;
                }
                let Some(mandate) = self
                    .mandates
                    .usable(mandate_id, account_id, &e.client_id)
                    .await?
                else {
                    return refused;
                };
                match self.accounts.account_by_id(&mandate.mandator).await? {
                    Some(mandator) if mandator.status == AccountStatus::Active => {
                        Ok(Context::Mandator {
                            mandate,
                            mandator: Box::new(mandator),
                        })
                    }
                    _ => refused,
                }
            }
        }
    }

    /// What a login of `account_id` at `e` still needs before consent; `silent`: the request
    /// may show no page (`prompt=none`, `IsPassive`).
    pub async fn pending(&self, account_id: &str, e: &EService, silent: bool) -> Result<Pending> {
        let Some(c) = self.choices(account_id, e).await? else {
            return Ok(Pending::Nothing);
        };
        Ok(
            match (silent, c.remembered.or(c.myself.then_some(Acting::Myself))) {
                (false, _) => Pending::Ask,
                (true, Some(a)) => Pending::Take(a),
                (true, None) => Pending::Impossible,
            },
        )
    }

    /// Reads the choice a citizen made at login (a form value, `Acting::value`) for the
    /// e-service `client_id`, resolves it now and remembers it for the next login there.
    /// `Forbidden("context")`, changing nothing, for a choice not theirs to make.
    pub async fn choose(&self, account_id: &str, client_id: &str, value: &str) -> Result<Acting> {
        let acting = Acting::parse(value).ok_or(Error::Forbidden("context"))?;
        let e = self.registry.eservice(client_id).await?;
        self.resolve(account_id, &e, &acting).await?;
        self.store
            .acting_choice_put(account_id, client_id, &acting.value(), self.env.now())
            .await?;
        Ok(acting)
    }
}

/// A member's roles in an organisation as tokens state them: an administrator's are `admin`.
fn roles_in(m: &crate::orgs::Membership) -> Vec<String> {
    match m.kind {
        MemberKind::Admin => vec!["admin".to_owned()],
        MemberKind::Representative => m.roles.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_read_back_as_written_and_nothing_else_reads() {
        for a in [
            Acting::Myself,
            Acting::Organization {
                org_id: "NTRMD-1003600012344".into(),
            },
            Acting::Mandator {
                mandate_id: "0192abc".into(),
            },
        ] {
            assert_eq!(Acting::parse(&a.value()), Some(a));
        }
        for bad in ["", "me", "org:", "mandate:", "org:a b", "org:\u{e9}", "x:y"] {
            assert_eq!(Acting::parse(bad), None, "{bad}");
        }
        assert_eq!(Acting::parse(&format!("org:{}", "9".repeat(101))), None);
    }

    #[test]
    fn a_required_context_must_be_one_taken() {
        let p = |organizations, mandates, require| ContextPolicy {
            organizations,
            mandates,
            require,
        };
        assert!(p(false, false, None).valid());
        assert!(p(true, false, Some(Required::Organization)).valid());
        assert!(!p(false, true, Some(Required::Organization)).valid());
        assert!(!p(true, false, Some(Required::Mandator)).valid());
        assert!(p(true, true, None).allows_myself());
        assert!(!p(true, true, Some(Required::Mandator)).allows_myself());
        assert_eq!(
            Required::parse("organisation"),
            Some(Some(Required::Organization))
        );
        assert_eq!(Required::parse("none"), Some(None));
        assert_eq!(Required::parse("person"), None);
    }
}
