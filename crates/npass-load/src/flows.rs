//! The workloads, for npass and for the peer, as an e-service and a browser would drive them.

use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use data_encoding::{BASE64, BASE64URL_NOPAD};
use serde_json::Value;
use sha2::{Digest, Sha256};

pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

const REDIRECT: &str = "http://127.0.0.1:9/cb";
const PASSWORD: &str = "cerul de deasupra Chisinaului";
const PEER_CLIENT: (&str, &str) = ("bench", "bench-secret-bench-secret-bench-secret-123");

pub struct Seed {
    pub client_id: String,
    pub client_secret: String,
    /// (national identifier, TOTP secret)
    pub accounts: Vec<(String, Vec<u8>)>,
    /// A passkey of each of the first accounts, registered through the core's ceremony.
    pub passkeys: Vec<std::sync::Mutex<SoftKey>>,
    pub saml: SamlSp,
}

/// The SAML service provider both identity providers know: its entity id and key (its
/// AuthnRequests are signed, as MPass's services sign theirs).
#[derive(Clone)]
pub struct SamlSp {
    pub entity_id: String,
    pub pkcs8: Vec<u8>,
    /// Its certificate (DER).
    pub certificate: Vec<u8>,
}

pub const SAML_ACS: &str = "https://sp.bench.example/acs";

impl SamlSp {
    pub fn new() -> Self {
        let (pkcs8, _) = npass_core::oidc::jwt::generate_rs256("sp").unwrap();
        let certificate = npass_core::oidc::jwt::self_signed_certificate(
            npass_core::relying::SigningAlg::Rs256,
            &pkcs8,
            "sp",
            "sp.bench.example",
            0,
        )
        .unwrap();
        SamlSp {
            entity_id: "https://sp.bench.example/metadata".into(),
            pkcs8,
            certificate,
        }
    }

    /// A signed HTTP-Redirect AuthnRequest to the SSO endpoint `destination`: its query.
    fn request(&self, destination: &str) -> String {
        use npass_core::saml::binding;
        let now = npass_core::clock::Clock::now_ms(&npass_core::clock::SystemClock);
        let xml = format!(
            concat!(
                r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" "#,
                r#"ID="_{id}" Version="2.0" IssueInstant="{now}" Destination="{dest}" "#,
                r#"ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" AssertionConsumerServiceURL="{acs}">"#,
                r#"<saml:Issuer>{issuer}</saml:Issuer>"#,
                r#"<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" AllowCreate="true"/>"#,
                r#"</samlp:AuthnRequest>"#
            ),
            id = npass_core::rng::token(&npass_core::rng::OsRng).replace(['-', '_'], "x"),
            now = npass_core::saml::xs_datetime(now),
            dest = destination,
            acs = SAML_ACS,
            issuer = self.entity_id,
        );
        binding::sign_redirect(
            "SAMLRequest",
            &binding::encode_redirect(&xml),
            "",
            npass_core::relying::SigningAlg::Rs256,
            &self.pkcs8,
        )
        .unwrap()
    }
}

/// The integration tests' software authenticator: it answers WebAuthn ceremonies as a browser
/// with a platform authenticator would.
#[path = "../../npass/tests/it/softkey.rs"]
#[allow(dead_code)]
mod softkey;
pub use softkey::{Answer, SoftKey};

/// How many accounts get a passkey (each passkey login takes the next, round the ring).
const PASSKEYS: usize = 256;

pub enum Kind {
    Npass(Seed),
    Peer,
    /// SimpleSAMLphp as a SAML identity provider: its `n` users `citizen<i>`, each with the
    /// same password, hashed as npass hashes it.
    Ssp(SamlSp, usize),
}

pub struct Target {
    pub kind: Kind,
    pub base: String,
    /// The server's public URL: the origin its passkeys answer for.
    pub public: String,
    pub client: reqwest::Client,
    pub discovery_path: &'static str,
    next_account: AtomicUsize,
    next_passkey: AtomicUsize,
    /// The SAML flow takes accounts from the other end of the list (a TOTP step is used once).
    next_saml: AtomicUsize,
}

#[derive(Default)]
pub struct Worker {
    pub refresh: String,
    pub exhausted: bool,
    cookies: HashMap<String, String>,
    /// The phone's cookies, for the QR login's approvals.
    phone: HashMap<String, String>,
    /// A waiting QR login's page (the browser polls its status).
    qr: String,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(256)
        .build()
        .unwrap()
}

