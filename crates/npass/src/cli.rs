//! Command line: `serve`, `check-config`, `migrate`, `citizen …`.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use npass_core::admin::NewCitizen;
use npass_core::clock::{SystemClock, format_utc};
use npass_core::login::Client;
use npass_core::model::Account;
use serde_json::json;
use tokio::sync::watch;

use crate::app::App;
use crate::config::Config;
use npass_web::routes::admin::eservice_json;

#[derive(Parser)]
#[command(
    name = "npass",
    version,
    about = "npass — national authentication and access-control service"
)]
pub struct Cli {
    /// Configuration file (TOML). NPASS_* environment variables override it.
    #[arg(long, global = true, env = "NPASS_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per run; boxing the e-service variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
pub enum Command {
    /// Run the server (with no configuration: dev mode on 127.0.0.1:8080, SQLite in ./npass-data).
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080 (overrides `listen`).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Run npass with a demo e-service (a "tax portal" on a second port) that logs in with it.
    Demo {
        /// Address for npass (overrides `listen`).
        #[arg(long)]
        listen: Option<String>,
        /// Address for the demo tax portal.
        #[arg(long, default_value = "127.0.0.1:8081")]
        demo_listen: String,
    },
    /// Check the configuration and print every problem.
    CheckConfig,
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Manage citizen accounts.
    Citizen {
        #[command(subcommand)]
        action: CitizenCmd,
    },
    /// Organisations (legal entities) and the people who act for them.
    Org {
        #[command(subcommand)]
        action: OrgCmd,
    },
    /// Manage e-services (OpenID Connect clients).
    Eservice {
        #[command(subcommand)]
        action: EserviceCmd,
    },
    /// Token signing keys.
    Keys {
        #[command(subcommand)]
        action: KeysCmd,
    },
}

#[derive(Subcommand)]
pub enum OrgCmd {
    /// Add an organisation to the register (or rename it), optionally naming administrators.
    Add {
        /// Its IDNO (13 digits, with the IDNP's check digit).
        #[arg(long)]
        idno: String,
        #[arg(long)]
        name: String,
        /// A citizen, by national identifier, who administers it (repeat).
        #[arg(long = "admin")]
        admins: Vec<String>,
    },
    /// Import the national register's CSV export (`idno,name`, RFC 4180); one bad line imports
    /// nothing.
    Import { file: PathBuf },
    /// An organisation and its standing members.
    Show { idno: String },
    /// End a citizen's administration or representation of an organisation; prints it.
    Remove {
        #[arg(long)]
        idno: String,
        /// The member, by national identifier.
        #[arg(long)]
        national_id: String,
    },
}

/// An operator command's answer: its JSON on stdout, or why not (exit 1); the store closed.
async fn print_json(
    app: &App,
    out: Result<serde_json::Value, npass_core::Error>,
) -> Result<(), (i32, String)> {
    let out = out.map_err(|e| (1, explain(app, &e)));
    app.store.close().await;
    println!(
        "{}",
        serde_json::to_string_pretty(&out?).unwrap_or_default()
    );
    Ok(())
}

async fn org_cmd(app: &App, action: OrgCmd) -> Result<serde_json::Value, npass_core::Error> {
    let op = operator();
    let orgs = &app.core.orgs;
    let idno = match action {
        OrgCmd::Add { idno, name, admins } => {
            orgs.register(&idno, &name, &op).await?;
            for national_id in &admins {
                orgs.add_admin_by_operator(&idno, national_id, &op).await?;
            }
            idno
        }
        OrgCmd::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|_| npass_core::Error::invalid("csv", "org-csv-file"))?;
            let n = orgs.import(&text, &op).await?;
            return Ok(json!({ "imported": n }));
        }
        OrgCmd::Show { idno } => idno,
        OrgCmd::Remove { idno, national_id } => {
            orgs.remove_by_operator(&idno, &national_id, &op).await?;
            idno
        }
    };
    let org = orgs.find(&idno).await?;
    let mut members = Vec::new();
    for (m, a) in orgs.members_named(&idno).await? {
        members.push(json!({
            "national_id": a.national_id.value,
            "kind": m.kind.as_str(),
            "roles": m.roles,
            "until": m.expires_at.map(format_utc),
        }));
    }
    Ok(json!({ "id": org.id, "idno": org.number, "name": org.name, "members": members }))
}

#[derive(Subcommand)]
pub enum KeysCmd {
    /// List the signing keys and when the replaced ones leave the JWKS.
    List,
    /// A new signing key takes over; the old ones stay published for an hour, so no valid token
    /// fails.
    Rotate,
}

