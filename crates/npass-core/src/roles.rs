//! E-service roles (design note 0019): an e-service declares its roles, its administrators
//! (citizens) grant them to citizens with an optional end date and withdraw them, with a strong
//! and recent login; tokens for that e-service carry the roles standing when they are issued.
//! Nobody grants to themselves; only an administrator grants, decided in the store's
//! transaction, so an administrator removed meanwhile grants nothing.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit;
use crate::error::{Error, Result};
use crate::ids::{AccountId, ClientId};
use crate::login::Client;
use crate::model::{Account, Level, Session};
use crate::national_id;
use crate::registry::Registry;
use crate::service::Env;
use crate::store::{AccountStore, RoleStore};

/// One citizen's role at one e-service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleGrant {
    pub client_id: ClientId,
    pub role: String,
    pub account_id: AccountId,
    /// The administrator who granted it (an account id), or `operator`.
    pub granted_by: String,
    /// When it ends (none: until withdrawn).
    pub expires_at: Option<i64>,
    pub created_at: i64,
}

/// A standing grant with the citizen who holds it, for the pages and the operator.
#[derive(Debug, Clone)]
pub struct NamedGrant {
    pub grant: RoleGrant,
    pub holder: Account,
    /// The grantor's national identifier, or `operator`.
    pub granted_by: String,
}

/// What the operator's registration names as the grantor.
pub const OPERATOR: &str = "operator";