impl Target {
    pub fn npass(base: String, public: String, seed: Seed) -> Self {
        Target {
            kind: Kind::Npass(seed),
            base,
            public,
            client: client(),
            discovery_path: "/.well-known/openid-configuration",
            next_account: AtomicUsize::new(0),
            next_passkey: AtomicUsize::new(0),
            next_saml: AtomicUsize::new(0),
        }
    }
    pub fn peer(base: String) -> Self {
        Target {
            kind: Kind::Peer,
            public: base.clone(),
            base,
            client: client(),
            discovery_path: "/.well-known/openid-configuration",
            next_account: AtomicUsize::new(0),
            next_passkey: AtomicUsize::new(0),
            next_saml: AtomicUsize::new(0),
        }
    }
    pub fn ssp(base: String, sp: SamlSp, users: usize) -> Self {
        Target {
            kind: Kind::Ssp(sp, users),
            public: base.clone(),
            base,
            client: client(),
            discovery_path: "/simplesaml/saml2/idp/metadata.php",
            next_account: AtomicUsize::new(0),
            next_passkey: AtomicUsize::new(0),
            next_saml: AtomicUsize::new(0),
        }
    }
    fn credentials(&self) -> (String, String) {
        match &self.kind {
            Kind::Npass(s) => (s.client_id.clone(), s.client_secret.clone()),
            Kind::Peer | Kind::Ssp(..) => (PEER_CLIENT.0.into(), PEER_CLIENT.1.into()),
        }
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn idnp(i: usize) -> String {
    let body = format!("{:012}", 100_000_000_000usize + i);
    format!(
        "{body}{}",
        npass_core::national_id::md_check_digit(&body).unwrap()
    )
}

/// Creates the e-service and `n` citizens with two-step authentication, straight through the
/// core, before the server starts (so seeding is not measured), then `grants` live grants of
/// other citizens.
pub async fn seed_npass(dir: &Path, n: usize, memory_kib: u32, grants: usize) -> Seed {
    use npass_core::login::Client;
    let mut cfg = npass::config::Config {
        data_dir: dir.to_path_buf(),
        ..Default::default()
    };
    cfg.listen = "127.0.0.1:0".into();
    // The server verifies each password at the parameters stored with its hash.
    cfg.password.memory_kib = memory_kib;
    let app = npass::app::App::build(cfg, Arc::new(npass_core::clock::SystemClock))
        .await
        .unwrap();
    let core = app.core.clone();
    let op = Client::default();
    let es = npass_core::oidc::flow::NewEService {
        name: "Load harness".into(),
        redirect_uris: vec![REDIRECT.into()],
        scopes: vec!["openid".into(), "profile".into(), "email".into()],
        ..Default::default()
    };
    let (e, secret) = core.registry.add_eservice(es, &op).await.unwrap();
    let saml = SamlSp::new();
    core.registry
        .add_saml_service(
            npass_core::saml::register::NewSamlService {
                name: "Load harness (SAML)".into(),
                entity_id: saml.entity_id.clone(),
                acs_urls: vec![SAML_ACS.into()],
                certificates: vec![saml.certificate.clone()],
                attributes: vec!["FirstName".into(), "LastName".into(), "EmailAddress".into()],
                ..Default::default()
            },
            &op,
        )
        .await
        .unwrap();
    let mut accounts = Vec::with_capacity(n);
    let mut passkeys = Vec::new();
    for i in 0..n {
        let nid = idnp(i);
        let citizen = npass_core::admin::NewCitizen {
            national_id: nid.clone(),
            given_name: "Ion".into(),
            family_name: "Popescu".into(),
            email: format!("c{i}@example.md"),
            language: "en".into(),
            password: Some(PASSWORD.into()),
            ..Default::default()
        };
        let account = core.admin.add_citizen(citizen, &op).await.unwrap();
        let en = core.credentials.enrolment(&account).await.unwrap();
        let b32 = en
            .otpauth_uri
            .split("secret=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap()
            .to_owned();
        let secret = data_encoding::BASE32_NOPAD.decode(b32.as_bytes()).unwrap();
        let code = npass_core::totp::code_at(&secret, npass_core::totp::step_at(core.now()));
        core.credentials
            .confirm_enrolment(&account, &code, &op)
            .await
            .unwrap();
        if i < PASSKEYS {
            passkeys.push(std::sync::Mutex::new(
                add_passkey(&core, &account, &app.cfg.public_url()).await,
            ));
        }
        accounts.push((nid, secret));
    }
    // Made up to an hour ago, as recent logins' grants.
    app.store
        .seed_grants(grants, &e.client_id, core.now() - 3_600_000)
        .await
        .unwrap();
    app.store.close().await;
    Seed {
        client_id: e.client_id.into(),
        client_secret: secret.unwrap(),
        accounts,
        passkeys,
        saml,
    }
}

/// Registers a software passkey for `account` through the core's own ceremony.
async fn add_passkey(
    core: &npass_core::Core,
    account: &npass_core::model::Account,
    origin: &str,
) -> SoftKey {
    let pre = npass_core::rng::token(&npass_core::rng::OsRng);
    let c = core.passkeys.register_start(account, &pre).await.unwrap();
    let mut key = SoftKey::new();
    let answer = key.create(&c.options, &Answer::honest(origin));
    core.passkeys
        .register_finish(
            account,
            &pre,
            &c.id,
            &answer,
            "Load harness",
            &npass_core::login::Client::default(),
        )
        .await
        .unwrap();
    key
}

pub fn discovery(t: Arc<Target>, _w: &mut Worker) -> BoxFut<'_, bool> {
    Box::pin(async move { get_ok(&t, t.discovery_path).await })
}

pub fn jwks(t: Arc<Target>, _w: &mut Worker) -> BoxFut<'_, bool> {
    Box::pin(async move { get_ok(&t, "/jwks").await })
}

async fn get_ok(t: &Target, path: &str) -> bool {
    match t.client.get(format!("{}{path}", t.base)).send().await {
        Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
        Err(_) => false,
    }
}

async fn token_request(t: &Target, fields: &[(&str, &str)]) -> Option<Value> {
    let (id, secret) = t.credentials();
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let r = t
        .client
        .post(format!("{}/token", t.base))
        .header(
            "authorization",
            format!(
                "Basic {}",
                BASE64.encode(format!("{id}:{secret}").as_bytes())
            ),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .ok()?;
    if !r.status().is_success() {
        return None;
    }
    serde_json::from_slice(&r.bytes().await.ok()?).ok()
}

pub fn refresh(t: Arc<Target>, w: &mut Worker) -> BoxFut<'_, bool> {
    Box::pin(async move {
        let rt = w.refresh.clone();
        match token_request(
            &t,
            &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
        )
        .await
        {
            Some(v) => {
                w.refresh = v["refresh_token"].as_str().unwrap_or("").to_owned();
                true
            }
            None => false,
        }
    })
}

struct Resp {
    status: u16,
    location: String,
    body: String,
}

async fn send(
    t: &Target,
    w: &mut Worker,
    method: reqwest::Method,
    url: &str,
    form: Option<String>,
) -> Option<Resp> {
    let url = if url.starts_with("http") {
        url.to_owned()
    } else {
        format!("{}{url}", t.base)
    };
    let mut rb = t.client.request(method, &url);
    if !w.cookies.is_empty() {
        rb = rb.header(
            "cookie",
            w.cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; "),
        );
    }
    if let Some(f) = form {
        rb = rb
            .header("content-type", "application/x-www-form-urlencoded")
            .body(f);
    }
    let r = rb.send().await.ok()?;
    for sc in r.headers().get_all("set-cookie") {
        let sc = sc.to_str().ok()?;
        if let Some((k, v)) = sc.split(';').next().and_then(|kv| kv.split_once('=')) {
            w.cookies.insert(k.trim().to_owned(), v.to_owned());
        }
    }
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = String::from_utf8_lossy(&r.bytes().await.ok()?).into_owned();
    Some(Resp {
        status,
        location,
        body,
    })
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!("{name}=\"");
    let start = tag.find(&key)? + key.len();
    tag.get(start..)?.split('"').next()
}

/// The page's main form (not npass's logout button in the header): action and hidden inputs.
fn form(html: &str) -> Option<(String, Vec<(String, String)>)> {
    let f = html
        .split("<form")
        .skip(1)
        .find(|f| f.split('>').next().and_then(|t| attr(t, "action")) != Some("/logout"))?;
    let action = attr(f.split('>').next()?, "action")?.replace("&amp;", "&");
    let mut fields = Vec::new();
    for input in f.split("</form>").next()?.split("<input").skip(1) {
        let tag = input.split('>').next()?;
        if let (Some(n), Some(v)) = (attr(tag, "name"), attr(tag, "value")) {
            fields.push((n.to_owned(), v.replace("&#x2f;", "/")));
        }
    }
    Some((action, fields))
}

/// The login form's fields for citizen `nid`: the password and the next step's TOTP code (one
/// step ahead: the enrolment may have spent the current one).
fn fill_login(fields: &mut Vec<(String, String)>, nid: &str, secret: &[u8]) {
    let code = npass_core::totp::code_at(
        secret,
        npass_core::totp::step_at(npass_core::clock::Clock::now_ms(
            &npass_core::clock::SystemClock,
        )) + 1,
    );
    fields.retain(|(k, _)| k != "national_id" && k != "password" && k != "code");
    fields.push(("national_id".into(), nid.to_owned()));
    fields.push(("password".into(), PASSWORD.into()));
    fields.push(("code".into(), code));
}

fn encode(fields: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

/// authorize → login (password + TOTP) → consent → code → token; keeps the refresh token.
pub fn full_flow(t: Arc<Target>, w: &mut Worker) -> BoxFut<'_, bool> {
    Box::pin(async move { full_flow_inner(&t, w, false).await.is_some() })
}

/// The same with a passwordless passkey login instead of password + TOTP (npass only).
pub fn passkey_flow(t: Arc<Target>, w: &mut Worker) -> BoxFut<'_, bool> {
    Box::pin(async move { full_flow_inner(&t, w, true).await.is_some() })
}

