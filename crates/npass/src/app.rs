//! Wiring: configuration → store, core, web router, mail sender; start and stop.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use npass_core::Core;
use npass_core::clock::Clock;
use npass_core::national_id::Scheme;
use npass_core::password::{HashParams, Hasher};
use npass_core::rng::{self, OsRng, Rng};
use npass_core::seal::{MasterKey, Sealer};
use npass_core::service::{AppPolicy, CoreParts, Policy, SessionPolicy, ThrottlePolicy};
use npass_store::SqlStore;
use npass_web::{AppState, I18n, WebConfig};
use secrecy::SecretString;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use zeroize::Zeroizing;

use crate::backchannel::Backchannel;
use crate::config::{Config, Mode, read_secret};
use crate::mail::{Delivery, Sender};

/// Reads the master key, generating it in dev mode.
fn master_key(cfg: &Config, rng: &dyn Rng) -> Result<MasterKey, String> {
    let path = cfg
        .keys
        .master_key_file
        .clone()
        .unwrap_or_else(|| cfg.data_dir.join("master.key"));
    if !path.exists() {
        if cfg.mode == Mode::Production {
            return Err(format!(
                "{}: the master key file is missing",
                path.display()
            ));
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let hex = data_encoding::HEXLOWER.encode(&rng::bytes::<32>(rng));
        write_private(&path, &hex)?;
        tracing::info!(path = %path.display(), "generated a master key");
    }
    let hex = Zeroizing::new(read_secret(&path)?);
    let bytes = data_encoding::HEXLOWER_PERMISSIVE
        .decode(hex.as_bytes())
        .map_err(|_| format!("{}: expected 64 hex characters", path.display()))?;
    let arr: [u8; 32] = bytes
        .try_into()
        .map_err(|_| format!("{}: expected 32 bytes", path.display()))?;
    Ok(MasterKey::from_bytes(arr))
}

fn write_private(path: &Path, content: &str) -> Result<(), String> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(content.as_bytes())
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// SQLite runs its statements inline on one connection: a second (reader) connection measured
/// slower, because every write made it re-read the changed pages. PostgreSQL gets what the
/// configuration says.
fn pool_size(cfg: &Config) -> u32 {
    if cfg.database_url().starts_with("sqlite:") {
        1
    } else {
        cfg.database.max_connections
    }
}

pub fn policy(cfg: &Config) -> Policy {
    let s = &cfg.session;
    let t = &cfg.throttle;
    Policy {
        schemes: cfg
            .identity
            .schemes
            .iter()
            .filter_map(|s| Scheme::parse(s))
            .collect(),
        service_name: cfg.identity.service_name.clone(),
        phone_region: cfg.identity.phone_region.clone(),
        public_url: cfg.public_url(),
        password_only_login: cfg.password.password_only_login,
        reset_token_ttl_ms: cfg.password.reset_link_minutes * 60_000,
        unconfirmed_ttl_ms: cfg.registration.unconfirmed_days * 24 * 3_600_000,
        session: SessionPolicy {
            idle_ms: s.idle_minutes * 60_000,
            absolute_ms: s.absolute_hours * 3_600_000,
            high_idle_ms: s.high_idle_minutes * 60_000,
            high_absolute_ms: s.high_absolute_hours * 3_600_000,
        },
        throttle: ThrottlePolicy {
            free_failures: t.free_failures,
            max_delay_ms: t.max_delay_seconds * 1000,
            lock_after: t.lock_after,
            ip_max_failures: t.ip_max_failures,
            ip_window_ms: t.ip_window_minutes * 60_000,
        },
        fresh_login_ms: s.fresh_login_minutes * 60_000,
        app: AppPolicy {
            idle_ms: cfg.app.idle_minutes * 60_000,
            unlock_ms: cfg.app.unlock_hours * 3_600_000,
            push_hosts: cfg.app.push_hosts.clone(),
        },
        loopback_services: cfg.mode == Mode::Dev,
        ..Policy::default()
    }
}

/// Everything a running npass holds.
pub struct App {
    pub cfg: Config,
    pub core: Arc<Core>,
    pub i18n: Arc<I18n>,
    pub store: SqlStore,
    pub master: MasterKey,
    pub mail_wake: Arc<Notify>,
    pub backchannel_wake: Arc<Notify>,
    /// Calls to e-services (key sets, back-channel logout).
    pub http: reqwest::Client,
    /// SHA-256 of the admin API token, if the admin API is on.
    pub admin_token_sha256: Option<String>,
    /// Where sessions were started from, by address range (`session.places_file`).
    pub places: npass_web::Places,
    /// The country of other addresses (`session.country_database`).
    pub countries: Option<Arc<npass_web::geoip::Countries>>,
}

impl App {
    /// Opens the database (migrating it) and builds the core. `clock` is the system clock in
    /// every production path; tests pass a clock they move.
    pub async fn build(cfg: Config, clock: Arc<dyn Clock>) -> Result<App, String> {
        cfg.validate().map_err(|p| p.join("\n"))?;
        std::fs::create_dir_all(&cfg.data_dir)
            .map_err(|e| format!("{}: {e}", cfg.data_dir.display()))?;
        let rng: Arc<dyn Rng> = Arc::new(OsRng);
        let http = crate::keyfetch::outbound_client()?;
        let master = master_key(&cfg, rng.as_ref())?;
        let store = SqlStore::connect_with(
            &cfg.database_url(),
            pool_size(&cfg),
            cfg.database.sqlite_full_sync,
        )
        .await
        .map_err(|e| format!("database: {e}"))?;
        let pepper = match &cfg.password.pepper_file {
            Some(f) => Some(SecretString::from(read_secret(f)?)),
            None => None,
        };
        let params = HashParams {
            memory_kib: cfg.password.memory_kib,
            iterations: cfg.password.iterations,
            parallelism: cfg.password.parallelism,
        };
        let hasher = Hasher::new(params, pepper, rng.as_ref()).map_err(|e| e.to_string())?;
        let mail_wake = Arc::new(Notify::new());
        let waker = mail_wake.clone();
        let backchannel_wake = Arc::new(Notify::new());
        let bc_waker = backchannel_wake.clone();
        let core = Arc::new(Core::new(CoreParts {
            store: Arc::new(store.clone()),
            clock,
            rng,
            hasher: Arc::new(hasher),
            sealer: Sealer::new(&master),
            policy: policy(&cfg),
            mail_waker: Arc::new(move || waker.notify_one()),
            backchannel_waker: Arc::new(move || bc_waker.notify_one()),
            pairwise_key: master.derive("npass pairwise subject v1"),
            key_fetcher: Arc::new(crate::keyfetch::HttpKeyFetcher::new(http.clone())),
            pusher: match cfg.app.vapid()? {
                Some(v) => Arc::new(crate::webpush::WebPusher {
                    http: http.clone(),
                    vapid: Arc::new(v),
                    store: Arc::new(store.clone()),
                }),
                None => Arc::new(npass_core::device::NoPusher),
            },
            esign: npass_core::esign::Esign::new(
                cfg.esign.trust()?,
                Arc::new(crate::keyfetch::HttpCrlFetcher::new(
                    std::time::Duration::from_secs(cfg.esign.fetch_timeout_seconds.max(1)),
                    usize::try_from(cfg.esign.crl_max_mib.saturating_mul(1024 * 1024))
                        .unwrap_or(usize::MAX),
                )?),
            ),
            hash_workers: npass_core::password::HashWorkers::per_cpu()
                .map_err(|e| e.to_string())?,
            passkey_attestation: cfg.passkeys.attestation()?,
        }));
        if let Some(why) = core.passkeys.disabled_reason() {
            tracing::warn!("{why}");
        }
        core.keys
            .ensure()
            .await
            .map_err(|e| format!("signing key: {e}"))?;
        let i18n = Arc::new(I18n::new(&cfg.languages.enabled)?);
        let admin_token_sha256 = Self::admin_token_digest(&cfg, core.env.rng.as_ref())?;
        let places = cfg.places()?;
        let countries = cfg.countries()?.map(Arc::new);
        if let Some(c) = &countries {
            tracing::info!(ranges = c.len(), "country database read");
        }
        Ok(App {
            cfg,
            core,
            i18n,
            store,
            master,
            mail_wake,
            backchannel_wake,
            http,
            admin_token_sha256,
            places,
            countries,
        })
    }

    /// The admin token's digest: from `admin.token_file`, or generated in dev mode.
    fn admin_token_digest(cfg: &Config, rng: &dyn Rng) -> Result<Option<String>, String> {
        use sha2::Digest;
        let path = match (&cfg.admin.token_file, cfg.mode) {
            (Some(p), _) => p.clone(),
            (None, Mode::Dev) => {
                let p = cfg.data_dir.join("admin.token");
                if !p.exists() {
                    write_private(&p, &rng::token(rng))?;
                    tracing::info!(path = %p.display(), "generated an admin API token");
                }
                p
            }
            (None, Mode::Production) => return Ok(None),
        };
        let token = Zeroizing::new(read_secret(&path)?);
        if token.len() < 32 {
            return Err(format!(
                "{}: the admin token needs at least 32 characters",
                path.display()
            ));
        }
        Ok(Some(
            data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(token.as_bytes())),
        ))
    }

    /// The citizens' site (pages, OpenID Connect); the admin API is not on it.
    pub fn router(&self) -> axum::Router {
        npass_web::router(self.web_state(false))
    }

    /// The state the web layer runs with; only the admin listener's knows the admin token.
    fn web_state(&self, admin: bool) -> AppState {
        let web = WebConfig {
            admin_token_sha256: self.admin_token_sha256.clone().filter(|_| admin),
            authority: self.cfg.branding.authority.clone(),
            support_phone: self.cfg.branding.support_phone.clone(),
            support_email: self.cfg.branding.support_email.clone(),
            support_name: self.cfg.branding.support_name.clone(),
            terms_url: self.cfg.branding.terms_url.clone(),
            privacy_url: self.cfg.branding.privacy_url.clone(),
            accessibility_url: self.cfg.branding.accessibility_url.clone(),
            help_url: self.cfg.branding.help_url.clone(),
            integration_url: self.cfg.branding.integration_url.clone(),
            time_zone: npass_web::time_zone(&self.cfg.branding.time_zone).ok(),
            places: self.places.clone(),
            countries: self.countries.clone(),
            trust_forwarded_for: self.cfg.http.trust_forwarded_for,
            esign_tls_url: self.cfg.esign.tls_url(),
            native_apps: npass_web::NativeApps {
                android_package: self.cfg.app.android_package.clone(),
                android_cert_sha256: self.cfg.app.android_cert_sha256.clone(),
                ios_app_ids: self.cfg.app.ios_app_ids.clone(),
            },
        };
        AppState {
            core: self.core.clone(),
            i18n: self.i18n.clone(),
            cfg: Arc::new(web),
            csrf_key: Arc::new(self.master.derive("npass csrf v1")),
        }
    }

    /// The e-signature client-certificate listener, when `esign.listen` is set.
    async fn esign_listener(&self) -> Result<Option<crate::esign_tls::TlsListener>, String> {
        let e = &self.cfg.esign;
        if e.tls_url().is_none() {
            return Ok(None);
        }
        let (Some(cert), Some(key)) = (&e.tls_cert, &e.tls_key) else {
            return Err("esign.listen needs esign.tls_cert and esign.tls_key".into());
        };
        let tls = crate::esign_tls::server_config(cert, key)?;
        let tcp = TcpListener::bind(&e.listen)
            .await
            .map_err(|err| format!("esign.listen {}: {err}", e.listen))?;
        crate::esign_tls::TlsListener::new(tcp, tls)
            .map(Some)
            .map_err(|err| err.to_string())
    }

    /// The admin API's router (served on `admin.listen`).
    pub fn admin_router(&self) -> axum::Router {
        npass_web::admin_router(self.web_state(true))
    }

    /// Binds `admin.listen`, when the admin API is on.
    pub async fn admin_listener(&self) -> Result<Option<TcpListener>, String> {
        let l = &self.cfg.admin.listen;
        if l.is_empty() || self.admin_token_sha256.is_none() {
            return Ok(None);
        }
        TcpListener::bind(l)
            .await
            .map(Some)
            .map_err(|e| format!("admin.listen {l}: {e}"))
    }

    /// Listens and serves until `stop` turns true; the mail sender runs beside. The admin API
    /// gets its own listener from `admin.listen`.
    pub async fn serve(
        self,
        listener: TcpListener,
        stop: watch::Receiver<bool>,
    ) -> Result<(), String> {
        let admin = self.admin_listener().await?;
        self.serve_with(listener, admin, stop).await
    }

    /// `serve` with the admin listener given (tests bind port 0).
    pub async fn serve_with(
        self,
        listener: TcpListener,
        admin: Option<TcpListener>,
        stop: watch::Receiver<bool>,
    ) -> Result<(), String> {
        let from = self
            .cfg
            .mail
            .from
            .parse()
            .map_err(|e| format!("mail.from: {e}"))?;
        let sender = Sender {
            core: self.core.clone(),
            i18n: self.i18n.clone(),
            from,
            delivery: Delivery::from_config(&self.cfg)?,
            wake: self.mail_wake.clone(),
            timeout: std::time::Duration::from_secs(self.cfg.mail.delivery_timeout_seconds.max(1)),
            concurrent: self.cfg.mail.concurrent_deliveries,
        };
        let mail_task = tokio::spawn(sender.run(stop.clone()));
        let backchannel = Backchannel::new(
            self.core.clone(),
            self.backchannel_wake.clone(),
            self.http.clone(),
        );
        let backchannel_task = tokio::spawn(backchannel.run(stop.clone()));
        let sweep_task = {
            let (core, mut stop) = (self.core.clone(), stop.clone());
            tokio::spawn(async move {
                loop {
                    if let Err(e) = core.esign.esign_sweep().await {
                        tracing::warn!(error = %e, "sweeping expired e-signature challenges");
                    }
                    if let Err(e) = core.throttles.sweep_pacing().await {
                        tracing::warn!(error = %e, "sweeping old pacing counters");
                    }
                    if let Err(e) = core.registrations.purge_unconfirmed().await {
                        tracing::warn!(error = %e, "deleting registrations never confirmed");
                    }
                    if let Err(e) = core.federation.oidc_sweep().await {
                        tracing::warn!(error = %e, "sweeping expired grants and codes");
                    }
                    if let Err(e) = core.saml.sweep().await {
                        tracing::warn!(error = %e, "sweeping expired SAML requests and seen IDs");
                    }
                    if let Err(e) = core.mandates.sweep().await {
                        tracing::warn!(error = %e, "sweeping expired mandates");
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(std::time::Duration::from_secs(600)) => {}
                        _ = stop.changed() => return,
                    }
                }
            })
        };
        let esign_task = match self.esign_listener().await? {
            Some(tls) => {
                let app = crate::esign_tls::router(self.core.clone())
                    .into_make_service_with_connect_info::<crate::esign_tls::Peer>();
                let mut stop_tls = stop.clone();
                Some(tokio::spawn(async move {
                    let _ = axum::serve(tls, app)
                        .with_graceful_shutdown(async move {
                            while !*stop_tls.borrow() {
                                if stop_tls.changed().await.is_err() {
                                    break;
                                }
                            }
                        })
                        .await;
                }))
            }
            None => None,
        };
        let admin_task = admin.map(|l| {
            let app = self
                .admin_router()
                .into_make_service_with_connect_info::<SocketAddr>();
            let mut stop_admin = stop.clone();
            tracing::info!(addr = ?l.local_addr().ok(), "admin API listening");
            tokio::spawn(async move {
                let _ = axum::serve(l, app)
                    .with_graceful_shutdown(async move {
                        while !*stop_admin.borrow() {
                            if stop_admin.changed().await.is_err() {
                                break;
                            }
                        }
                    })
                    .await;
            })
        });
        let app = self
            .router()
            .into_make_service_with_connect_info::<SocketAddr>();
        let mut stop_http = stop.clone();
        let result = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                while !*stop_http.borrow() {
                    if stop_http.changed().await.is_err() {
                        break;
                    }
                }
            })
            .await
            .map_err(|e| e.to_string());
        let _ = mail_task.await;
        let _ = backchannel_task.await;
        let _ = sweep_task.await;
        if let Some(t) = esign_task {
            let _ = t.await;
        }
        if let Some(t) = admin_task {
            let _ = t.await;
        }
        self.store.close().await;
        result
    }
}
