//! The one typed configuration: TOML file, then `NPASS_` environment variables (`__` for
//! nesting), then `*_file` variants for secrets. Unknown keys are rejected; `validate` runs at
//! start and in `npass check-config`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Try it out: generated keys, emails written to files, http allowed.
    #[default]
    Dev,
    Production,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub mode: Mode,
    /// Address to listen on.
    pub listen: String,
    /// The address citizens use. Dev mode: follows `listen` unless set. Production: https only.
    pub public_url: String,
    pub data_dir: PathBuf,
    pub database: DatabaseConfig,
    pub identity: IdentityConfig,
    pub languages: LanguagesConfig,
    pub password: PasswordConfig,
    pub session: SessionConfig,
    pub throttle: ThrottleConfig,
    pub mail: MailConfig,
    pub keys: KeysConfig,
    pub branding: BrandingConfig,
    pub registration: RegistrationConfig,
    pub http: HttpConfig,
    pub admin: AdminConfig,
    pub esign: EsignConfig,
    pub passkeys: PasskeysConfig,
    pub app: AppConfig,
    pub log: LogConfig,
}

/// The npass app (docs/app-protocol.md): when it asks for the phone's screen lock again.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AppConfig {
    /// An app left unused this long (after its 5-minute access token ran out) locks.
    pub idle_minutes: i64,
    /// However busy, the app asks for the screen lock at least this often.
    pub unlock_hours: i64,
    /// A native Android app on the same protocol: its package name and the SHA-256
    /// fingerprints of its signing certificates (`AA:BB:…`), served in
    /// `/.well-known/assetlinks.json` so it may use this site's passkeys and links.
    pub android_package: String,
    pub android_cert_sha256: Vec<String>,
    /// Native iOS apps (`TEAMID.bundle.id`), served in
    /// `/.well-known/apple-app-site-association`.
    pub ios_app_ids: Vec<String>,
    /// Web Push (docs/app-protocol.md): a P-256 private key (PKCS#8 PEM) that signs this
    /// deployment's requests to push services (VAPID). Unset: no push; the app lists requests
    /// when opened.
    pub vapid_key_file: Option<PathBuf>,
    /// The contact push services are given (`mailto:` or `https:`).
    pub vapid_subject: String,
    /// The push services devices may subscribe with (hosts, or parent domains of them).
    pub push_hosts: Vec<String>,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            idle_minutes: 5,
            unlock_hours: 12,
            android_package: String::new(),
            android_cert_sha256: Vec::new(),
            ios_app_ids: Vec::new(),
            vapid_key_file: None,
            vapid_subject: String::new(),
            push_hosts: [
                "fcm.googleapis.com",
                "push.services.mozilla.com",
                "push.apple.com",
                "notify.windows.com",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

impl AppConfig {
    /// The VAPID identity, when Web Push is configured.
    pub fn vapid(&self) -> Result<Option<crate::webpush::Vapid>, String> {
        use rustls_pki_types::pem::PemObject;
        let Some(f) = &self.vapid_key_file else {
            return Ok(None);
        };
        let der = rustls_pki_types::PrivatePkcs8KeyDer::from_pem_file(f)
            .map_err(|e| format!("{}: {e}", f.display()))?;
        crate::webpush::Vapid::from_pkcs8(der.secret_pkcs8_der(), &self.vapid_subject)
            .map(Some)
            .map_err(|e| format!("{}: {e}", f.display()))
    }

    /// What is wrong with the native apps' identities, if anything.
    fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        let fingerprint = |f: &str| {
            let parts: Vec<&str> = f.split(':').collect();
            parts.len() == 32
                && parts
                    .iter()
                    .all(|b| b.len() == 2 && b.chars().all(|c| c.is_ascii_hexdigit()))
        };
        if self.android_package.is_empty() != self.android_cert_sha256.is_empty() {
            p.push("app: android_package and android_cert_sha256 go together".into());
        }
        if !self.android_package.is_empty()
            && !self
                .android_package
                .split('.')
                .all(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        {
            p.push(format!(
                "app.android_package: {:?} is not a package name",
                self.android_package
            ));
        }
        for f in &self.android_cert_sha256 {
            if !fingerprint(f) {
                p.push(format!(
                    "app.android_cert_sha256: {f:?} is not 32 hex bytes like AA:BB:…"
                ));
            }
        }
        for id in &self.ios_app_ids {
            let ok = id.split_once('.').is_some_and(|(team, bundle)| {
                team.len() == 10
                    && team.chars().all(|c| c.is_ascii_alphanumeric())
                    && !bundle.is_empty()
                    && bundle
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            });
            if !ok {
                p.push(format!("app.ios_app_ids: {id:?} is not TEAMID.bundle.id"));
            }
        }
        p
    }
}

/// Passkeys (docs/passkeys.md). They are on wherever the public URL names a host; these
/// settings only decide which of them reach level high.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasskeysConfig {
    /// A PEM file of attestation roots (authenticator makers' CAs): a passkey whose
    /// attestation chains to one of them, with user verification, reaches level high.
    pub attestation_roots: Option<PathBuf>,
    /// The authenticator models (AAGUIDs) allowed under those roots; empty: all they attest.
    pub attested_aaguids: Vec<String>,
}

