//! Organisations and the people who act for them (design note 0019): the register (the
//! operator's entries and bulk imports from the national register), administrators (named by
//! the operator) and representatives (named by an administrator, with roles in the organisation
//! and an optional end). An organisation is known by the ETSI organizationIdentifier its
//! certificates carry (`NTRMD-<IDNO>`), so a certificate and the register name the same one.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit;
use crate::error::{Error, Result};
use crate::ids::AccountId;
use crate::login::Client;
use crate::model::{Account, Session};
use crate::national_id::md_check_digit;
use crate::roles::{OPERATOR, valid_role};
use crate::service::Env;
use crate::store::{AccountStore, OrgStore};

/// An organisation in the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgEntry {
    /// `NTRMD-<IDNO>`.
    pub id: String,
    /// The IDNO.
    pub number: String,
    pub name: String,
    /// Where it came from: `operator`, `register` (a bulk import).
    pub source: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberKind {
    /// Names and withdraws the organisation's representatives; acts with every role.
    Admin,
    /// Acts for the organisation with the roles given.
    Representative,
}

impl MemberKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberKind::Admin => "admin",
            MemberKind::Representative => "representative",
        }
    }

    pub fn parse(s: &str) -> Option<MemberKind> {
        match s {
            "admin" => Some(MemberKind::Admin),
            "representative" => Some(MemberKind::Representative),
            _ => None,
        }
    }
}

/// A person's place in an organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub org_id: String,
    pub account_id: AccountId,
    pub kind: MemberKind,
    /// A representative's roles in the organisation (an administrator's: none listed).
    pub roles: Vec<String>,
    /// An administrator's account id, or `operator`.
    pub granted_by: String,
    pub expires_at: Option<i64>,
    pub created_at: i64,
}

/// The register identifier of a Moldovan IDNO: 13 digits with the IDNP's check digit.
pub fn org_id(idno: &str) -> Result<String> {
    let n = idno.trim();
    let valid = n.len() == 13
        && n.bytes().all(|b| b.is_ascii_digit())
        && n.get(..12)
            .and_then(md_check_digit)
            .zip(n.get(12..).and_then(|c| c.parse::<u32>().ok()))
            .is_some_and(|(want, got)| want == got);
    if valid {
        Ok(format!("NTRMD-{n}"))
    } else {
        Err(Error::invalid("idno", "org-idno"))
    }
}

/// Reads the national register's CSV export (RFC 4180: a header line `idno,name`, then one
/// organisation a line; a field may be quoted, `""` inside quotes is a quote).
pub fn read_register_csv(text: &str) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i64::try_from(i + 1).unwrap_or(i64::MAX);
        if line.trim().is_empty() || (i == 0 && line.trim().eq_ignore_ascii_case("idno,name")) {
            continue;
        }
        let fields = csv_fields(line).ok_or(Error::invalid_n("csv", "org-csv-line", line_no))?;
        let [idno, name] = fields.as_slice() else {
            return Err(Error::invalid_n("csv", "org-csv-line", line_no));
        };
        let name = name.trim();
        if org_id(idno).is_err() || name.is_empty() || name.chars().count() > 256 {
            return Err(Error::invalid_n("csv", "org-csv-line", line_no));
        }
        out.push((idno.trim().to_owned(), name.to_owned()));
    }
    Ok(out)
}

/// One CSV line's fields; `None` when a quote is left open or stray.
fn csv_fields(line: &str) -> Option<Vec<String>> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cur.push(c),
            (false, '"') if cur.is_empty() && !was_quoted => {
                quoted = true;
                was_quoted = true;
            }
            (false, '"') => return None,
            (false, ',') => {
                fields.push(std::mem::take(&mut cur));
                was_quoted = false;
            }
            (false, c) if was_quoted && !c.is_whitespace() => return None,
            (false, c) => cur.push(c),
        }
    }
    if quoted {
        return None;
    }
    fields.push(cur);
    Some(fields)
}

#[derive(Clone)]
pub struct Organizations {
    pub(crate) store: Arc<dyn OrgStore>,
    pub(crate) accounts: Arc<dyn AccountStore>,
    pub(crate) env: Env,
}