/// The passkey login on the login page: a ceremony for this browser, the software
/// authenticator's answer, the login.
async fn passkey_login(
    t: &Target,
    w: &mut Worker,
    key: &std::sync::Mutex<SoftKey>,
    fields: &[(String, String)],
) -> Option<Resp> {
    let csrf = fields.iter().find(|(k, _)| k == "csrf")?.1.clone();
    let next = fields.iter().find(|(k, _)| k == "next")?.1.clone();
    let body = encode(&[("csrf".into(), csrf.clone())]);
    let r = send(
        t,
        w,
        reqwest::Method::POST,
        "/login/passkey/options",
        Some(body),
    )
    .await?;
    let v: Value = serde_json::from_str(&r.body).ok()?;
    let credential = key
        .lock()
        .ok()?
        .get(&v["options"], &Answer::honest(&t.public));
    let ceremony = v["ceremony"].as_str()?.to_owned();
    let post = encode(&[
        ("csrf".into(), csrf),
        ("next".into(), next),
        ("ceremony".into(), ceremony),
        ("credential".into(), credential),
    ]);
    send(t, w, reqwest::Method::POST, "/login/passkey", Some(post)).await
}

async fn full_flow_inner(t: &Target, w: &mut Worker, passkey: bool) -> Option<()> {
    w.cookies.clear();
    let i = if passkey {
        let Kind::Npass(seed) = &t.kind else {
            return None;
        };
        t.next_passkey.fetch_add(1, Ordering::Relaxed) % seed.passkeys.len().max(1)
    } else {
        t.next_account.fetch_add(1, Ordering::Relaxed)
    };
    let verifier = npass_core::rng::token(&npass_core::rng::OsRng);
    let challenge = BASE64URL_NOPAD.encode(&Sha256::digest(verifier.as_bytes()));
    let (path, account) = match &t.kind {
        Kind::Ssp(..) => return None,
        Kind::Npass(seed) => {
            let Some(a) = seed.accounts.get(i) else {
                w.exhausted = true;
                return None;
            };
            let q = form_urlencoded::Serializer::new(String::new())
                .extend_pairs([
                    ("response_type", "code"),
                    ("client_id", seed.client_id.as_str()),
                    ("redirect_uri", REDIRECT),
                    ("scope", "openid profile email"),
                    ("state", "s"),
                    ("code_challenge", challenge.as_str()),
                    ("code_challenge_method", "S256"),
                ])
                .finish();
            (format!("/authorize?{q}"), Some(a))
        }
        Kind::Peer => {
            let q = form_urlencoded::Serializer::new(String::new())
                .extend_pairs([
                    ("response_type", "code"),
                    ("client_id", PEER_CLIENT.0),
                    ("redirect_uri", REDIRECT),
                    ("scope", "openid offline_access profile email"),
                    ("prompt", "consent"),
                    ("state", "s"),
                    ("code_challenge", challenge.as_str()),
                    ("code_challenge_method", "S256"),
                ])
                .finish();
            (format!("/auth?{q}"), None)
        }
    };
    let mut r = send(t, w, reqwest::Method::GET, &path, None).await?;
    for _ in 0..12 {
        if r.status == 303 || r.status == 302 {
            if r.location.starts_with(REDIRECT) {
                let q: HashMap<String, String> =
                    form_urlencoded::parse(r.location.split_once('?')?.1.as_bytes())
                        .into_owned()
                        .collect();
                let code = q.get("code")?.clone();
                let v = token_request(
                    t,
                    &[
                        ("grant_type", "authorization_code"),
                        ("code", &code),
                        ("redirect_uri", REDIRECT),
                        ("code_verifier", &verifier),
                    ],
                )
                .await?;
                w.refresh = v["refresh_token"].as_str()?.to_owned();
                return Some(());
            }
            let loc = r.location.clone();
            r = send(t, w, reqwest::Method::GET, &loc, None).await?;
            continue;
        }
        if r.status != 200 {
            return None;
        }
        let (action, mut fields) = form(&r.body)?;
        if let (true, Kind::Npass(seed), "/login") = (passkey, &t.kind, action.as_str()) {
            r = passkey_login(t, w, seed.passkeys.get(i)?, &fields).await?;
            continue;
        }
        match (&account, action.as_str()) {
            (Some((nid, secret)), "/login") => fill_login(&mut fields, nid, secret),
            (Some(_), "/authorize/consent") => fields.push(("decision".into(), "allow".into())),
            (None, _) if fields.iter().any(|(k, v)| k == "prompt" && v == "login") => {
                fields.push(("login".into(), format!("citizen{i}")));
                fields.push(("password".into(), PASSWORD.into()));
            }
            _ => {}
        }
        r = send(t, w, reqwest::Method::POST, &action, Some(encode(&fields))).await?;
    }
    None
}