impl PasskeysConfig {
    pub fn attestation(&self) -> Result<Option<npass_core::passkey::AttestationPolicy>, String> {
        let Some(f) = &self.attestation_roots else {
            return Ok(None);
        };
        let roots_pem = std::fs::read(f).map_err(|e| format!("{}: {e}", f.display()))?;
        Ok(Some(npass_core::passkey::AttestationPolicy {
            roots_pem,
            aaguids: self.attested_aaguids.clone(),
        }))
    }
}

/// E-signature login (docs/esign.md). No roots: e-signature login is off (the dev default).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EsignConfig {
    /// PEM files with the national root CAs.
    pub roots: Vec<PathBuf>,
    /// PEM files with intermediate CAs (a presented chain may add its own).
    pub intermediates: Vec<PathBuf>,
    /// Accepted certificate policy OIDs; empty accepts any policy.
    pub policies: Vec<String>,
    /// CRLs (and authority revocation lists, for intermediate CAs) to read besides the
    /// distribution points in the chain's certificates.
    pub crl_urls: Vec<String>,
    /// SHA-256 fingerprints (hex) of CA certificates refused wherever they appear in a chain.
    pub denied_cas: Vec<String>,
    /// The largest CRL read, in MiB (a national CRL can be large; a larger one fails closed).
    pub crl_max_mib: u64,
    /// How long a CRL or OCSP fetch may take, in seconds.
    pub fetch_timeout_seconds: u64,
    /// Ask OCSP before the CRLs: the certificate's responder, or `ocsp_url`.
    pub ocsp: bool,
    pub ocsp_url: String,
    /// How the subject's serialNumber maps to an identifier: "SCHEME:PREFIX" (an empty prefix
    /// takes the plain number).
    pub identifiers: Vec<String>,
    /// The TLS listener that asks browsers for a client certificate (cards and tokens in the
    /// operating system's store). Empty: off.
    pub listen: String,
    /// Its server certificate chain and key (PEM).
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// The address browsers reach it at. Empty: `https://<listen>`.
    pub tls_url: String,
}

impl Default for EsignConfig {
    fn default() -> Self {
        EsignConfig {
            roots: Vec::new(),
            intermediates: Vec::new(),
            policies: Vec::new(),
            crl_urls: Vec::new(),
            denied_cas: Vec::new(),
            crl_max_mib: 32,
            fetch_timeout_seconds: 10,
            ocsp: false,
            ocsp_url: String::new(),
            identifiers: vec!["md-idnp:PNOMD-".into(), "md-idnp:".into()],
            listen: String::new(),
            tls_cert: None,
            tls_key: None,
            tls_url: String::new(),
        }
    }
}

