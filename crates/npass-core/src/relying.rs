//! E-services that rely on npass, whatever protocol they speak: one registry entry with the
//! protocol's settings as a variant (OpenID Connect, SAML 2.0), and the one function that
//! decides what an e-service receives about a citizen. Protocols map what it releases onto
//! their own names (OIDC claims, SAML attributes); neither decides it.

use crate::ids::ClientId;
use data_encoding::BASE64URL_NOPAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;

use crate::model::{Account, AccountStatus, Level};

/// A registered e-service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EService {
    /// Its id in the registry: the OpenID Connect `client_id`.
    pub client_id: ClientId,
    pub name: String,
    /// The least level a login for it must reach.
    pub min_level: Level,
    /// What it may ask for (OIDC scopes; the SAML attribute sets will map onto them).
    pub scopes: Vec<String>,
    /// Entitled to the national identifier.
    pub national_id_claim: bool,
    /// Entitled to the citizen's picture (`picture` with the `profile` scope).
    pub picture_claim: bool,
    /// Pairwise subjects are derived for this sector (empty: the e-service's own id).
    pub pairwise_sector: String,
    pub disabled: bool,
    pub created_at: i64,
    pub protocol: Protocol,
    /// Whether logins for an organisation or a mandator are taken (design note 0019).
    pub contexts: crate::acting::ContextPolicy,
}

/// The protocol an e-service speaks, with its settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Protocol {
    Oidc(OidcClient),
    Saml(SamlSp),
}

/// A SAML service provider's settings (design note 0016). Which attributes it receives maps
/// onto the e-service's scopes (`saml_scopes`), so consent and release are OpenID Connect's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlSp {
    pub entity_id: String,
    /// Where responses go (HTTP-POST); the first is the default.
    pub acs_urls: Vec<String>,
    /// Where logout messages go (empty: the service takes no single logout).
    pub slo_url: String,
    /// It takes logout messages over HTTP-Redirect (else HTTP-POST, MPass's binding).
    pub slo_redirect: bool,
    /// The certificates (DER) its requests and logout messages are signed with: several while
    /// it rotates its key.
    pub certificates: Vec<Vec<u8>>,
    /// The certificate (DER) assertions are encrypted to, when it asks for encryption.
    pub encryption_certificate: Option<Vec<u8>>,
    pub sign_assertions: bool,
    /// Assertions go encrypted to `encryption_certificate` (design note 0018).
    pub encrypt_assertions: bool,
    /// Its toolkit decrypts AES-CBC only (its metadata lists CBC and not GCM).
    pub encryption_cbc: bool,
    /// How responses are signed: RSA-SHA256 (`RS256`, the default) or ECDSA-SHA256 (`ES256`).
    pub alg: SigningAlg,
    /// The MPass attribute names it receives, in the order registered.
    pub attributes: Vec<String>,
}

/// MPass's attribute names, and the scope each belongs to: what a SAML service registered for
/// them may receive (its `scopes`), consented to as an OpenID Connect client's would be.
/// `NameIdentifier` is the NameID itself (the national identifier, for entitled services).
pub const SAML_ATTRIBUTES: &[(&str, &str)] = &[
    ("FirstName", "profile"),
    ("LastName", "profile"),
    ("BirthDate", "profile"),
    ("Gender", "profile"),
    ("Language", "profile"),
    ("IsResident", "profile"),
    ("EmailAddress", "email"),
    ("MobilePhone", "phone"),
    ("NameIdentifier", "national_id"),
    // Only when the login was made with an organisation's certificate, as under MPass.
    ("IDNO", "organization"),
    ("CompanyName", "organization"),
    // Every organisation the citizen administers, as MPass sends them: "Name IDNO".
    ("AdministeredLegalEntity", "organization"),
    // The citizen's roles at this e-service (design note 0019), one value each.
    ("Role", "roles"),
];

/// The attributes a SAML service gets when it is registered without a list.
pub const SAML_DEFAULT_ATTRIBUTES: &[&str] = &[
    "FirstName",
    "LastName",
    "BirthDate",
    "Language",
    "EmailAddress",
];

/// The scopes a SAML service's attributes stand for (`openid` first, as for every e-service).
pub fn saml_scopes(attributes: &[String], national_id: bool) -> Vec<String> {
    let mut scopes = vec!["openid".to_owned()];
    for a in attributes {
        if let Some((_, s)) = SAML_ATTRIBUTES.iter().find(|(n, _)| n == a)
            && !scopes.iter().any(|x| x == s)
        {
            scopes.push((*s).to_owned());
        }
    }
    if national_id && !scopes.iter().any(|x| x == "national_id") {
        scopes.push("national_id".to_owned());
    }
    scopes
}