/// A QR login (design note 0015): the computer asks for a code, loads its page and image; the
/// phone (the software authenticator) reads the image, asks what to approve, picks the
/// computer's number and answers with its passkey; the computer's page then logs it in.
pub fn qr_flow(t: Arc<Target>, w: &mut Worker) -> BoxFut<'_, bool> {
    Box::pin(async move { qr_flow_inner(&t, w).await.is_some() })
}

/// The link and the number a QR login's page shows (the code decoded as a camera would).
async fn read_code(t: &Target, w: &mut Worker, page: &str) -> Option<(String, String)> {
    let r = send(t, w, reqwest::Method::GET, page, None).await?;
    let number = r
        .body
        .split("<p class=\"number\"")
        .nth(1)?
        .split('>')
        .nth(1)?
        .split('<')
        .next()?
        .trim()
        .to_owned();
    let qr = format!("{}/qr.png", page.split('?').next()?);
    let png = t
        .client
        .get(format!("{}{qr}", t.base))
        .header("cookie", cookie_header(&w.cookies))
        .send()
        .await
        .ok()?
        .bytes()
        .await
        .ok()?;
    let mut reader = png::Decoder::new(std::io::Cursor::new(png.to_vec()))
        .read_info()
        .ok()?;
    let mut buf = vec![0; reader.output_buffer_size()?];
    let info = reader.next_frame(&mut buf).ok()?;
    let (wd, ht) = (info.width as usize, info.height as usize);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(wd, ht, |x, y| {
        buf.get(y * wd + x).copied().unwrap_or(255)
    });
    let link = img.detect_grids().first()?.decode().ok()?.1;
    Some((link, number))
}