async fn keys_cmd(app: &App, action: KeysCmd) -> Result<serde_json::Value, npass_core::Error> {
    if let KeysCmd::Rotate = action {
        app.core.keys.rotate(&operator()).await?;
    }
    let keys = app.core.store.signing_keys().await?;
    Ok(json!(
        keys.iter()
            .map(|k| json!({
                "kid": k.kid,
                "alg": k.alg,
                "created_at": format_utc(k.created_at),
                "retire_at": k.retire_at.map(format_utc),
                "signing": k.retire_at.is_none(),
            }))
            .collect::<Vec<_>>()
    ))
}

// Parsed once per run; boxing the big variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
pub enum EserviceCmd {
    /// Register an e-service; prints it as JSON with `client_id` and, once, `client_secret`.
    /// With `--saml-metadata` (or `--saml-entity-id`) it is a SAML service provider.
    Add {
        #[arg(long)]
        name: String,
        /// Exact redirect URI (repeat for several); OpenID Connect.
        #[arg(long = "redirect-uri", required_unless_present_any = ["saml_metadata", "saml_entity_id"])]
        redirect_uris: Vec<String>,
        /// SAML: the service provider's metadata, a file or an https URL.
        #[arg(long)]
        saml_metadata: Option<String>,
        /// SAML, without metadata: its entity id (with `--acs-url` and `--saml-cert`).
        #[arg(long)]
        saml_entity_id: Option<String>,
        /// SAML: an assertion consumer service URL (HTTP-POST; repeat for several).
        #[arg(long = "acs-url")]
        acs_urls: Vec<String>,
        /// SAML: its single logout URL.
        #[arg(long, default_value = "")]
        slo_url: String,
        /// SAML: the binding `--slo-url` takes.
        #[arg(long, default_value = "post", value_parser = ["post", "redirect"])]
        slo_binding: String,
        /// SAML: a certificate its requests are signed with (`.cer` or PEM; repeat).
        #[arg(long = "saml-cert")]
        saml_certs: Vec<PathBuf>,
        /// SAML: sign the assertion too (the response is always signed).
        #[arg(long)]
        sign_assertions: bool,
        /// SAML: encrypt the assertion to the service's encryption certificate (its metadata's,
        /// or `--saml-encryption-cert`).
        #[arg(long)]
        encrypt_assertions: bool,
        /// SAML: the certificate assertions are encrypted to (`.cer` or PEM; an RSA key).
        #[arg(long)]
        saml_encryption_cert: Option<PathBuf>,
        /// SAML: an MPass attribute it receives (repeat): FirstName, LastName, BirthDate,
        /// Gender, Language, IsResident, EmailAddress, MobilePhone, NameIdentifier, IDNO,
        /// CompanyName.
        #[arg(long = "attribute")]
        attributes: Vec<String>,
        /// SAML: how responses are signed: RS256 (RSA-SHA256, default) or ES256.
        #[arg(long)]
        signature_alg: Option<String>,
        #[arg(long = "post-logout-redirect-uri")]
        post_logout_redirect_uris: Vec<String>,
        #[arg(long, default_value = "")]
        backchannel_logout_uri: String,
        /// low, substantial or high
        #[arg(long, default_value = "low")]
        min_level: String,
        /// Scopes it may ask for (repeat): openid, profile, email, phone, national_id.
        #[arg(long = "scope")]
        scopes: Vec<String>,
        #[arg(long, default_value = "client_secret_basic")]
        auth: String,
        #[arg(long, default_value = "")]
        pairwise_sector: String,
        /// Entitled to the national identifier (the `national_id` scope).
        #[arg(long)]
        national_id_claim: bool,
        /// Entitled to the citizen's picture (with the `profile` scope).
        #[arg(long)]
        picture_claim: bool,
        /// Accept only pushed authorisation requests (RFC 9126).
        #[arg(long)]
        require_par: bool,
        /// A JSON Web Key Set file with the e-service's public keys (for `--auth private_key_jwt`).
        #[arg(long)]
        jwks: Option<PathBuf>,
        /// Where the e-service publishes its JWKS (instead of `--jwks`).
        #[arg(long, default_value = "")]
        jwks_uri: String,
        /// How its ID tokens are signed: ES256 (default) or RS256.
        #[arg(long)]
        id_token_alg: Option<String>,
        /// It takes logins for an organisation the person administers or represents.
        #[arg(long, alias = "organisations")]
        organizations: bool,
        /// It takes delegated logins: for a citizen whose mandate the person holds.
        #[arg(long)]
        mandates: bool,
        /// A context every login must have: `organization` or `mandator` (default: none).
        #[arg(long, default_value = "none")]
        require_context: String,
    },
    /// List e-services.
    List,
    /// Show one e-service.
    Show { client_id: String },
    /// Switch an e-service off: no new logins, its tokens stop working at userinfo.
    Disable { client_id: String },
    /// Switch it on again.
    Enable { client_id: String },
    /// Make a new client secret (printed once); the old one stops working.
    RotateSecret { client_id: String },
    /// An e-service's roles and the citizens who administer it (they grant the roles):
    /// declare roles and name administrators; prints both.
    Roles {
        client_id: String,
        /// A role it declares (repeat): 1–64 letters, digits, `.`, `_`, `-`.
        #[arg(long = "declare")]
        declare: Vec<String>,
        /// A citizen, by national identifier, who administers it (repeat).
        #[arg(long = "admin")]
        admins: Vec<String>,
        /// A citizen, by national identifier, who no longer administers it (repeat).
        #[arg(long = "remove-admin")]
        remove_admins: Vec<String>,
        /// Grant a declared role as the operator: `NATIONAL_ID=ROLE` (repeat); it holds until
        /// withdrawn.
        #[arg(long = "grant")]
        grants: Vec<String>,
        /// Withdraw a role: `NATIONAL_ID=ROLE` (repeat).
        #[arg(long = "withdraw")]
        withdrawals: Vec<String>,
        /// Retire a declared role (repeat): whoever holds it loses it at once.
        #[arg(long = "retire")]
        retire: Vec<String>,
    },
    /// Whether an e-service takes logins for an organisation (`--organizations true`) or, by a
    /// mandate, for another person (`--mandates true`), and whether it requires one
    /// (`--require organization|mandator|none`); prints the e-service. An option left out
    /// keeps its value.
    Contexts {
        client_id: String,
        #[arg(long, alias = "organisations")]
        organizations: Option<bool>,
        #[arg(long)]
        mandates: Option<bool>,
        #[arg(long)]
        require: Option<String>,
    },
}

