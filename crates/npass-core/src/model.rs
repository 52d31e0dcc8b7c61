//! Domain types shared by the use-cases and the store ports.

use serde::{Deserialize, Serialize};

use crate::ids::AccountId;
use crate::national_id::NationalId;

/// eIDAS level of assurance of an authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Low,
    Substantial,
    High,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Substantial => "substantial",
            Level::High => "high",
        }
    }
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "low" => Some(Level::Low),
            "substantial" => Some(Level::Substantial),
            "high" => Some(Level::High),
            _ => None,
        }
    }
    /// The eIDAS LoA URI that tokens carry as `acr`.
    pub fn acr(self) -> &'static str {
        match self {
            Level::Low => "http://eidas.europa.eu/LoA/low",
            Level::Substantial => "http://eidas.europa.eu/LoA/substantial",
            Level::High => "http://eidas.europa.eu/LoA/high",
        }
    }
}

/// How sure we are that the account's person is who the identifier says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Assurance {
    #[serde(rename = "self-asserted")]
    SelfAsserted,
    #[serde(rename = "verified-remote")]
    VerifiedRemote,
    #[serde(rename = "verified")]
    Verified,
}

impl Assurance {
    pub fn as_str(self) -> &'static str {
        match self {
            Assurance::SelfAsserted => "self-asserted",
            Assurance::VerifiedRemote => "verified-remote",
            Assurance::Verified => "verified",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "self-asserted" => Some(Assurance::SelfAsserted),
            "verified-remote" => Some(Assurance::VerifiedRemote),
            "verified" => Some(Assurance::Verified),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountStatus {
    /// Registered; the email address is not confirmed yet.
    Pending,
    Active,
    /// Locked by an operator.
    Locked,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Pending => "pending",
            AccountStatus::Active => "active",
            AccountStatus::Locked => "locked",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(AccountStatus::Pending),
            "active" => Some(AccountStatus::Active),
            "locked" => Some(AccountStatus::Locked),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub given_name: String,
    pub family_name: String,
    /// YYYY-MM-DD
    pub birth_date: String,
    pub email: String,
    pub phone: String,
    pub language: String,
}

#[derive(Debug, Clone)]
pub struct Account {
    pub id: AccountId,
    pub national_id: NationalId,
    pub profile: Profile,
    pub assurance: Assurance,
    pub status: AccountStatus,
    pub password_hash: Option<String>,
    pub created_at: i64,
}

/// RFC 8176 authentication method reference values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Amr {
    Pwd,
    Otp,
    Mfa,
    Sc,
    Hwk,
    Swk,
    Pin,
    Fpt,
    Face,
    /// User presence test (a passkey's touch or confirmation).
    User,
}

impl Amr {
    pub fn as_str(self) -> &'static str {
        match self {
            Amr::Pwd => "pwd",
            Amr::Otp => "otp",
            Amr::Mfa => "mfa",
            Amr::Sc => "sc",
            Amr::Hwk => "hwk",
            Amr::Swk => "swk",
            Amr::Pin => "pin",
            Amr::Fpt => "fpt",
            Amr::Face => "face",
            Amr::User => "user",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            Amr::Pwd,
            Amr::Otp,
            Amr::Mfa,
            Amr::Sc,
            Amr::Hwk,
            Amr::Swk,
            Amr::Pin,
            Amr::Fpt,
            Amr::Face,
            Amr::User,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
    pub fn join(amr: &[Amr]) -> String {
        amr.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(" ")
    }
    pub fn split(s: &str) -> Vec<Amr> {
        s.split_whitespace().filter_map(Amr::parse).collect()
    }
}

/// An SSO session as stored (the secret itself is never stored, only its digest).
#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: String,
    pub account_id: AccountId,
    pub level: Level,
    pub amr: Vec<Amr>,
    pub auth_time: i64,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub idle_expires_at: i64,
    pub expires_at: i64,
    /// What the grants it gives e-services are filed under: the `id_hash` of the first session
    /// in this browser's run of logins by the same citizen (a re-login or step-up hands it on),
    /// so a logout reaches every e-service the browser signed in to. The `sid` of ID and
    /// logout tokens derives from it, so it stays the same across those logins too.
    pub chain: String,
    /// The browser's user agent (at most 200 characters) and address at login, for the
    /// citizen's list of sessions; empty in rows written before schema 12.
    pub user_agent: String,
    pub ip: String,
    /// The organisation the login's certificate was issued for (an organisation certificate
    /// at an e-signature login); none for every other login, a later re-login included.
    pub organization: Option<Organization>,
}

/// An organisation as a certificate names it: its `organizationIdentifier` (ETSI EN 319 412-1:
/// `NTRMD-1003600012345` — the national trade register of Moldova, then the IDNO) and name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Organization {
    pub identifier: String,
    pub name: String,
}

impl Organization {
    /// The registration number without its register and country (`NTRMD-1003600012345` →
    /// `1003600012345`, the IDNO); an identifier in no such form, whole.
    pub fn number(&self) -> &str {
        let id = self.identifier.as_str();
        match id.split_once('-') {
            Some((prefix, number))
                if prefix.len() == 5
                    && prefix.bytes().all(|b| b.is_ascii_uppercase())
                    && !number.is_empty() =>
            {
                number
            }
            _ => id,
        }
    }
}

/// A TOTP authenticator: the sealed seed and the last step accepted.
#[derive(Debug, Clone)]
pub struct TotpCredential {
    pub sealed_secret: Vec<u8>,
    pub last_step: i64,
    pub created_at: i64,
}

/// An email waiting in the database outbox. `params` fill the locale message `mail-<kind>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub id: String,
    pub to: String,
    pub language: String,
    pub kind: String,
    pub params: Vec<(String, String)>,
}

/// One row of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub kind: String,
    pub account_id: Option<String>,
    pub ip: Option<String>,
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub seq: i64,
    pub at: i64,
    pub event: AuditEvent,
    pub prev_hash: String,
    pub hash: String,
}

/// A throttle counter: consecutive failures and when the last one happened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Throttle {
    pub failures: i64,
    pub last_failure_at: i64,
}

#[cfg(test)]
mod tests {
    use super::Organization;

    #[test]
    fn an_organisations_number_is_its_identifier_without_register_and_country() {
        let org = |id: &str| Organization {
            identifier: id.into(),
            name: String::new(),
        };
        assert_eq!(org("NTRMD-1003600012345").number(), "1003600012345");
        assert_eq!(org("VATRO-RO123").number(), "RO123");
        // Not in ETSI's form: kept whole.
        assert_eq!(org("1003600012345").number(), "1003600012345");
        assert_eq!(org("ntrmd-1").number(), "ntrmd-1");
        assert_eq!(org("NTRMD-").number(), "NTRMD-");
    }
}