fn cookie_header(c: &HashMap<String, String>) -> String {
    c.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

async fn phone_json(t: &Target, w: &mut Worker, path: &str, body: Value) -> Option<Value> {
    let r = t
        .client
        .post(format!("{}{path}", t.base))
        .header("cookie", cookie_header(&w.phone))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .ok()?;
    if !r.status().is_success() {
        return None;
    }
    serde_json::from_slice(&r.bytes().await.ok()?).ok()
}

async fn qr_flow_inner(t: &Target, w: &mut Worker) -> Option<()> {
    let Kind::Npass(seed) = &t.kind else {
        return None;
    };
    w.cookies.clear();
    // The phone's browser: its approval page once (the pre-session cookie its ceremonies bind).
    if w.phone.is_empty() {
        std::mem::swap(&mut w.cookies, &mut w.phone);
        send(t, w, reqwest::Method::GET, "/app/approve", None).await?;
        std::mem::swap(&mut w.cookies, &mut w.phone);
    }
    let login = send(t, w, reqwest::Method::GET, "/login", None).await?;
    let (_, fields) = form(&login.body)?;
    let csrf = fields.iter().find(|(k, _)| k == "csrf")?.1.clone();
    let r = send(
        t,
        w,
        reqwest::Method::POST,
        "/login/app",
        Some(encode(&[("csrf".into(), csrf)])),
    )
    .await?;
    let page = r.location;
    let (link, number) = read_code(t, w, &page).await?;
    let (id, secret) = link.split_once('#')?.1.split_once('.')?;
    let api = format!("/app/v1/approvals/{id}");
    phone_json(t, w, &api, serde_json::json!({"secret": secret})).await?;
    let number: u8 = number.parse().ok()?;
    let c = phone_json(
        t,
        w,
        &format!("{api}/options"),
        serde_json::json!({"secret": secret, "number": number}),
    )
    .await?;
    let i = t.next_passkey.fetch_add(1, Ordering::Relaxed) % seed.passkeys.len().max(1);
    let credential = seed
        .passkeys
        .get(i)?
        .lock()
        .ok()?
        .get(&c["options"], &Answer::honest(&t.public));
    phone_json(
        t,
        w,
        &format!("{api}/approve"),
        serde_json::json!({"secret": secret, "ceremony": c["ceremony"], "credential": credential}),
    )
    .await?;
    let done = send(t, w, reqwest::Method::GET, &page, None).await?;
    (done.status == 303 && done.location == "/account").then_some(())
}

/// Opens a QR login for this worker's browser (one of many waiting at once).
pub async fn qr_open(t: &Target, w: &mut Worker) -> bool {
    async {
        let login = send(t, w, reqwest::Method::GET, "/login", None).await?;
        let (_, fields) = form(&login.body)?;
        let csrf = fields.iter().find(|(k, _)| k == "csrf")?.1.clone();
        let r = send(
            t,
            w,
            reqwest::Method::POST,
            "/login/app",
            Some(encode(&[("csrf".into(), csrf)])),
        )
        .await?;
        w.qr = r.location;
        Some(())
    }
    .await
    .is_some()
}

/// A waiting browser's poll of its QR login's state, as `wait.js` makes every 2 s.
pub fn qr_poll(t: Arc<Target>, w: &mut Worker) -> BoxFut<'_, bool> {
    Box::pin(async move {
        let path = format!("{}/status", w.qr);
        match send(&t, w, reqwest::Method::GET, &path, None).await {
            Some(r) => r.status == 200 && r.body.contains("waiting"),
            None => false,
        }
    })
}