async fn eservice_cmd(
    app: &App,
    action: EserviceCmd,
) -> Result<serde_json::Value, npass_core::Error> {
    let core = &app.core;
    let op = operator();
    Ok(match action {
        EserviceCmd::Add {
            name,
            saml_metadata,
            saml_entity_id,
            acs_urls,
            slo_url,
            slo_binding,
            saml_certs,
            sign_assertions,
            encrypt_assertions,
            saml_encryption_cert,
            attributes,
            signature_alg,
            min_level,
            pairwise_sector,
            national_id_claim,
            organizations,
            mandates,
            require_context,
            ..
        } if saml_metadata.is_some() || saml_entity_id.is_some() => {
            let contexts =
                npass_core::acting::ContextPolicy::new(organizations, mandates, &require_context)?;
            let metadata = match saml_metadata {
                Some(m) if m.starts_with("https://") || m.starts_with("http://") => Some(
                    crate::keyfetch::fetch_metadata(&m)
                        .await
                        .map_err(|_| npass_core::Error::invalid("metadata", "saml-metadata"))?,
                ),
                Some(f) => Some(
                    std::fs::read_to_string(&f)
                        .map_err(|_| npass_core::Error::invalid("metadata", "saml-metadata"))?,
                ),
                None => None,
            };
            let certificates = saml_certs
                .iter()
                .map(|f| {
                    std::fs::read(f)
                        .map_err(|_| npass_core::Error::invalid("certificate", "certificate"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let encryption_certificate = saml_encryption_cert
                .map(|f| {
                    std::fs::read(f).map_err(|_| {
                        npass_core::Error::invalid("encryption_certificate", "certificate")
                    })
                })
                .transpose()?;
            let min_level = npass_core::model::Level::parse(&min_level)
                .ok_or(npass_core::Error::invalid("min_level", "level-unknown"))?;
            let n = npass_core::saml::register::NewSamlService {
                name,
                metadata,
                entity_id: saml_entity_id.unwrap_or_default(),
                acs_urls,
                slo_url,
                slo_redirect: slo_binding == "redirect",
                certificates,
                encryption_certificate,
                sign_assertions,
                encrypt_assertions,
                alg: signature_alg,
                attributes,
                min_level: Some(min_level),
                national_id_claim,
                pairwise_sector,
                contexts,
            };
            eservice_json(&core.registry.add_saml_service(n, &op).await?, None)
        }
        EserviceCmd::Add {
            name,
            redirect_uris,
            post_logout_redirect_uris,
            backchannel_logout_uri,
            min_level,
            scopes,
            auth,
            pairwise_sector,
            national_id_claim,
            picture_claim,
            require_par,
            jwks,
            jwks_uri,
            id_token_alg,
            organizations,
            mandates,
            require_context,
            ..
        } => {
            let contexts =
                npass_core::acting::ContextPolicy::new(organizations, mandates, &require_context)?;
            let jwks = match jwks {
                Some(f) => Some(
                    std::fs::read_to_string(&f)
                        .ok()
                        .and_then(|t| serde_json::from_str(&t).ok())
                        .ok_or(npass_core::Error::invalid("jwks", "jwks"))?,
                ),
                None => None,
            };
            let min_level = npass_core::model::Level::parse(&min_level)
                .ok_or(npass_core::Error::invalid("min_level", "level-unknown"))?;
            let n = npass_core::oidc::flow::NewEService {
                name,
                redirect_uris,
                post_logout_redirect_uris,
                backchannel_logout_uri,
                min_level: Some(min_level),
                scopes,
                auth_method: auth,
                national_id_claim,
                picture_claim,
                pairwise_sector,
                require_par,
                jwks,
                jwks_uri,
                id_token_alg,
                contexts,
            };
            let (e, secret) = core.registry.add_eservice(n, &op).await?;
            eservice_json(&e, secret.as_deref())
        }
        EserviceCmd::List => {
            json!(
                core.store
                    .eservices()
                    .await?
                    .iter()
                    .map(|e| eservice_json(e, None))
                    .collect::<Vec<_>>()
            )
        }
        EserviceCmd::Show { client_id } => {
            eservice_json(&core.registry.eservice(&client_id).await?, None)
        }
        EserviceCmd::Disable { client_id } => eservice_json(
            &core
                .registry
                .set_eservice_disabled(&client_id, true, &op)
                .await?,
            None,
        ),
        EserviceCmd::Enable { client_id } => eservice_json(
            &core
                .registry
                .set_eservice_disabled(&client_id, false, &op)
                .await?,
            None,
        ),
        EserviceCmd::RotateSecret { client_id } => {
            let (e, secret) = core
                .registry
                .rotate_eservice_secret(&client_id, &op)
                .await?;
            eservice_json(&e, Some(&secret))
        }
        EserviceCmd::Contexts {
            client_id,
            organizations,
            mandates,
            require,
        } => {
            let change = (organizations, mandates, require.as_deref());
            eservice_json(
                &core
                    .registry
                    .set_eservice_contexts(&client_id, change, &op)
                    .await?,
                None,
            )
        }
        EserviceCmd::Roles {
            client_id,
            declare,
            admins,
            remove_admins,
            grants,
            withdrawals,
            retire,
        } => {
            if !declare.is_empty() {
                core.roles.declare(&client_id, &declare, &op).await?;
            }
            for national_id in &admins {
                core.roles
                    .add_admin_by_operator(&client_id, national_id, &op)
                    .await?;
            }
            for national_id in &remove_admins {
                core.roles
                    .remove_admin_by_operator(&client_id, national_id, &op)
                    .await?;
            }
            let pair = |s: &String| {
                s.split_once('=')
                    .map(|(n, r)| (n.trim().to_owned(), r.trim().to_owned()))
                    .ok_or(npass_core::Error::invalid("grant", "role-grant-form"))
            };
            for g in &grants {
                let (national_id, role) = pair(g)?;
                core.roles
                    .grant_by_operator(&client_id, &national_id, &role, None, &op)
                    .await?;
            }
            for w in &withdrawals {
                let (national_id, role) = pair(w)?;
                core.roles
                    .withdraw_by_operator(&client_id, &national_id, &role, &op)
                    .await?;
            }
            if !retire.is_empty() {
                core.roles.retire(&client_id, &retire, &op).await?;
            }
            let named: Vec<String> = core
                .roles
                .admins_named(&client_id)
                .await?
                .into_iter()
                .map(|a| a.national_id.value)
                .collect();
            let granted: Vec<serde_json::Value> = core
                .roles
                .grants_named(&client_id)
                .await?
                .into_iter()
                .map(|n| {
                    json!({"national_id": n.holder.national_id.value, "role": n.grant.role,
                        "until": n.grant.expires_at.map(format_utc)})
                })
                .collect();
            json!({
                "client_id": client_id,
                "roles": core.roles.declared(&client_id).await?,
                "admins": named,
                "grants": granted,
            })
        }
    })
}

#[derive(Subcommand)]
pub enum CitizenCmd {
    /// Add an active account; prints it as JSON.
    Add {
        #[arg(long)]
        national_id: String,
        #[arg(long)]
        given_name: String,
        #[arg(long)]
        family_name: String,
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "")]
        birth_date: String,
        #[arg(long, default_value = "")]
        phone: String,
        /// Preferred language (default: the deployment's first).
        #[arg(long)]
        language: Option<String>,
        /// Read the password from standard input (one line).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Show an account as JSON.
    Show { national_id: String },
    /// Lock an account: every session ends, the citizen is told.
    Lock { national_id: String },
    /// Unlock an account and clear its failed-login counters.
    Unlock { national_id: String },
    /// The mandates a citizen holds and has given; `--end ID` ends one first (repeat): it has
    /// no effect from that moment, and both citizens' histories say the operator ended it.
    Mandates {
        national_id: String,
        #[arg(long = "end")]
        end: Vec<String>,
    },
}

fn account_json(a: &Account) -> serde_json::Value {
    json!({
        "id": a.id,
        "national_id": a.national_id.value,
        "scheme": a.national_id.scheme.as_str(),
        "given_name": a.profile.given_name,
        "family_name": a.profile.family_name,
        "birth_date": a.profile.birth_date,
        "email": a.profile.email,
        "phone": a.profile.phone,
        "language": a.profile.language,
        "assurance": a.assurance.as_str(),
        "status": a.status.as_str(),
        "has_password": a.password_hash.is_some(),
        "created_at": format_utc(a.created_at),
    })
}

fn operator() -> Client {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    Client {
        ip: "cli".into(),
        user_agent: format!("npass-cli:{user}"),
    }
}

pub fn load(cli: &Cli) -> Result<Config, String> {
    Config::load(cli.config.as_deref(), std::env::vars())
}

/// Runs a command; the exit code is 0 on success, 1 on a failure (message on stderr), 2 on bad
/// configuration.
pub async fn run(cli: Cli) -> Result<(), (i32, String)> {
    let mut cfg = load(&cli).map_err(|e| (2, e))?;
    match cli.command {
        Command::CheckConfig => {
            cfg.validate().map_err(|p| (2, p.join("\n")))?;
            println!("configuration is valid");
            if let Err(why) = npass_core::passkey::RelyingParty::new(
                &cfg.public_url(),
                &cfg.identity.service_name,
                None,
            ) {
                println!("note: {why}");
            }
            Ok(())
        }
        Command::Migrate => {
            App::build(cfg, Arc::new(SystemClock))
                .await
                .map_err(|e| (1, e))?;
            println!("database is up to date");
            Ok(())
        }
        Command::Serve { listen } => {
            if let Some(l) = listen {
                cfg.listen = l;
            }
            serve(cfg, None).await.map_err(|e| (1, e))
        }
        Command::Demo {
            listen,
            demo_listen,
        } => {
            if let Some(l) = listen {
                cfg.listen = l;
            }
            serve(cfg, Some(demo_listen)).await.map_err(|e| (1, e))
        }
        Command::Keys { action } => {
            let app = App::build(cfg, Arc::new(SystemClock))
                .await
                .map_err(|e| (1, e))?;
            let out = keys_cmd(&app, action).await;
            print_json(&app, out).await
        }
        Command::Org { action } => {
            let app = App::build(cfg, Arc::new(SystemClock))
                .await
                .map_err(|e| (1, e))?;
            let out = org_cmd(&app, action).await;
            print_json(&app, out).await
        }
        Command::Eservice { action } => {
            let app = App::build(cfg, Arc::new(SystemClock))
                .await
                .map_err(|e| (1, e))?;
            let out = eservice_cmd(&app, action).await;
            print_json(&app, out).await
        }
        Command::Citizen { action } => {
            let app = App::build(cfg, Arc::new(SystemClock))
                .await
                .map_err(|e| (1, e))?;
            let core = &app.core;
            let out = match action {
                CitizenCmd::Mandates { national_id, end } => {
                    let out = citizen_mandates(&app, &national_id, &end).await;
                    return print_json(&app, out).await;
                }
                CitizenCmd::Add {
                    national_id,
                    given_name,
                    family_name,
                    email,
                    birth_date,
                    phone,
                    language,
                    password_stdin,
                } => {
                    let password = if password_stdin {
                        let mut s = String::new();
                        std::io::stdin()
                            .read_to_string(&mut s)
                            .map_err(|e| (1, e.to_string()))?;
                        Some(s.trim_end_matches(['\r', '\n']).to_owned())
                    } else {
                        None
                    };
                    let language = language.unwrap_or_else(|| app.i18n.default_lang().to_owned());
                    if app.i18n.find(&language).is_none() {
                        return Err((1, format!("language {language:?} is not enabled")));
                    }
                    let input = NewCitizen {
                        national_id,
                        given_name,
                        family_name,
                        birth_date,
                        email,
                        phone,
                        language,
                        password,
                    };
                    core.admin.add_citizen(input, &operator()).await
                }
                CitizenCmd::Show { national_id } => core.admin.find_citizen(&national_id).await,
                CitizenCmd::Lock { national_id } => {
                    core.admin
                        .set_citizen_locked(&national_id, true, &operator())
                        .await
                }
                CitizenCmd::Unlock { national_id } => {
                    core.admin
                        .set_citizen_locked(&national_id, false, &operator())
                        .await
                }
            };
            let account = out.map_err(|e| (1, explain(&app, &e)))?;
            println!(
                "{}",
                serde_json::to_string_pretty(&account_json(&account)).unwrap_or_default()
            );
            // Let the mail sender pick up any alert on the next `serve`; the outbox keeps it.
            app.store.close().await;
            Ok(())
        }
    }
}

/// A citizen's mandates for the operator, after ending those in `end` (each must be theirs).
async fn citizen_mandates(
    app: &App,
    national_id: &str,
    end: &[String],
) -> Result<serde_json::Value, npass_core::Error> {
    let mandates = &app.core.mandates;
    if !end.is_empty() {
        mandates
            .end_citizens_by_operator(national_id, end, &operator())
            .await?;
    }
    let (holds, given) = mandates.of_citizen(national_id).await?;
    let until = |ms| json!(format_utc(ms));
    Ok(npass_web::routes::admin::mandates_json(
        national_id,
        holds,
        given,
        until,
    ))
}

/// An English sentence for a core error, from the same locale text the pages use.
fn explain(app: &App, e: &npass_core::Error) -> String {
    let tr = npass_web::i18n::Tr::new(
        app.i18n.clone(),
        app.i18n.find("en").unwrap_or(app.i18n.default_lang()),
    );
    match e {
        npass_core::Error::NotFound => "no such account".into(),
        other => {
            let (field, msg) = npass_web::pages::field_message(&tr, other);
            if field.is_empty() {
                format!("{msg} ({other})")
            } else {
                format!("{field}: {msg}")
            }
        }
    }
}

/// Runs npass; with `demo`, also the demo tax portal on that address.
async fn serve(mut cfg: Config, demo: Option<String>) -> Result<(), String> {
    let dev = cfg.mode == crate::config::Mode::Dev;
    cfg.validate().map_err(|p| p.join("\n"))?;
    let listen = cfg.listen.clone();
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .map_err(|e| format!("listen {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    // Dev mode: the public URL follows the address actually bound (port 0 picks one).
    cfg.listen = addr.to_string();
    let app = App::build(cfg, Arc::new(SystemClock)).await?;
    let public = app.cfg.public_url();
    println!("npass listening on http://{addr} (public URL {public})");
    if dev {
        println!(
            "dev mode: data in {}, emails written to {}",
            app.cfg.data_dir.display(),
            app.cfg.outbox_dir().display()
        );
    }
    let (tx, rx) = watch::channel(false);
    if let Some(demo_listen) = demo {
        let demo_listener = tokio::net::TcpListener::bind(&demo_listen)
            .await
            .map_err(|e| format!("listen {demo_listen}: {e}"))?;
        let demo_addr = demo_listener.local_addr().map_err(|e| e.to_string())?;
        let base = format!("http://{demo_addr}");
        let (client_id, client_secret) = crate::demo::register(&app.core, &base).await?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        let d = crate::demo::Demo {
            issuer: public.clone(),
            base: base.clone(),
            client_id,
            client_secret,
            http,
        };
        println!("demo tax portal on {base} (open it and press \"Log in with npass\")");
        tokio::spawn(crate::demo::serve(demo_listener, d, rx.clone()));
    }
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        let _ = tx.send(true);
    });
    app.serve(listener, rx).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