impl Organizations {
    /// The operator adds (or renames) an organisation.
    pub async fn register(&self, idno: &str, name: &str, operator: &Client) -> Result<OrgEntry> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 256 {
            return Err(Error::invalid("name", "required"));
        }
        let e = self.entry(idno, name, OPERATOR)?;
        let ev = audit::event(
            "admin.org-registered",
            None,
            Some(&operator.ip),
            json!({"org": e.id, "name": e.name}),
        );
        self.store
            .orgs_upsert(std::slice::from_ref(&e), &ev, self.env.now())
            .await?;
        Ok(e)
    }

    /// Imports the national register's CSV: every line checked first; one bad line imports
    /// nothing. Returns how many organisations it holds.
    pub async fn import(&self, csv: &str, operator: &Client) -> Result<usize> {
        let rows = read_register_csv(csv)?;
        let entries = rows
            .iter()
            .map(|(idno, name)| self.entry(idno, name, "register"))
            .collect::<Result<Vec<_>>>()?;
        let ev = audit::event(
            "admin.orgs-imported",
            None,
            Some(&operator.ip),
            json!({"count": entries.len()}),
        );
        self.store
            .orgs_upsert(&entries, &ev, self.env.now())
            .await?;
        Ok(entries.len())
    }

    pub async fn find(&self, idno: &str) -> Result<OrgEntry> {
        self.store.org(&org_id(idno)?).await?.ok_or(Error::NotFound)
    }

    /// The operator names an administrator of an organisation.
    pub async fn add_admin_by_operator(
        &self,
        idno: &str,
        national_id: &str,
        operator: &Client,
    ) -> Result<Account> {
        let org = self.find(idno).await?;
        let account = self.citizen(national_id).await?;
        let m = Membership {
            org_id: org.id.clone(),
            account_id: account.id.clone(),
            kind: MemberKind::Admin,
            roles: Vec::new(),
            granted_by: OPERATOR.into(),
            expires_at: None,
            created_at: self.env.now(),
        };
        let ev = audit::event(
            "orgs.admin-added",
            Some(&account.id),
            Some(&operator.ip),
            json!({"org": org.id, "by": OPERATOR}),
        );
        self.store
            .org_member_put(&m, true, &ev, self.env.now())
            .await?;
        Ok(account)
    }

    /// The operator ends a citizen's administration or representation of an organisation; it
    /// has no effect from that moment. (An organisation certificate makes its holder an
    /// administrator again at their next e-signature login with it: the certificate is the
    /// proof, so a holder who should not administer needs it revoked by its issuer.)
    pub async fn remove_by_operator(
        &self,
        idno: &str,
        national_id: &str,
        operator: &Client,
    ) -> Result<()> {
        let org = self.find(idno).await?;
        let account = self.citizen(national_id).await?;
        let now = self.env.now();
        let kind = self
            .store
            .org_members(&org.id, now)
            .await?
            .into_iter()
            .find(|m| m.account_id == account.id)
            .map(|m| m.kind)
            .ok_or(Error::NotFound)?;
        let what = match kind {
            MemberKind::Admin => "orgs.admin-removed",
            MemberKind::Representative => "orgs.representative-withdrawn",
        };
        let ev = audit::event(
            what,
            Some(&account.id),
            Some(&operator.ip),
            json!({"org": org.id, "by": OPERATOR}),
        );
        let done = self
            .store
            .org_member_remove(&org.id, &account.id, None, &ev, now)
            .await?;
        if done { Ok(()) } else { Err(Error::NotFound) }
    }

    /// An administrator of the organisation (a recent login at substantial or higher) names a
    /// representative with `roles` until `until` (none: until withdrawn).
    pub async fn name_representative(
        &self,
        actor: &Session,
        idno: &str,
        national_id: &str,
        roles: &[String],
        until: Option<i64>,
        client: &Client,
    ) -> Result<Membership> {
        self.strong(actor)?;
        let now = self.env.now();
        if until.is_some_and(|u| u <= now) {
            return Err(Error::invalid("until", "role-until-past"));
        }
        if let Some(bad) = roles.iter().find(|r| !valid_role(r)) {
            return Err(Error::invalid_n(
                "role",
                "role-name",
                i64::try_from(bad.len()).unwrap_or(i64::MAX),
            ));
        }
        let org = self.find(idno).await?;
        let account = self.citizen(national_id).await?;
        if account.id == actor.account_id {
            return Err(Error::invalid("national_id", "org-self"));
        }
        let m = Membership {
            org_id: org.id.clone(),
            account_id: account.id.clone(),
            kind: MemberKind::Representative,
            roles: roles.to_vec(),
            granted_by: actor.account_id.to_string(),
            expires_at: until,
            created_at: now,
        };
        let ev = audit::event(
            "orgs.representative-named",
            Some(&account.id),
            Some(&client.ip),
            json!({"org": org.id, "roles": roles, "until": until, "by": actor.account_id}),
        );
        if !self.store.org_member_put(&m, false, &ev, now).await? {
            return Err(Error::Forbidden("not-org-admin"));
        }
        Ok(m)
    }

    /// An administrator withdraws a representative; it has no effect from that moment.
    pub async fn withdraw(
        &self,
        actor: &Session,
        idno: &str,
        national_id: &str,
        client: &Client,
    ) -> Result<()> {
        self.strong(actor)?;
        let org = self.find(idno).await?;
        let account = self.citizen(national_id).await?;
        let ev = audit::event(
            "orgs.representative-withdrawn",
            Some(&account.id),
            Some(&client.ip),
            json!({"org": org.id, "by": actor.account_id}),
        );
        let done = self
            .store
            .org_member_remove(
                &org.id,
                &account.id,
                Some(&actor.account_id),
                &ev,
                self.env.now(),
            )
            .await?;
        if done { Ok(()) } else { Err(Error::NotFound) }
    }

    /// An organisation certificate's holder, at an e-signature login: the organisation enters
    /// the register as the certificate names it (if it is not there), and its holder
    /// administers it. An identifier that is not a Moldovan IDNO (`NTRMD-…` with a valid check
    /// digit) changes nothing.
    pub async fn from_certificate(
        &self,
        account: &Account,
        identifier: &str,
        name: &str,
        client: &Client,
    ) -> Result<()> {
        let Some(idno) = identifier.strip_prefix("NTRMD-") else {
            return Ok(());
        };
        let Ok(id) = org_id(idno) else {
            return Ok(());
        };
        let now = self.env.now();
        if self.store.org(&id).await?.is_none() {
            let name = if name.trim().is_empty() { idno } else { name };
            let e = self.entry(idno, name, "certificate")?;
            let ev = audit::event(
                "orgs.registered-from-certificate",
                Some(&account.id),
                Some(&client.ip),
                json!({"org": e.id, "name": e.name}),
            );
            self.store
                .orgs_upsert(std::slice::from_ref(&e), &ev, now)
                .await?;
        }
        let admin = self
            .store
            .org_members(&id, now)
            .await?
            .into_iter()
            .any(|m| m.account_id == account.id && m.kind == MemberKind::Admin);
        if admin {
            return Ok(());
        }
        let m = Membership {
            org_id: id.clone(),
            account_id: account.id.clone(),
            kind: MemberKind::Admin,
            roles: Vec::new(),
            granted_by: "certificate".into(),
            expires_at: None,
            created_at: now,
        };
        let ev = audit::event(
            "orgs.admin-from-certificate",
            Some(&account.id),
            Some(&client.ip),
            json!({"org": id}),
        );
        self.store.org_member_put(&m, true, &ev, now).await?;
        Ok(())
    }

    /// An organisation's standing members.
    pub async fn members(&self, idno: &str) -> Result<Vec<Membership>> {
        let org = self.find(idno).await?;
        self.store.org_members(&org.id, self.env.now()).await
    }

    /// The same with the citizens (a deleted account's membership is left out).
    pub async fn members_named(&self, idno: &str) -> Result<Vec<(Membership, Account)>> {
        let mut out = Vec::new();
        for m in self.members(idno).await? {
            if let Some(a) = self.accounts.account_by_id(&m.account_id).await? {
                out.push((m, a));
            }
        }
        Ok(out)
    }

    /// The organisations a citizen administers or represents now.
    pub async fn of(&self, account_id: &str) -> Result<Vec<(OrgEntry, Membership)>> {
        self.store.memberships_of(account_id, self.env.now()).await
    }

    fn entry(&self, idno: &str, name: &str, source: &str) -> Result<OrgEntry> {
        Ok(OrgEntry {
            id: org_id(idno)?,
            number: idno.trim().to_owned(),
            name: name.trim().to_owned(),
            source: source.to_owned(),
            created_at: self.env.now(),
        })
    }

    fn strong(&self, s: &Session) -> Result<()> {
        crate::roles::strong_and_recent(&self.env, s)
    }

    async fn citizen(&self, national_id: &str) -> Result<Account> {
        crate::roles::citizen_by_national_id(self.accounts.as_ref(), &self.env, national_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idno_has_the_idnp_check_digit() {
        let body = "100360001234";
        let check = md_check_digit(body).unwrap();
        let good = format!("{body}{check}");
        assert_eq!(org_id(&good).unwrap(), format!("NTRMD-{good}"));
        let bad = format!("{body}{}", (check + 1) % 10);
        assert!(org_id(&bad).is_err());
        assert!(org_id("123").is_err());
        assert!(org_id("10036000123a5").is_err());
    }

    #[test]
    fn the_register_csv_is_read_whole_or_not_at_all() {
        let body = "100360001234";
        let idno = format!("{body}{}", md_check_digit(body).unwrap());
        let csv =
            format!("idno,name\n{idno},\"Întreprinderea \"\"Test\"\", SRL\"\n\n{idno},Simple SA\n");
        let rows = read_register_csv(&csv).unwrap();
        assert_eq!(
            rows,
            vec![
                (idno.clone(), "Întreprinderea \"Test\", SRL".to_string()),
                (idno.clone(), "Simple SA".to_string())
            ]
        );
        for bad in [
            format!("idno,name\n{idno},\"open quote\n"),
            format!("idno,name\n{idno},a,b\n"),
            format!("idno,name\n{idno},\n"),
            "idno,name\n1234567890123,Wrong check\n".to_string(),
            format!("idno,name\n{idno},\"x\"y\n"),
        ] {
            match read_register_csv(&bad) {
                Err(Error::Invalid { n: Some(2), .. }) => {}
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }
}