/// SAML single sign-on as a service's citizen goes through it: the service's signed
/// AuthnRequest over HTTP-Redirect → the login page → login (npass: password + TOTP, then its
/// consent page; SimpleSAMLphp: password) → the page that posts the signed Response to the ACS.
pub fn saml_flow(t: Arc<Target>, w: &mut Worker) -> BoxFut<'_, bool> {
    Box::pin(async move { saml_flow_inner(&t, w).await.is_some() })
}

async fn saml_flow_inner(t: &Target, w: &mut Worker) -> Option<()> {
    w.cookies.clear();
    let mut i = t.next_saml.fetch_add(1, Ordering::Relaxed);
    let (mut path, account) = match &t.kind {
        Kind::Npass(seed) => {
            let taken = t.next_account.load(Ordering::Relaxed);
            let Some(a) = seed
                .accounts
                .len()
                .checked_sub(i + 1)
                .filter(|j| *j >= taken)
                .and_then(|j| seed.accounts.get(j))
            else {
                w.exhausted = true;
                return None;
            };
            let q = seed.saml.request(&format!("{}/login/saml", t.public));
            (format!("/login/saml?{q}"), Some(a))
        }
        Kind::Ssp(sp, users) => {
            // No one-time code: its users may log in again and again.
            i %= (*users).max(1);
            let sso = "/simplesaml/saml2/idp/SSOService.php";
            (
                format!("{sso}?{}", sp.request(&format!("{}{sso}", t.base))),
                None,
            )
        }
        Kind::Peer => return None,
    };
    let mut r = send(t, w, reqwest::Method::GET, &path, None).await?;
    for _ in 0..8 {
        if r.status == 302 || r.status == 303 {
            path = r.location.clone();
            r = send(t, w, reqwest::Method::GET, &path, None).await?;
            continue;
        }
        if r.status != 200 {
            return None;
        }
        let (action, mut fields) = form(&r.body)?;
        if action == SAML_ACS {
            // The signed Response, on its way to the service.
            let response = fields.iter().find(|(k, _)| k == "SAMLResponse")?;
            return (response.1.len() > 1000).then_some(());
        }
        match (account, action.as_str()) {
            (Some((nid, secret)), "/login") => fill_login(&mut fields, nid, secret),
            (Some(_), "/login/saml/consent") => fields.push(("decision".into(), "allow".into())),
            (None, _) => {
                fields.retain(|(k, _)| k != "username" && k != "password");
                fields.push(("username".into(), format!("citizen{i}")));
                fields.push(("password".into(), PASSWORD.into()));
            }
            _ => return None,
        }
        // A relative action ("?", SimpleSAMLphp's login form) posts to the page's own path.
        let to = if action.starts_with('/') || action.starts_with("http") {
            action
        } else {
            format!("{}{action}", path.split('?').next()?)
        };
        path = to.clone();
        r = send(t, w, reqwest::Method::POST, &to, Some(encode(&fields))).await?;
    }
    None
}

