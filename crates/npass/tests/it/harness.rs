//! Starts the real app on port 0 with a temporary database (SQLite, or PostgreSQL when
//! NPASS_TEST_DATABASE_URL names one), a clock the test moves and the dev outbox folder, and
//! drives it over HTTP like a browser.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use npass::app::App;
use npass::config::Config;
use npass_core::clock::{Clock, ManualClock};
use tokio::sync::watch;

/// 2025-11-23 00:00:00 UTC, a fixed start so dates on pages are predictable.
pub const T0: i64 = 1_763_856_000_000;

pub struct TestApp {
    pub base: String,
    /// The admin API's own listener.
    pub admin_base: String,
    pub clock: Arc<ManualClock>,
    pub outbox: PathBuf,
    pub core: Arc<npass_core::Core>,
    pub data_dir: PathBuf,
    pub db_url: String,
    /// The app's database handle, for fault tests.
    pub store: npass_store::SqlStore,
    stop: watch::Sender<bool>,
    /// The serving task: it ends once `stop` turns true and the app has shut down.
    pub served: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl TestApp {
    /// Stops the app as SIGTERM does; `true` when it shut down within `secs` seconds.
    pub async fn stop_within(&mut self, secs: u64) -> bool {
        let _ = self.stop.send(true);
        tokio::time::timeout(Duration::from_secs(secs), &mut self.served)
            .await
            .is_ok()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

pub fn test_config(dir: &std::path::Path, db_url: &str) -> Config {
    let mut cfg = Config {
        data_dir: dir.to_path_buf(),
        ..Config::default()
    };
    cfg.database.url = db_url.to_owned();
    // Cheap hashing keeps 100-failure tests quick; production floors are checked in config tests.
    cfg.password.memory_kib = 64;
    cfg.password.iterations = 1;
    cfg.listen = "127.0.0.1:0".into();
    cfg
}

impl TestApp {
    pub async fn start() -> TestApp {
        Self::start_with(|_| {}).await
    }

    /// A second node on the same database and master key, with its own clock set to ours.
    pub async fn peer(&self) -> TestApp {
        self.peer_with(|_| {}).await
    }

    /// `peer` with its configuration changed by `f`.
    pub async fn peer_with(&self, f: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = test_config(&self.data_dir, &self.db_url);
        cfg.mail.outbox_dir = Some(dir.path().join("outbox"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        cfg.public_url = format!("http://{addr}");
        f(&mut cfg);
        let outbox = cfg.outbox_dir();
        let clock = Arc::new(ManualClock::new(self.now()));
        let app = App::build(cfg, clock.clone()).await.unwrap();
        let (core, store) = (app.core.clone(), app.store.clone());
        let admin = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let admin_base = format!("http://{}", admin.local_addr().unwrap());
        let (stop, rx) = watch::channel(false);
        let served = tokio::spawn(async move {
            let _ = app.serve_with(listener, Some(admin), rx).await;
        });
        TestApp {
            base: format!("http://{addr}"),
            admin_base,
            clock,
            outbox,
            core,
            data_dir: self.data_dir.clone(),
            db_url: self.db_url.clone(),
            store,
            stop,
            served,
            _dir: dir,
        }
    }

    pub async fn start_with(f: impl FnOnce(&mut Config)) -> TestApp {
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_max_level(tracing::Level::INFO)
            .try_init();
        let dir = tempfile::tempdir().unwrap();
        let db_url = npass_store::testdb::fresh_url(dir.path()).await.unwrap();
        let mut cfg = test_config(dir.path(), &db_url);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        cfg.public_url = format!("http://{addr}");
        f(&mut cfg);
        let outbox = cfg.outbox_dir();
        let clock = Arc::new(ManualClock::new(T0));
        let app = App::build(cfg, clock.clone()).await.unwrap();
        let core = app.core.clone();
        let store = app.store.clone();
        let admin = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let admin_base = format!("http://{}", admin.local_addr().unwrap());
        let (stop, rx) = watch::channel(false);
        let served = tokio::spawn(async move {
            if let Err(e) = app.serve_with(listener, Some(admin), rx).await {
                eprintln!("test server stopped: {e}");
            }
        });
        TestApp {
            base: format!("http://{addr}"),
            admin_base,
            clock,
            outbox,
            core,
            data_dir: dir.path().to_path_buf(),
            db_url,
            store,
            stop,
            served,
            _dir: dir,
        }
    }

    pub fn browser(&self) -> Browser {
        Browser::new(&self.base)
    }

    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// The TOTP code an Authenticator app shows now, computed independently of npass.
    pub fn code(&self, secret: &[u8]) -> String {
        self.code_at(secret, 0)
    }

    pub fn code_at(&self, secret: &[u8], offset_steps: i64) -> String {
        let t = (self.now() / 1000 + offset_steps * 30) as u64;
        totp_lite::totp_custom::<totp_lite::Sha1>(30, 6, secret, t)
    }

    /// Waits for an email to `to` whose text contains `needle`; returns its text.
    pub async fn mail(&self, to: &str, needle: &str) -> String {
        for _ in 0..200 {
            if let Ok(rd) = std::fs::read_dir(&self.outbox) {
                let mut paths: Vec<PathBuf> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
                paths.sort();
                for p in paths {
                    if p.extension().is_some_and(|e| e == "eml")
                        && let Ok(raw) = std::fs::read_to_string(&p)
                        && let text = decode_mail(&raw)
                        && text.contains(&format!("To: {to}"))
                        && text.contains(needle)
                    {
                        return text;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let seen: Vec<String> = std::fs::read_dir(&self.outbox)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                    .collect()
            })
            .unwrap_or_default();
        panic!(
            "no email to {to} containing {needle:?} in {}; there are:\n{}",
            self.outbox.display(),
            seen.join("\n----\n")
        );
    }

    pub fn mail_count(&self, to: &str) -> usize {
        std::fs::read_dir(&self.outbox)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .filter(|e| {
                        std::fs::read_to_string(e.path())
                            .is_ok_and(|t| t.contains(&format!("To: {to}")))
                    })
                    .count()
            })
            .unwrap_or(0)
    }
}

/// The headers and the decoded text of an email (quoted-printable or base64 bodies).
pub fn decode_mail(raw: &str) -> String {
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
    let text = if head.contains("Content-Transfer-Encoding: quoted-printable") {
        let joined = body.replace("=\r\n", "");
        let mut out = Vec::new();
        let bytes = joined.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'='
                && i + 2 < bytes.len()
                && let Ok(v) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
            {
                out.push(v);
                i += 3;
                continue;
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    } else if head.contains("Content-Transfer-Encoding: base64") {
        let clean: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        String::from_utf8_lossy(
            &data_encoding::BASE64
                .decode(clean.as_bytes())
                .unwrap_or_default(),
        )
        .into_owned()
    } else {
        body.to_owned()
    };
    format!("{head}\r\n\r\n{text}")
}

pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn location(&self) -> String {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    }
    pub fn csrf(&self) -> String {
        field_value(&self.body, "csrf")
            .unwrap_or_else(|| panic!("no csrf token in page:\n{}", self.body))
    }
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect()
    }
    /// This is the login form (as an authorization request that needs a login answers): the
    /// address it leads on to.
    #[track_caller]
    pub fn login_next(&self) -> String {
        assert!(
            self.status == 200 && self.body.contains("action=\"/login\""),
            "expected the login form (status {}):\n{}",
            self.status,
            self.body
        );
        field_value(&self.body, "next").unwrap()
    }
    #[track_caller]
    pub fn has(&self, text: &str) -> &Self {
        assert!(
            self.body.contains(text),
            "expected {text:?} in page (status {}):\n{}",
            self.status,
            self.body
        );
        self
    }
    #[track_caller]
    pub fn lacks(&self, text: &str) -> &Self {
        assert!(
            !self.body.contains(text),
            "did not expect {text:?} in page:\n{}",
            self.body
        );
        self
    }
    #[track_caller]
    pub fn status(&self, s: u16) -> &Self {
        assert_eq!(self.status, s, "status; page:\n{}", self.body);
        self
    }
}

/// The value of the first `<input name="…" value="…">` with that name.
pub fn field_value(html: &str, name: &str) -> Option<String> {
    let key = format!("name=\"{name}\" value=\"");
    let start = html.find(&key)? + key.len();
    let end = html.get(start..)?.find('"')? + start;
    Some(html_text(html.get(start..end)?))
}

/// Text or an attribute's value as a browser reads it from HTML: character references
/// (`&#x2f;`, `&#39;`) and the named ones a template writes decoded.
pub fn html_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';') else { break };
        let entity = &rest[1..end];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A browser: keeps cookies, never follows redirects (tests check each hop).
pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
    pub cookies: HashMap<String, String>,
    pub lang: Option<String>,
    pub user_agent: Option<String>,
}

impl Browser {
    pub fn new(base: &str) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Browser {
            base: base.to_owned(),
            client,
            cookies: HashMap::new(),
            lang: Some("en".into()),
            user_agent: None,
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&mut self, res: reqwest::Response) -> Resp {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        for sc in headers.get_all("set-cookie") {
            let sc = sc.to_str().unwrap();
            let first = sc.split(';').next().unwrap();
            let (k, v) = first.split_once('=').unwrap();
            if sc.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        let bytes = res.bytes().await.unwrap().to_vec();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        Resp {
            status,
            headers,
            body,
            bytes,
        }
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut rb = self.client.request(method, format!("{}{path}", self.base));
        if !self.cookies.is_empty() {
            rb = rb.header("cookie", self.cookie_header());
        }
        if let Some(l) = &self.lang {
            rb = rb.header("accept-language", l.as_str());
        }
        if let Some(ua) = &self.user_agent {
            rb = rb.header("user-agent", ua.as_str());
        }
        rb
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        let res = self
            .request(reqwest::Method::GET, path)
            .send()
            .await
            .unwrap();
        self.finish(res).await
    }

    pub async fn send(&mut self, rb: reqwest::RequestBuilder) -> Resp {
        let res = rb.send().await.unwrap();
        self.finish(res).await
    }

    /// Posts a form as a browser would, with the given fields as they are.
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let rb = self
            .request(reqwest::Method::POST, path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(rb).await
    }

    /// Fetches `page` for its CSRF token, then posts `fields` (plus the token) to `action`.
    pub async fn submit(&mut self, page: &str, action: &str, fields: &[(&str, &str)]) -> Resp {
        let csrf = self.get(page).await.csrf();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(action, &all).await
    }
}

pub struct Person {
    pub national_id: &'static str,
    pub given: &'static str,
    pub family: &'static str,
    pub email: &'static str,
    pub password: &'static str,
}

pub const ION: Person = Person {
    national_id: "2000000000004",
    given: "Ion",
    family: "Popescu",
    email: "ion.popescu@example.md",
    password: "cerul de deasupra Chisinaului",
};

pub const ANA: Person = Person {
    national_id: "2002003004007",
    given: "Ana",
    family: "Rusu",
    email: "ana.rusu@example.md",
    password: "o vara lunga la Soroca 2024",
};

pub fn register_fields(p: &Person) -> Vec<(&'static str, &'static str)> {
    vec![
        ("national_id", p.national_id),
        ("given_name", p.given),
        ("family_name", p.family),
        ("birth_date", "1990-05-31"),
        ("email", p.email),
        ("phone", "+373 69 123 456"),
        ("password", p.password),
        ("password_confirm", p.password),
    ]
}

/// Registers and confirms by the emailed link; returns a browser that is not logged in.
pub async fn registered(app: &TestApp, p: &Person) -> Browser {
    let mut b = app.browser();
    b.submit("/register", "/register", &register_fields(p))
        .await
        .status(200);
    let mail = app.mail(p.email, "/register/confirm?token=").await;
    let link = mail
        .lines()
        .find(|l| l.contains("/register/confirm?token="))
        .unwrap()
        .trim()
        .to_owned();
    // The link names the public URL, which may be another name for this server.
    let path = link
        .get(link.find("/register/confirm").unwrap()..)
        .unwrap()
        .to_owned();
    let page = b.get(&path).await;
    page.status(200);
    let token = field_value(&page.body, "token").unwrap();
    let r = b
        .post_raw(
            "/register/confirm",
            &[("csrf", &page.csrf()), ("token", &token)],
        )
        .await;
    assert_eq!(
        (r.status, r.location()),
        (303, "/login?done=confirmed".to_string())
    );
    b
}

pub async fn login(b: &mut Browser, p: &Person, code: &str) -> Resp {
    // `reauth` shows the form to a browser that is already logged in, too.
    b.submit(
        "/login?reauth=1",
        "/login",
        &[
            ("national_id", p.national_id),
            ("password", p.password),
            ("code", code),
        ],
    )
    .await
}

/// Fetches a PNG at `path` and decodes its one QR code with an ordinary decoder (rqrr).
pub async fn read_qr(b: &mut Browser, path: &str) -> String {
    let png = b.get(path).await;
    png.status(200);
    assert_eq!(png.headers.get("content-type").unwrap(), "image/png");
    let decoder = png::Decoder::new(std::io::Cursor::new(png.bytes.clone()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (info.width as usize, info.height as usize);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().unwrap().1
}

/// Decodes the QR image of the activation page with an ordinary QR decoder (rqrr) and returns
/// the `otpauth://` URI and the secret it carries.
pub async fn scan_qr(b: &mut Browser) -> (String, Vec<u8>) {
    let uri = read_qr(b, "/account/two-step/qr.png").await;
    let secret_b32 = uri
        .split("secret=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let secret = data_encoding::BASE32_NOPAD
        .decode(secret_b32.as_bytes())
        .unwrap();
    (uri, secret)
}

/// Logs in with the password, activates two-step, returns the secret and the recovery codes.
pub async fn activate_two_step(app: &TestApp, b: &mut Browser) -> (Vec<u8>, Vec<String>) {
    b.get("/account/two-step/device?device=android")
        .await
        .status(200);
    let scan = b.get("/account/two-step/scan").await;
    scan.status(200);
    let (_, secret) = scan_qr(b).await;
    let code = app.code(&secret);
    let done = b
        .post_raw(
            "/account/two-step/confirm",
            &[("csrf", &scan.csrf()), ("code", &code)],
        )
        .await;
    done.status(200)
        .has("The verification code was added successfully.");
    (secret, recovery_codes(&done.body))
}

pub fn recovery_codes(html: &str) -> Vec<String> {
    html.split("<li><code>")
        .skip(1)
        .map(|s| s.split("</code>").next().unwrap().to_owned())
        .collect()
}

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Checks an OpenAPI document with an independent validator (openapi-spec-validator, set up by
/// ./test.sh).
pub fn assert_valid_openapi(doc: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, doc).unwrap();
    let python = std::env::var("NPASS_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = std::process::Command::new(python)
        .args([
            "-c",
            "import sys, json\nfrom openapi_spec_validator import validate\n\
             validate(json.load(open(sys.argv[1])))\nprint('valid')",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openapi-spec-validator (./test.sh sets it up): {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