/// A role's name: 1 to 64 letters, digits, `.`, `_` or `-` (what a token carries as is).
pub fn valid_role(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[derive(Clone)]
pub struct Roles {
    pub(crate) store: Arc<dyn RoleStore>,
    pub(crate) accounts: Arc<dyn AccountStore>,
    pub(crate) registry: Registry,
    pub(crate) env: Env,
}

impl Roles {
    /// Declares roles of an e-service (the operator's registration and changes).
    pub async fn declare(
        &self,
        client_id: &str,
        roles: &[String],
        operator: &Client,
    ) -> Result<()> {
        self.registry.eservice(client_id).await?;
        if let Some(bad) = roles.iter().find(|r| !valid_role(r)) {
            return Err(Error::invalid_n(
                "role",
                "role-name",
                i64::try_from(bad.len()).unwrap_or(i64::MAX),
            ));
        }
        let ev = audit::event(
            "admin.roles-declared",
            None,
            Some(&operator.ip),
            json!({"client_id": client_id, "roles": roles}),
        );
        self.store
            .roles_declare(client_id, roles, &ev, self.env.now())
            .await
    }

    /// The operator retires roles of an e-service: no longer declared, and whoever held one
    /// loses it at once (their history says so). A role it does not declare is refused.
    pub async fn retire(&self, client_id: &str, roles: &[String], operator: &Client) -> Result<()> {
        self.registry.eservice(client_id).await?;
        for role in roles {
            let holder = |account_id: &str| {
                audit::event(
                    "roles.withdrawn",
                    Some(account_id),
                    Some(&operator.ip),
                    json!({"client_id": client_id, "role": role, "by": OPERATOR, "retired": true}),
                )
            };
            let ev = audit::event(
                "admin.roles-retired",
                None,
                Some(&operator.ip),
                json!({"client_id": client_id, "role": role}),
            );
            if !self
                .store
                .role_retire(client_id, role, &holder, &ev, self.env.now())
                .await?
            {
                return Err(Error::invalid("role", "role-unknown"));
            }
        }
        Ok(())
    }

    pub async fn declared(&self, client_id: &str) -> Result<Vec<String>> {
        self.store.roles_declared(client_id).await
    }

    /// The operator names an administrator of an e-service, by national identifier.
    pub async fn add_admin_by_operator(
        &self,
        client_id: &str,
        national_id: &str,
        operator: &Client,
    ) -> Result<Account> {
        self.registry.eservice(client_id).await?;
        let account = self.citizen(national_id).await?;
        let ev = audit::event(
            "roles.admin-added",
            Some(&account.id),
            Some(&operator.ip),
            json!({"client_id": client_id, "by": OPERATOR}),
        );
        self.store
            .service_admin_add(client_id, &account.id, None, &ev, self.env.now())
            .await?;
        Ok(account)
    }

    /// An administrator (with a recent strong login) names another citizen administrator of
    /// the same e-service.
    pub async fn add_admin(
        &self,
        actor: &Session,
        client_id: &str,
        national_id: &str,
        client: &Client,
    ) -> Result<Account> {
        self.strong(actor)?;
        let account = self.citizen(national_id).await?;
        let admins = self.store.service_admins(client_id).await?;
        if !admins.iter().any(|a| *a == *actor.account_id) {
            return Err(Error::Forbidden("not-service-admin"));
        }
        if admins.iter().any(|a| *a == *account.id) {
            return Err(Error::invalid("national_id", "role-admin-already"));
        }
        let ev = audit::event(
            "roles.admin-added",
            Some(&account.id),
            Some(&client.ip),
            json!({"client_id": client_id, "by": actor.account_id}),
        );
        if !self
            .store
            .service_admin_add(
                client_id,
                &account.id,
                Some(&actor.account_id),
                &ev,
                self.env.now(),
            )
            .await?
        {
            // Removed meanwhile, or named by someone else a moment ago.
            return Err(Error::Conflict("service-admin"));
        }
        Ok(account)
    }

    /// The operator ends a citizen's administration of an e-service.
    pub async fn remove_admin_by_operator(
        &self,
        client_id: &str,
        national_id: &str,
        operator: &Client,
    ) -> Result<()> {
        self.registry.eservice(client_id).await?;
        let account = self.citizen(national_id).await?;
        self.end_admin(client_id, &account, None, operator).await
    }

    /// An administrator (with a recent strong login) ends another's administration of the
    /// same e-service; their own ends by another administrator or the operator, so an
    /// e-service is never left without one this way.
    pub async fn remove_admin(
        &self,
        actor: &Session,
        client_id: &str,
        national_id: &str,
        client: &Client,
    ) -> Result<()> {
        self.strong(actor)?;
        let account = self.citizen(national_id).await?;
        let admins = self.store.service_admins(client_id).await?;
        if !admins.iter().any(|a| *a == *actor.account_id) {
            return Err(Error::Forbidden("not-service-admin"));
        }
        if account.id == actor.account_id {
            return Err(Error::invalid("national_id", "role-admin-self"));
        }
        self.end_admin(client_id, &account, Some(&actor.account_id), client)
            .await
    }

    /// Ends `account`'s administration of `client_id`, `by` an administrator or (none) the
    /// operator, audited in the store's statement: `NotFound` when it is not one (or no longer:
    /// removed a moment ago), or `by` was removed meanwhile.
    async fn end_admin(
        &self,
        client_id: &str,
        account: &Account,
        by: Option<&str>,
        client: &Client,
    ) -> Result<()> {
        let ev = audit::event(
            "roles.admin-removed",
            Some(&account.id),
            Some(&client.ip),
            json!({"client_id": client_id, "by": by.unwrap_or(OPERATOR)}),
        );
        let done = self
            .store
            .service_admin_remove(client_id, &account.id, by, &ev, self.env.now())
            .await?;
        if done { Ok(()) } else { Err(Error::NotFound) }
    }

    /// The accounts that administer an e-service.
    pub async fn admins(&self, client_id: &str) -> Result<Vec<String>> {
        self.store.service_admins(client_id).await
    }

    /// The e-services a citizen administers.
    pub async fn administered(&self, account_id: &str) -> Result<Vec<ClientId>> {
        self.store.services_administered(account_id).await
    }

    /// An administrator (`actor`, logged in at substantial or higher, recently) grants `role`
    /// at `client_id` to the citizen `national_id` until `until` (none: until withdrawn).
    pub async fn grant(
        &self,
        actor: &Session,
        client_id: &str,
        national_id: &str,
        role: &str,
        until: Option<i64>,
        client: &Client,
    ) -> Result<RoleGrant> {
        self.strong(actor)?;
        let now = self.env.now();
        if until.is_some_and(|u| u <= now) {
            return Err(Error::invalid("until", "role-until-past"));
        }
        let grantee = self.citizen(national_id).await?;
        if grantee.id == actor.account_id {
            return Err(Error::invalid("national_id", "role-self"));
        }
        if !self.declared(client_id).await?.iter().any(|r| r == role) {
            return Err(Error::invalid("role", "role-unknown"));
        }
        let g = RoleGrant {
            client_id: client_id.into(),
            role: role.to_owned(),
            account_id: grantee.id.clone(),
            granted_by: actor.account_id.to_string(),
            expires_at: until,
            created_at: now,
        };
        let ev = audit::event(
            "roles.granted",
            Some(&grantee.id),
            Some(&client.ip),
            json!({"client_id": client_id, "role": role, "until": until, "by": actor.account_id}),
        );
        if !self.store.role_grant(&g, false, &ev, now).await? {
            return Err(Error::Forbidden("not-service-admin"));
        }
        Ok(g)
    }

    /// The operator grants a role through the admin API (an e-service's back office keeping
    /// roles in step): the role must be declared; audited as the operator's act.
    pub async fn grant_by_operator(
        &self,
        client_id: &str,
        national_id: &str,
        role: &str,
        until: Option<i64>,
        operator: &Client,
    ) -> Result<RoleGrant> {
        self.registry.eservice(client_id).await?;
        let now = self.env.now();
        if until.is_some_and(|u| u <= now) {
            return Err(Error::invalid("until", "role-until-past"));
        }
        let grantee = self.citizen(national_id).await?;
        let g = RoleGrant {
            client_id: client_id.into(),
            role: role.to_owned(),
            account_id: grantee.id.clone(),
            granted_by: OPERATOR.into(),
            expires_at: until,
            created_at: now,
        };
        let ev = audit::event(
            "roles.granted",
            Some(&grantee.id),
            Some(&operator.ip),
            json!({"client_id": client_id, "role": role, "until": until, "by": OPERATOR}),
        );
        if !self.store.role_grant(&g, true, &ev, now).await? {
            return Err(Error::invalid("role", "role-unknown"));
        }
        Ok(g)
    }

    /// The operator withdraws a role through the admin API.
    pub async fn withdraw_by_operator(
        &self,
        client_id: &str,
        national_id: &str,
        role: &str,
        operator: &Client,
    ) -> Result<()> {
        self.registry.eservice(client_id).await?;
        let grantee = self.citizen(national_id).await?;
        let ev = audit::event(
            "roles.withdrawn",
            Some(&grantee.id),
            Some(&operator.ip),
            json!({"client_id": client_id, "role": role, "by": OPERATOR}),
        );
        let done = self
            .store
            .role_withdraw(client_id, role, &grantee.id, None, &ev, self.env.now())
            .await?;
        if done { Ok(()) } else { Err(Error::NotFound) }
    }

    /// An administrator withdraws a role; it is gone from the next token.
    pub async fn withdraw(
        &self,
        actor: &Session,
        client_id: &str,
        national_id: &str,
        role: &str,
        client: &Client,
    ) -> Result<()> {
        self.strong(actor)?;
        let grantee = self.citizen(national_id).await?;
        let ev = audit::event(
            "roles.withdrawn",
            Some(&grantee.id),
            Some(&client.ip),
            json!({"client_id": client_id, "role": role, "by": actor.account_id}),
        );
        let done = self
            .store
            .role_withdraw(
                client_id,
                role,
                &grantee.id,
                Some(&actor.account_id),
                &ev,
                self.env.now(),
            )
            .await?;
        if done { Ok(()) } else { Err(Error::NotFound) }
    }

    /// The roles a citizen holds at an e-service now: what its next token carries.
    pub async fn current(&self, client_id: &str, account_id: &str) -> Result<Vec<String>> {
        self.store
            .roles_of(client_id, account_id, self.env.now())
            .await
    }

    /// The roles a citizen holds now at every e-service, with the e-service's name: what they
    /// see under My account (a grant of an e-service no longer registered is left out).
    pub async fn held(&self, account_id: &str) -> Result<Vec<(RoleGrant, String)>> {
        let mut out = Vec::new();
        for g in self.store.roles_held(account_id, self.env.now()).await? {
            if let Some(e) = self.registry.store.eservice(&g.client_id).await? {
                out.push((g, e.name));
            }
        }
        Ok(out)
    }

    /// An e-service's standing grants (for its administrators' page).
    pub async fn grants(&self, client_id: &str) -> Result<Vec<RoleGrant>> {
        self.store.role_grants(client_id, self.env.now()).await
    }

    /// The same with the citizens named (a deleted account's grant is left out).
    pub async fn grants_named(&self, client_id: &str) -> Result<Vec<NamedGrant>> {
        let mut out = Vec::new();
        for grant in self.grants(client_id).await? {
            let Some(holder) = self.accounts.account_by_id(&grant.account_id).await? else {
                continue;
            };
            let granted_by = if grant.granted_by == OPERATOR {
                OPERATOR.to_owned()
            } else {
                self.accounts
                    .account_by_id(&grant.granted_by)
                    .await?
                    .map(|a| a.national_id.value)
                    .unwrap_or_default()
            };
            out.push(NamedGrant {
                grant,
                holder,
                granted_by,
            });
        }
        Ok(out)
    }

    /// The citizens who administer an e-service.
    pub async fn admins_named(&self, client_id: &str) -> Result<Vec<Account>> {
        let mut out = Vec::new();
        for id in self.admins(client_id).await? {
            if let Some(a) = self.accounts.account_by_id(&id).await? {
                out.push(a);
            }
        }
        Ok(out)
    }

    fn strong(&self, s: &Session) -> Result<()> {
        strong_and_recent(&self.env, s)
    }

    async fn citizen(&self, national_id: &str) -> Result<Account> {
        citizen_by_national_id(self.accounts.as_ref(), &self.env, national_id).await
    }
}

/// Grants change with a login of substantial or higher made within the fresh-login window.
pub(crate) fn strong_and_recent(env: &Env, s: &Session) -> Result<()> {
    if s.level < Level::Substantial {
        return Err(Error::Forbidden("level"));
    }
    if env.now() - s.auth_time > env.policy.fresh_login_ms {
        return Err(Error::Forbidden("fresh-login"));
    }
    Ok(())
}

/// The account of the citizen a grantor names by national identifier.
pub(crate) async fn citizen_by_national_id(
    accounts: &dyn AccountStore,
    env: &Env,
    national_id: &str,
) -> Result<Account> {
    let nid = national_id::parse(national_id, &env.policy.schemes)?;
    accounts
        .account_by_national_id(&nid.value)
        .await?
        .ok_or(Error::NotFound)
}

#[cfg(test)]
mod tests {
    use super::valid_role;

    #[test]
    fn role_names_are_what_a_token_carries_as_is() {
        for ok in [
            "inspector",
            "tax.officer",
            "Level_2-approver",
            &"r".repeat(64),
        ] {
            assert!(valid_role(ok), "{ok}");
        }
        for bad in ["", "two words", "rôle", "a/b", "x\"y", &"r".repeat(65)] {
            assert!(!valid_role(bad), "{bad}");
        }
    }
}