/// An OpenID Connect client's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcClient {
    /// SHA-256 of the client secret (hex); none for `private_key_jwt`.
    pub secret_hash: Option<String>,
    pub auth: ClientAuth,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub backchannel_logout_uri: String,
    /// Authorisation requests must be pushed first (RFC 9126).
    pub require_par: bool,
    /// Its public keys, for `private_key_jwt` client authentication.
    pub jwks: Option<Value>,
    /// Where its public keys are published, for `private_key_jwt` (instead of `jwks`).
    pub jwks_uri: String,
    /// How its ID and logout tokens are signed.
    pub id_token_alg: SigningAlg,
}

impl EService {
    /// Its OpenID Connect settings, when it is an OpenID Connect client.
    pub fn oidc(&self) -> Option<&OidcClient> {
        match &self.protocol {
            Protocol::Oidc(o) => Some(o),
            Protocol::Saml(_) => None,
        }
    }

    pub fn oidc_mut(&mut self) -> Option<&mut OidcClient> {
        match &mut self.protocol {
            Protocol::Oidc(o) => Some(o),
            Protocol::Saml(_) => None,
        }
    }

    /// Its SAML settings, when it is a SAML service provider.
    pub fn saml(&self) -> Option<&SamlSp> {
        match &self.protocol {
            Protocol::Saml(s) => Some(s),
            Protocol::Oidc(_) => None,
        }
    }
}

/// How an OpenID Connect client authenticates at the token, revocation and introspection
/// endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    ClientSecretBasic,
    PrivateKeyJwt,
}

impl ClientAuth {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientAuth::ClientSecretBasic => "client_secret_basic",
            ClientAuth::PrivateKeyJwt => "private_key_jwt",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "client_secret_basic" => Some(ClientAuth::ClientSecretBasic),
            "private_key_jwt" => Some(ClientAuth::PrivateKeyJwt),
            _ => None,
        }
    }
}

/// The algorithms npass signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub enum SigningAlg {
    #[default]
    #[serde(rename = "ES256")]
    Es256,
    #[serde(rename = "RS256")]
    Rs256,
}

impl SigningAlg {
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::Es256 => "ES256",
            SigningAlg::Rs256 => "RS256",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ES256" => Some(SigningAlg::Es256),
            "RS256" => Some(SigningAlg::Rs256),
            _ => None,
        }
    }
}

/// What npass may tell an e-service about a citizen. Each protocol names them its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attribute {
    /// The citizen's pairwise identifier at this e-service (never the same at two sectors).
    Subject,
    IdentityAssurance,
    GivenName,
    FamilyName,
    BirthDate,
    Language,
    /// Where the e-service may fetch the citizen's picture with its access token.
    Picture,
    Email,
    EmailVerified,
    Phone,
    NationalId,
    NationalIdScheme,
    /// The citizen's roles at this e-service (design note 0019), current when released.
    Roles,
}

/// A released attribute's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Released {
    Text(String),
    Flag(bool),
    /// A path on npass's own address (each protocol makes it absolute).
    Path(&'static str),
    /// Several values (an e-service's roles).
    List(Vec<String>),
}

/// Where an e-service fetches a citizen's picture (with the access token it was given).
pub const PICTURE_PATH: &str = "/userinfo/picture";

/// The attributes e-service `e` receives for `scope`, in a fixed order: what is shared is decided
/// here for every protocol (the scope it asked for and was consented to, what it is entitled to,
/// what the account holds). Values are not computed.
pub fn attributes(e: &EService, account: &Account, scope: &[String]) -> Vec<Attribute> {
    let has = |s: &str| scope.iter().any(|x| x == s);
    let mut out = vec![Attribute::Subject, Attribute::IdentityAssurance];
    if has("profile") {
        out.extend([Attribute::GivenName, Attribute::FamilyName]);
        if !account.profile.birth_date.is_empty() {
            out.push(Attribute::BirthDate);
        }
        out.push(Attribute::Language);
        if e.picture_claim {
            out.push(Attribute::Picture);
        }
    }
    if has("email") {
        out.extend([Attribute::Email, Attribute::EmailVerified]);
    }
    if has("phone") && !account.profile.phone.is_empty() {
        out.push(Attribute::Phone);
    }
    if has("national_id") && e.national_id_claim {
        out.extend([Attribute::NationalId, Attribute::NationalIdScheme]);
    }
    if has("roles") {
        out.push(Attribute::Roles);
    }
    out
}