/// SimpleSAMLphp, Debian's package, as a SAML identity provider beside npass: its own
/// configuration in `dir` (the IdP's key, the service's certificate, `users` citizens with
/// npass's password hashed by npass's Argon2id at `memory_kib`), served by Apache's prefork
/// workers with mod_php on `port`. Returns Apache's configuration file.
pub fn ssp_setup(
    dir: &Path,
    port: u16,
    sp: &SamlSp,
    users: usize,
    memory_kib: u32,
) -> std::path::PathBuf {
    use npass_core::password::{HashParams, Hasher};
    let cfg = dir.join("ssp");
    let (config, metadata, cert) = (cfg.join("config"), cfg.join("metadata"), cfg.join("cert"));
    for d in [&config, &metadata, &cert] {
        std::fs::create_dir_all(d).unwrap();
    }
    let pem = |label: &str, der: &[u8]| {
        let b64 = BASE64.encode(der);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
            lines.join("\n")
        )
    };
    let (idp_key, _) = npass_core::oidc::jwt::generate_rs256("ssp").unwrap();
    let idp_cert = npass_core::oidc::jwt::self_signed_certificate(
        npass_core::relying::SigningAlg::Rs256,
        &idp_key,
        "ssp",
        "ssp.bench.example",
        0,
    )
    .unwrap();
    std::fs::write(cert.join("idp.key"), pem("PRIVATE KEY", &idp_key)).unwrap();
    std::fs::write(cert.join("idp.crt"), pem("CERTIFICATE", &idp_cert)).unwrap();
    let base = format!("http://127.0.0.1:{port}/simplesaml/");
    std::fs::write(
        config.join("config.php"),
        format!(
            r#"<?php
$config = [
    'baseurlpath' => '{base}',
    'certdir' => '{cert}/',
    'metadatadir' => '{metadata}/',
    'loggingdir' => '{dir}/',
    'datadir' => '{dir}/',
    'tempdir' => '{dir}/',
    'technicalcontact_email' => 'bench@example.md',
    'secretsalt' => '{salt}',
    'auth.adminpassword' => '{salt}',
    'admin.protectindexpage' => true,
    'admin.protectmetadata' => false,
    'timezone' => 'UTC',
    'logging.level' => SimpleSAML\Logger::ERR,
    'logging.handler' => 'errorlog',
    'enable.saml20-idp' => true,
    'session.cookie.secure' => false,
    'session.phpsession.savepath' => '{dir}/sessions',
    'store.type' => 'phpsession',
    'language.available' => ['en'],
    'module.enable' => ['exampleauth' => false, 'authcrypt' => true, 'core' => true, 'saml' => true],
];
"#,
            base = base,
            cert = cert.display(),
            metadata = metadata.display(),
            dir = cfg.display(),
            salt = npass_core::rng::token(&npass_core::rng::OsRng),
        ),
    )
    .unwrap();
    std::fs::create_dir_all(cfg.join("sessions")).unwrap();
    let hasher = Hasher::new(
        HashParams {
            memory_kib,
            ..HashParams::default()
        },
        None,
        &npass_core::rng::OsRng,
    )
    .unwrap();
    let hash = hasher.hash(PASSWORD, &npass_core::rng::OsRng).unwrap();
    let mut auth = String::from(
        "<?php\n$config = [\n    'admin' => ['core:AdminPassword'],\n    'citizens' => ['authcrypt:Hash',\n",
    );
    for i in 0..users {
        auth.push_str(&format!(
            "        'citizen{i}:{hash}' => ['uid' => ['citizen{i}'], 'givenName' => ['Ion'], 'sn' => ['Popescu']],\n"
        ));
    }
    auth.push_str("    ],\n];\n");
    std::fs::write(config.join("authsources.php"), auth).unwrap();
    std::fs::write(config.join("acl.php"), "<?php\n$config = [];\n").unwrap();
    std::fs::write(
        metadata.join("saml20-idp-hosted.php"),
        r#"<?php
$metadata['__DYNAMIC:1__'] = [
    'host' => '__DEFAULT__',
    'privatekey' => 'idp.key',
    'certificate' => 'idp.crt',
    'auth' => 'citizens',
    'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    'saml20.sign.response' => true,
    'saml20.sign.assertion' => true,
    'validate.authnrequest' => true,
];
"#,
    )
    .unwrap();
    std::fs::write(
        metadata.join("saml20-sp-remote.php"),
        format!(
            r#"<?php
$metadata['{entity}'] = [
    'AssertionConsumerService' => '{acs}',
    'certData' => '{cert}',
    'validate.authnrequest' => true,
    'NameIDFormat' => 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
];
"#,
            entity = sp.entity_id,
            acs = SAML_ACS,
            cert = BASE64.encode(&sp.certificate),
        ),
    )
    .unwrap();
    let conf = cfg.join("apache2.conf");
    std::fs::write(
        &conf,
        format!(
            r#"ServerRoot /etc/apache2
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile {dir}/apache2.pid
ErrorLog {dir}/apache2-error.log
LogLevel error
User www-data
Group www-data
LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule alias_module /usr/lib/apache2/modules/mod_alias.so
LoadModule mime_module /usr/lib/apache2/modules/mod_mime.so
LoadModule dir_module /usr/lib/apache2/modules/mod_dir.so
LoadModule env_module /usr/lib/apache2/modules/mod_env.so
LoadModule php_module /usr/lib/apache2/modules/libphp8.2.so
TypesConfig /etc/mime.types
StartServers 8
MinSpareServers 8
MaxSpareServers 16
MaxRequestWorkers 32
MaxConnectionsPerChild 0
KeepAlive On
MaxKeepAliveRequests 0
SetEnv SIMPLESAMLPHP_CONFIG_DIR {config}
Alias /simplesaml /usr/share/simplesamlphp/www
<Directory /usr/share/simplesamlphp/www>
    Require all granted
    DirectoryIndex index.php
</Directory>
<FilesMatch "\.php$">
    SetHandler application/x-httpd-php
</FilesMatch>
"#,
            port = port,
            dir = cfg.display(),
            config = config.display(),
        ),
    )
    .unwrap();
    // Apache's workers run as www-data: they read this and keep sessions and logs here.
    let _ = std::process::Command::new("chown")
        .args(["-R", "www-data:www-data"])
        .arg(&cfg)
        .status();
    let _ = std::process::Command::new("chmod")
        .args(["o+x"])
        .arg(dir)
        .status();
    conf
}