impl EsignConfig {
    /// Where browsers reach the client-certificate listener, when it is on. Without
    /// `tls_url`, the listen address; an unspecified one (`0.0.0.0`, `[::]`) is no address a
    /// browser can use, so it stands for this machine's loopback (dev mode; production must set
    /// `tls_url`, `check-config` says so).
    pub fn tls_url(&self) -> Option<String> {
        if self.listen.is_empty() || self.roots.is_empty() {
            return None;
        }
        Some(if self.tls_url.is_empty() {
            match self.listen.parse::<std::net::SocketAddr>() {
                Ok(a) if a.ip().is_unspecified() => format!("https://127.0.0.1:{}", a.port()),
                _ => format!("https://{}", self.listen),
            }
        } else {
            self.tls_url.trim_end_matches('/').to_owned()
        })
    }

    /// `denied_cas` as fingerprints.
    fn denied(&self) -> Result<Vec<[u8; 32]>, String> {
        self.denied_cas
            .iter()
            .map(|h| {
                let clean: String = h
                    .chars()
                    .filter(|c| *c != ':' && !c.is_whitespace())
                    .collect();
                data_encoding::HEXLOWER_PERMISSIVE
                    .decode(clean.as_bytes())
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b).ok())
                    .ok_or_else(|| {
                        format!(
                            "esign.denied_cas: {h:?} is not a SHA-256 fingerprint (64 hex digits)"
                        )
                    })
            })
            .collect()
    }

    /// The trust the core verifies against, or `None` when no root is configured.
    pub fn trust(&self) -> Result<Option<npass_core::esign::Trust>, String> {
        if self.roots.is_empty() {
            return Ok(None);
        }
        let pems = |files: &[PathBuf]| -> Result<Vec<Vec<u8>>, String> {
            use rustls_pki_types::pem::PemObject;
            let mut out = Vec::new();
            for f in files {
                for c in rustls_pki_types::CertificateDer::pem_file_iter(f)
                    .map_err(|e| format!("esign: {}: {e}", f.display()))?
                {
                    out.push(
                        c.map_err(|e| format!("esign: {}: {e}", f.display()))?
                            .as_ref()
                            .to_vec(),
                    );
                }
            }
            Ok(out)
        };
        let mut identifiers = Vec::new();
        for rule in &self.identifiers {
            let (scheme, prefix) = rule.split_once(':').unwrap_or((rule, ""));
            let scheme = npass_core::national_id::Scheme::parse(scheme)
                .ok_or_else(|| format!("esign.identifiers: unknown scheme in {rule:?}"))?;
            identifiers.push(npass_core::esign::IdRule {
                scheme,
                prefix: prefix.to_owned(),
            });
        }
        let roots = pems(&self.roots)?;
        if roots.is_empty() {
            return Err("esign.roots: no certificate in the files".into());
        }
        Ok(Some(npass_core::esign::Trust {
            roots,
            intermediates: pems(&self.intermediates)?,
            policies: self.policies.clone(),
            crl_urls: self.crl_urls.clone(),
            ocsp: self.ocsp,
            ocsp_url: (!self.ocsp_url.is_empty()).then(|| self.ocsp_url.clone()),
            identifiers,
            denied_cas: self.denied()?,
        }))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminConfig {
    /// A file holding the admin API bearer token (at least 32 characters). Dev mode generates
    /// `<data_dir>/admin.token`; production without it has no admin API.
    pub token_file: Option<PathBuf>,
    /// The admin API's own listener; never the citizens' one. Empty: no admin API.
    pub listen: String,
}

impl Default for AdminConfig {
    fn default() -> Self {
        AdminConfig {
            token_file: None,
            listen: "127.0.0.1:8090".into(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            mode: Mode::Dev,
            listen: "127.0.0.1:8080".into(),
            public_url: String::new(),
            data_dir: PathBuf::from("npass-data"),
            database: DatabaseConfig::default(),
            identity: IdentityConfig::default(),
            languages: LanguagesConfig::default(),
            password: PasswordConfig::default(),
            session: SessionConfig::default(),
            throttle: ThrottleConfig::default(),
            mail: MailConfig::default(),
            keys: KeysConfig::default(),
            branding: BrandingConfig::default(),
            registration: RegistrationConfig::default(),
            http: HttpConfig::default(),
            admin: AdminConfig::default(),
            esign: EsignConfig::default(),
            passkeys: PasskeysConfig::default(),
            app: AppConfig::default(),
            log: LogConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://path` or `postgres://user:password@host/db`. Empty: SQLite in `data_dir`.
    pub url: String,
    pub url_file: Option<PathBuf>,
    pub max_connections: u32,
    /// SQLite only: sync to disk at every commit (survives power cuts, slower). Off, a killed
    /// process still loses nothing committed.
    pub sqlite_full_sync: bool,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: String::new(),
            url_file: None,
            max_connections: 8,
            sqlite_full_sync: false,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IdentityConfig {
    /// Accepted identifier schemes, most common first: `md-idnp`, `mu-nic`, `passport`.
    pub schemes: Vec<String>,
    /// The name Authenticator apps show; also a word passwords may not be built from.
    pub service_name: String,
    /// The country (ISO 3166 alpha-2) whose phone numbers citizens may write without `+`.
    pub phone_region: String,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig {
            schemes: vec!["md-idnp".into()],
            service_name: "npass".into(),
            phone_region: "MD".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LanguagesConfig {
    /// Enabled languages; the first is the default.
    pub enabled: Vec<String>,
}

impl Default for LanguagesConfig {
    fn default() -> Self {
        LanguagesConfig {
            enabled: vec!["ro".into(), "ru".into(), "en".into()],
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordConfig {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// A server-side secret mixed into every password hash.
    pub pepper_file: Option<PathBuf>,
    /// May a password alone log in (level low)? If not, passwords need only 8 characters.
    pub password_only_login: bool,
    /// How long an emailed "forgot password" link works (it works once).
    pub reset_link_minutes: i64,
}

impl Default for PasswordConfig {
    fn default() -> Self {
        PasswordConfig {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
            pepper_file: None,
            password_only_login: true,
            reset_link_minutes: 30,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionConfig {
    pub idle_minutes: i64,
    pub absolute_hours: i64,
    pub high_idle_minutes: i64,
    pub high_absolute_hours: i64,
    /// How recent a login must be to change how one logs in.
    pub fresh_login_minutes: i64,
    /// A list of address ranges and the places they stand for (`CIDR,place` a line), to show
    /// where each session was started; none: the address alone.
    pub places_file: Option<PathBuf>,
    /// A country database in Tor's text format (Debian's `tor-geoipdb`:
    /// `/usr/share/tor/geoip`), for the country of addresses `places_file` does not name.
    pub country_database: Option<PathBuf>,
    /// Its IPv6 part (`/usr/share/tor/geoip6`).
    pub country_database6: Option<PathBuf>,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            idle_minutes: 60,
            absolute_hours: 24,
            high_idle_minutes: 15,
            high_absolute_hours: 12,
            fresh_login_minutes: 15,
            places_file: None,
            country_database: None,
            country_database6: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ThrottleConfig {
    pub free_failures: i64,
    pub max_delay_seconds: i64,
    pub lock_after: i64,
    pub ip_max_failures: i64,
    pub ip_window_minutes: i64,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig {
            free_failures: 5,
            max_delay_seconds: 900,
            lock_after: 100,
            ip_max_failures: 20,
            ip_window_minutes: 1,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    pub from: String,
    /// `smtp://host:25`, `smtp://host:587?tls=required` (STARTTLS) or `smtps://host:465`, with
    /// optional `user@`. Empty: emails are written as files to `outbox_dir`.
    pub smtp_url: String,
    pub smtp_password_file: Option<PathBuf>,
    /// Where emails go when there is no SMTP server. Default: `<data_dir>/outbox`.
    pub outbox_dir: Option<PathBuf>,
    /// The longest one delivery may take, connection to the server's last answer; a slower
    /// one is abandoned and retried a minute later.
    pub delivery_timeout_seconds: u64,
    /// Deliveries under way at once, so one stuck server connection holds back no other mail.
    pub concurrent_deliveries: usize,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            from: "npass <no-reply@npass.invalid>".into(),
            smtp_url: String::new(),
            smtp_password_file: None,
            outbox_dir: None,
            delivery_timeout_seconds: 30,
            concurrent_deliveries: 4,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct KeysConfig {
    /// 32 random bytes, hex. Dev mode generates `<data_dir>/master.key`; production requires it.
    pub master_key_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BrandingConfig {
    pub authority: String,
    pub support_phone: String,
    pub support_email: String,
    /// The assistance centre's name, shown above its phone and email.
    pub support_name: String,
    /// The deployment's own pages for the footer's links; empty: npass's built-in ones.
    pub terms_url: String,
    pub privacy_url: String,
    pub accessibility_url: String,
    pub help_url: String,
    /// The integration procedure for e-services.
    pub integration_url: String,
    /// The time zone pages show times in (IANA name); empty: UTC.
    pub time_zone: String,
}

impl Default for BrandingConfig {
    fn default() -> Self {
        BrandingConfig {
            authority: String::new(),
            support_phone: String::new(),
            support_email: String::new(),
            support_name: String::new(),
            terms_url: String::new(),
            privacy_url: String::new(),
            accessibility_url: String::new(),
            help_url: String::new(),
            integration_url: String::new(),
            time_zone: "Europe/Chisinau".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegistrationConfig {
    /// Days a self-registration may stay unconfirmed before it is deleted (its identifier is
    /// then free to register again).
    pub unconfirmed_days: i64,
}

impl Default for RegistrationConfig {
    fn default() -> Self {
        RegistrationConfig {
            unconfirmed_days: 7,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    pub trust_forwarded_for: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// error, warn, info, debug, trace
    pub level: String,
    /// `text` or `json`
    pub format: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".into(),
            format: "text".into(),
        }
    }
}

/// Sets `path` (lower-case segments) in `table` to a value parsed as TOML where it can be, else
/// as a string.
fn set_path(table: &mut toml::Table, path: &[String], raw: &str) -> Result<(), String> {
    let Some((last, parents)) = path.split_last() else {
        return Ok(());
    };
    let mut t = table;
    for p in parents {
        let entry = t
            .entry(p.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        t = entry
            .as_table_mut()
            .ok_or_else(|| format!("{p} is not a section"))?;
    }
    let parsed = format!("v = {raw}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut tb| tb.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_owned()));
    t.insert(last.clone(), parsed);
    Ok(())
}

impl Config {
    /// File (if any), then `NPASS_*` variables from `env`.
    pub fn load(
        file: Option<&Path>,
        env: impl Iterator<Item = (String, String)>,
    ) -> Result<Self, String> {
        let mut table = match file {
            Some(f) => std::fs::read_to_string(f)
                .map_err(|e| format!("{}: {e}", f.display()))?
                .parse::<toml::Table>()
                .map_err(|e| format!("{}: {e}", f.display()))?,
            None => toml::Table::new(),
        };
        for (k, v) in env {
            let Some(rest) = k.strip_prefix("NPASS_") else {
                continue;
            };
            if rest == "CONFIG" || rest.starts_with("TEST_") {
                continue;
            }
            let path: Vec<String> = rest.split("__").map(|s| s.to_lowercase()).collect();
            set_path(&mut table, &path, &v)?;
        }
        let mut cfg: Config = table
            .try_into()
            .map_err(|e: toml::de::Error| format!("configuration: {e}"))?;
        if let Some(f) = cfg.database.url_file.clone() {
            cfg.database.url = read_secret(&f)?;
        }
        Ok(cfg)
    }

    /// Resolves defaults that depend on other keys.
    pub fn public_url(&self) -> String {
        if self.public_url.is_empty() {
            // On this machine: `localhost`, a secure context like 127.0.0.1 for browsers, and
            // a relying party id WebAuthn accepts (it refuses IP addresses): passkeys work.
            match self.listen.parse::<std::net::SocketAddr>() {
                Ok(a) if a.ip().is_loopback() => format!("http://localhost:{}", a.port()),
                _ => format!("http://{}", self.listen),
            }
        } else {
            self.public_url.trim_end_matches('/').to_owned()
        }
    }

    pub fn database_url(&self) -> String {
        if self.database.url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("npass.db").display())
        } else {
            self.database.url.clone()
        }
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.mail
            .outbox_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("outbox"))
    }

    /// Every rule a configuration must keep; all problems at once.
    /// The places of `session.places_file` (none configured: none).
    pub fn places(&self) -> Result<npass_web::Places, String> {
        match &self.session.places_file {
            None => Ok(Vec::new()),
            Some(f) => {
                let text =
                    std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
                npass_web::parse_places(&text)
            }
        }
    }

    /// The country database of `session.country_database` (none configured: none).
    pub fn countries(&self) -> Result<Option<npass_web::geoip::Countries>, String> {
        let Some(f) = &self.session.country_database else {
            return Ok(None);
        };
        let open = |f: &PathBuf| {
            std::fs::File::open(f)
                .map(std::io::BufReader::new)
                .map_err(|e| format!("{}: {e}", f.display()))
        };
        let count = |f: &PathBuf| {
            use std::io::BufRead;
            open(f).map(|r| r.lines().count())
        };
        let six = self.session.country_database6.as_ref();
        let lines = (count(f)?, six.map(count).transpose()?.unwrap_or(0));
        let v4 = open(f)?;
        let v6 = six.map(open).transpose()?;
        npass_web::geoip::Countries::read(v4, v6, lines).map(Some)
    }

    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut p = Vec::new();
        if self.listen.parse::<std::net::SocketAddr>().is_err() {
            p.push(format!(
                "listen: {:?} is not an address like 127.0.0.1:8080",
                self.listen
            ));
        }
        for s in &self.identity.schemes {
            if npass_core::national_id::Scheme::parse(s).is_none() {
                p.push(format!(
                    "identity.schemes: unknown scheme {s:?} (md-idnp, mu-nic, passport)"
                ));
            }
        }
        if self.identity.schemes.is_empty() {
            p.push("identity.schemes: at least one scheme".into());
        }
        if !npass_core::register::phone_region_known(&self.identity.phone_region) {
            p.push(format!(
                "identity.phone_region: {:?} is not a country code like MD or MU",
                self.identity.phone_region
            ));
        }
        if !self.branding.time_zone.is_empty()
            && let Err(e) = npass_web::time_zone(&self.branding.time_zone)
        {
            p.push(format!("branding.time_zone: {e}"));
        }
        if let Err(e) = self.places() {
            p.push(format!("session.places_file: {e}"));
        }
        for (name, f) in [
            ("session.country_database", &self.session.country_database),
            ("session.country_database6", &self.session.country_database6),
        ] {
            if let Some(f) = f
                && let Err(e) = std::fs::metadata(f)
            {
                p.push(format!("{name}: {}: {e}", f.display()));
            }
        }
        if self.session.country_database6.is_some() && self.session.country_database.is_none() {
            p.push("session.country_database6 needs session.country_database".into());
        }
        match self.passkeys.attestation() {
            Err(e) => p.push(format!("passkeys.attestation_roots: {e}")),
            Ok(Some(policy)) => {
                // The roots and models are checked as the server will read them.
                if let Err(e) = npass_core::passkey::RelyingParty::new(
                    "https://localhost",
                    "npass",
                    Some(&policy),
                ) {
                    p.push(e);
                }
            }
            Ok(None) => {}
        }
        if !(1..=90).contains(&self.registration.unconfirmed_days) {
            p.push("registration.unconfirmed_days: between 1 and 90".into());
        }
        if !(5..=24 * 60).contains(&self.password.reset_link_minutes) {
            p.push("password.reset_link_minutes: between 5 and 1440".into());
        }
        if let Err(e) = npass_web::I18n::new(&self.languages.enabled) {
            p.push(format!("languages.enabled: {e}"));
        }
        let url = self.database_url();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres:")
            || url.starts_with("postgresql:"))
        {
            p.push("database.url: sqlite://… or postgres://…".into());
        }
        let s = &self.session;
        if !(1..=60).contains(&s.idle_minutes) || !(1..=24).contains(&s.absolute_hours) {
            p.push("session: idle_minutes ≤ 60 and absolute_hours ≤ 24".into());
        }
        if !(1..=60).contains(&self.app.idle_minutes) || !(1..=24).contains(&self.app.unlock_hours)
        {
            p.push("app: idle_minutes ≤ 60 and unlock_hours ≤ 24".into());
        }
        p.extend(self.app.problems());
        if let Err(e) = self.app.vapid() {
            p.push(format!("app.vapid_key_file: {e}"));
        }
        if self.app.vapid_key_file.is_some()
            && !(self.app.vapid_subject.starts_with("mailto:")
                || self.app.vapid_subject.starts_with("https://"))
        {
            p.push("app.vapid_subject: a mailto: or https: contact push services can reach".into());
        }
        if !(1..=15).contains(&s.high_idle_minutes) || !(1..=12).contains(&s.high_absolute_hours) {
            p.push("session: high_idle_minutes ≤ 15 and high_absolute_hours ≤ 12".into());
        }
        if !self.admin.listen.is_empty()
            && self.admin.listen.parse::<std::net::SocketAddr>().is_err()
        {
            p.push(format!(
                "admin.listen: {:?} is not an address like 127.0.0.1:8090 (empty: no admin API)",
                self.admin.listen
            ));
        }
        if !self.admin.listen.is_empty()
            && self.admin.listen == self.listen
            && !self.listen.ends_with(":0")
        {
            p.push("admin.listen: the admin API needs a listener of its own, not listen's".into());
        }
        if !(1..120).contains(&self.mail.delivery_timeout_seconds) {
            p.push("mail.delivery_timeout_seconds: between 1 and 119 (a claim lasts 120 s)".into());
        }
        if !(1..=64).contains(&self.mail.concurrent_deliveries) {
            p.push("mail.concurrent_deliveries: between 1 and 64".into());
        }
        if let Err(e) = self.esign.denied() {
            p.push(e);
        }
        if !(1..=1024).contains(&self.esign.crl_max_mib) {
            p.push("esign.crl_max_mib: between 1 and 1024".into());
        }
        if !(1..=120).contains(&self.esign.fetch_timeout_seconds) {
            p.push("esign.fetch_timeout_seconds: between 1 and 120".into());
        }
        if !(1..=100).contains(&self.throttle.lock_after) {
            p.push("throttle.lock_after: between 1 and 100".into());
        }
        if self.mode == Mode::Production {
            if !self.public_url.starts_with("https://") {
                p.push("public_url: production needs an https:// public URL".into());
            }
            let e = &self.esign;
            if !self.password.password_only_login && e.roots.is_empty() {
                p.push(
                    "password.password_only_login: false needs esign.roots: without an \
                     e-signature login a citizen could never reach a session to set a first \
                     second factor"
                        .into(),
                );
            }
            if !e.listen.is_empty() && !e.roots.is_empty() && e.tls_url.is_empty() {
                p.push(
                    "esign.tls_url: production needs the https:// address browsers reach the \
                     client-certificate listener at (behind a TCP load balancer: the balancer's)"
                        .into(),
                );
            }
            if self.keys.master_key_file.is_none() {
                p.push("keys.master_key_file: production needs a master key file".into());
            }
            let pw = &self.password;
            if pw.memory_kib < 19 * 1024 || pw.iterations < 2 || pw.parallelism < 1 {
                p.push(
                    "password: production needs at least memory_kib = 19456, iterations = 2".into(),
                );
            }
        }
        if p.is_empty() { Ok(()) } else { Err(p) }
    }
}

pub fn read_secret(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_owned())
        .map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_card_listener_url_is_never_an_unspecified_address() {
        let mut e = EsignConfig {
            roots: vec![PathBuf::from("root.pem")],
            listen: "0.0.0.0:8443".into(),
            ..EsignConfig::default()
        };
        assert_eq!(e.tls_url().as_deref(), Some("https://127.0.0.1:8443"));
        e.listen = "[::]:8443".into();
        assert_eq!(e.tls_url().as_deref(), Some("https://127.0.0.1:8443"));
        e.listen = "192.0.2.10:8443".into();
        assert_eq!(e.tls_url().as_deref(), Some("https://192.0.2.10:8443"));
        e.tls_url = "https://card.npass.example.md/".into();
        assert_eq!(
            e.tls_url().as_deref(),
            Some("https://card.npass.example.md")
        );
    }

    #[test]
    fn env_overrides_and_unknown_keys() {
        let env = vec![
            ("NPASS_LISTEN".to_string(), "127.0.0.1:9999".to_string()),
            (
                "NPASS_DATABASE__MAX_CONNECTIONS".to_string(),
                "3".to_string(),
            ),
            (
                "NPASS_IDENTITY__SCHEMES".to_string(),
                "[\"mu-nic\"]".to_string(),
            ),
            (
                "NPASS_BRANDING__AUTHORITY".to_string(),
                "Guvernul Republicii Moldova".to_string(),
            ),
            ("OTHER".to_string(), "x".to_string()),
        ];
        let c = Config::load(None, env.into_iter()).unwrap();
        assert_eq!(c.listen, "127.0.0.1:9999");
        assert_eq!(c.database.max_connections, 3);
        assert_eq!(c.identity.schemes, vec!["mu-nic"]);
        assert_eq!(c.branding.authority, "Guvernul Republicii Moldova");
        assert_eq!(c.public_url(), "http://localhost:9999");
        let bad = vec![("NPASS_NO_SUCH_KEY".to_string(), "1".to_string())];
        assert!(
            Config::load(None, bad.into_iter())
                .unwrap_err()
                .contains("unknown field")
        );
    }

    #[test]
    fn production_rules() {
        let mut c = Config {
            mode: Mode::Production,
            ..Config::default()
        };
        let errs = c.validate().unwrap_err();
        assert!(errs.iter().any(|e| e.contains("https")));
        c.public_url = "https://npass.example.md".into();
        c.keys.master_key_file = Some("/etc/npass/master.key".into());
        assert_eq!(c.validate(), Ok(()));
    }

    #[test]
    fn self_service_settings_are_checked() {
        let mut c = Config::default();
        assert_eq!(c.validate(), Ok(()));
        c.branding.time_zone = "Europe/Nowhere".into();
        c.identity.phone_region = "XX".into();
        c.password.reset_link_minutes = 0;
        c.registration.unconfirmed_days = 365;
        let errs = c.validate().unwrap_err();
        for key in [
            "branding.time_zone",
            "identity.phone_region",
            "password.reset_link_minutes",
            "registration.unconfirmed_days",
        ] {
            assert!(errs.iter().any(|e| e.starts_with(key)), "{key}: {errs:?}");
        }
    }

    #[test]
    fn app_settings_are_checked() {
        let mut c = Config::default();
        c.app.idle_minutes = 0;
        c.app.android_package = "md.gov npass".into();
        c.app.android_cert_sha256 = vec!["AB:CD".into()];
        c.app.ios_app_ids = vec!["md.gov.npass".into()];
        c.session.country_database6 = Some("/nonexistent/geoip6".into());
        let errs = c.validate().unwrap_err();
        for key in [
            "app: idle_minutes",
            "app.android_package",
            "app.android_cert_sha256",
            "app.ios_app_ids",
            "session.country_database6: /nonexistent",
            "session.country_database6 needs",
        ] {
            assert!(errs.iter().any(|e| e.starts_with(key)), "{key}: {errs:?}");
        }
        let mut c = Config::default();
        c.app.android_package = "md.gov.npass".into();
        c.app.android_cert_sha256 = vec![vec!["AB"; 32].join(":")];
        c.app.ios_app_ids = vec!["ABCDE12345.md.gov.npass".into()];
        assert_eq!(c.validate(), Ok(()));
    }

    #[test]
    fn example_config_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../npass.example.toml");
        let c = Config::load(Some(&path), std::iter::empty()).unwrap();
        assert_eq!(c.validate(), Ok(()));
    }
}