/// `attributes` with their values; the subject is derived under `pairwise_key`; `roles` are
/// the citizen's roles at `e` now (the caller reads them: they change without a login).
pub fn release(
    pairwise_key: &[u8; 32],
    e: &EService,
    account: &Account,
    scope: &[String],
    roles: &[String],
) -> Vec<(Attribute, Released)> {
    let text = |s: &str| Released::Text(s.to_owned());
    attributes(e, account, scope)
        .into_iter()
        .map(|a| {
            let v = match a {
                Attribute::Subject => {
                    Released::Text(pairwise_subject(pairwise_key, e, &account.id))
                }
                Attribute::IdentityAssurance => text(account.assurance.as_str()),
                Attribute::GivenName => text(&account.profile.given_name),
                Attribute::FamilyName => text(&account.profile.family_name),
                Attribute::BirthDate => text(&account.profile.birth_date),
                Attribute::Language => text(&account.profile.language),
                Attribute::Picture => Released::Path(PICTURE_PATH),
                Attribute::Email => text(&account.profile.email),
                Attribute::EmailVerified => Released::Flag(account.status == AccountStatus::Active),
                Attribute::Phone => text(&account.profile.phone),
                Attribute::NationalId => text(&account.national_id.value),
                Attribute::NationalIdScheme => text(account.national_id.scheme.as_str()),
                Attribute::Roles => Released::List(roles.to_vec()),
            };
            (a, v)
        })
        .collect()
}

/// The pairwise subject identifier of account `account_id` at e-service `e` (its sector, or
/// its client id): an HMAC under a key derived from the master key.
pub fn pairwise_subject(key: &[u8; 32], e: &EService, account_id: &str) -> String {
    let sector = if e.pairwise_sector.is_empty() {
        e.client_id.as_str()
    } else {
        &e.pairwise_sector
    };
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(sector.as_bytes());
    mac.update(b"\0");
    mac.update(account_id.as_bytes());
    BASE64URL_NOPAD.encode(&mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Assurance, Profile};
    use crate::national_id::{NationalId, Scheme};

    fn service(id: &str, sector: &str, national_id: bool) -> EService {
        EService {
            client_id: id.into(),
            name: "Tax portal".into(),
            min_level: Level::Low,
            scopes: vec!["openid".into()],
            national_id_claim: national_id,
            picture_claim: false,
            pairwise_sector: sector.into(),
            disabled: false,
            created_at: 0,
            contexts: Default::default(),
            protocol: Protocol::Oidc(OidcClient {
                secret_hash: None,
                auth: ClientAuth::PrivateKeyJwt,
                redirect_uris: vec![],
                post_logout_redirect_uris: vec![],
                backchannel_logout_uri: String::new(),
                require_par: false,
                jwks: None,
                jwks_uri: String::new(),
                id_token_alg: SigningAlg::Es256,
            }),
        }
    }

    fn citizen(phone: &str) -> Account {
        Account {
            id: "acc-1".into(),
            national_id: NationalId {
                scheme: Scheme::MdIdnp,
                value: "2000000000004".into(),
            },
            profile: Profile {
                given_name: "Ion".into(),
                family_name: "Popescu".into(),
                birth_date: String::new(),
                email: "ion@example.md".into(),
                phone: phone.into(),
                language: "ro".into(),
            },
            assurance: Assurance::Verified,
            status: AccountStatus::Active,
            password_hash: None,
            created_at: 0,
        }
    }

    #[test]
    fn what_is_released_follows_scope_entitlement_and_the_account() {
        let scope: Vec<String> = ["openid", "profile", "phone", "national_id"]
            .map(String::from)
            .to_vec();
        let plain = service("es_a", "", false);
        assert_eq!(
            attributes(&plain, &citizen(""), &scope),
            vec![
                Attribute::Subject,
                Attribute::IdentityAssurance,
                Attribute::GivenName,
                Attribute::FamilyName,
                Attribute::Language,
            ],
            "no birth date or phone on the account, no entitlement to the identifier"
        );
        let entitled = service("es_b", "", true);
        let got = release(&[1; 32], &entitled, &citizen("+37360000000"), &scope, &[]);
        assert!(got.contains(&(Attribute::Phone, Released::Text("+37360000000".into()))));
        assert!(got.contains(&(
            Attribute::NationalId,
            Released::Text("2000000000004".into())
        )));
        assert!(
            !attributes(&entitled, &citizen(""), &["openid".into()])
                .contains(&Attribute::NationalId)
        );
        // Roles only under their scope, as the caller read them.
        let roles = vec!["clerk".to_string()];
        let with: Vec<String> = ["openid", "roles"].map(String::from).to_vec();
        assert!(
            release(&[1; 32], &plain, &citizen(""), &with, &roles)
                .contains(&(Attribute::Roles, Released::List(roles.clone())))
        );
        assert!(
            !release(&[1; 32], &plain, &citizen(""), &scope, &roles)
                .iter()
                .any(|(a, _)| *a == Attribute::Roles)
        );
    }

    #[test]
    fn subjects_are_pairwise_by_sector() {
        let key = [9; 32];
        let a = pairwise_subject(&key, &service("es_a", "", false), "acc-1");
        let b = pairwise_subject(&key, &service("es_b", "", false), "acc-1");
        let a2 = pairwise_subject(&key, &service("es_c", "es_a", false), "acc-1");
        assert_ne!(a, b);
        assert_eq!(a, a2, "one sector, one subject");
        assert_ne!(
            a,
            pairwise_subject(&[8; 32], &service("es_a", "", false), "acc-1")
        );
    }
}
