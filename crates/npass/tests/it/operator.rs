//! The operator CLI and the binary itself, run as an operator would.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use crate::harness::*;

pub(crate) fn npass(app: &TestApp) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_npass"));
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("NPASS_DATA_DIR", &app.data_dir)
        .env("NPASS_DATABASE__URL", &app.db_url)
        .env("NPASS_PASSWORD__MEMORY_KIB", "64")
        .env("NPASS_PASSWORD__ITERATIONS", "1")
        .env("NPASS_LOG__LEVEL", "warn");
    c
}

/// Runs the CLI on a blocking thread: the server under test shares this test's runtime and must
/// keep running (and committing) while the CLI waits for the database.
pub(crate) async fn run(c: Command, stdin: &str) -> (i32, String, String) {
    let stdin = stdin.to_owned();
    tokio::task::spawn_blocking(move || run_blocking(c, &stdin))
        .await
        .unwrap()
}

fn run_blocking(mut c: Command, stdin: &str) -> (i32, String, String) {
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[tokio::test]
async fn citizen_add_show_lock_unlock() {
    let app = TestApp::start().await;
    // The CLI runs on the wall clock; let the server's clock agree so the mail it queues is due.
    // (The server's clock stands still, so it is set a little ahead of the CLI's runs.)
    app.clock
        .set_ms(npass_core::clock::Clock::now_ms(&npass_core::clock::SystemClock) + 300_000);
    let mut add = npass(&app);
    add.args([
        "citizen",
        "add",
        "--national-id",
        "2000 0000 00004",
        "--given-name",
        "Ion",
        "--family-name",
        "Popescu",
    ])
    .args(["--email", "ion.popescu@example.md", "--password-stdin"]);
    let (code, out, err) = run(add, &format!("{}\n", ION.password)).await;
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["national_id"], "2000000000004");
    assert_eq!(v["status"], "active");
    assert_eq!(v["has_password"], true);
    assert_eq!(v["assurance"], "self-asserted");

    // The account logs in over HTTP right away.
    let mut b = app.browser();
    login(&mut b, &ION, "").await.status(303);

    // Mistakes are explained and change nothing.
    let mut dup = npass(&app);
    dup.args([
        "citizen",
        "add",
        "--national-id",
        "2000000000004",
        "--given-name",
        "X",
        "--family-name",
        "Y",
        "--email",
        "x@example.md",
    ]);
    let (code, _, err) = run(dup, "").await;
    assert_eq!(code, 1);
    assert!(err.contains("An account already exists"), "{err}");
    let mut bad = npass(&app);
    bad.args([
        "citizen",
        "add",
        "--national-id",
        "2000000000005",
        "--given-name",
        "X",
        "--family-name",
        "Y",
        "--email",
        "x@example.md",
    ]);
    let (code, _, err) = run(bad, "").await;
    assert_eq!(code, 1);
    assert!(err.contains("check digit"), "{err}");
    let mut weak = npass(&app);
    weak.args([
        "citizen",
        "add",
        "--national-id",
        "1008600038413",
        "--given-name",
        "X",
        "--family-name",
        "Y",
        "--email",
        "x@example.md",
        "--password-stdin",
    ]);
    let (code, _, err) = run(weak, "password\n").await;
    assert_eq!(code, 1);
    assert!(err.contains("too short"), "{err}");

    let mut show = npass(&app);
    show.args(["citizen", "show", "2000000000004"]);
    let (code, out, _) = run(show, "").await;
    assert_eq!(code, 0);
    assert!(out.contains("\"email\": \"ion.popescu@example.md\""));
    let mut missing = npass(&app);
    missing.args(["citizen", "show", "1008600038413"]);
    assert_eq!(run(missing, "").await.0, 1);

    let mut lock = npass(&app);
    lock.args(["citizen", "lock", "2000000000004"]);
    let (code, out, err) = run(lock, "").await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"status\": \"locked\""));
    b.get("/account").await.status(303);
    login(&mut b, &ION, "")
        .await
        .status(403)
        .has("This account is locked.");
    // In the account's language: the deployment default, Romanian.
    app.mail(ION.email, "Subject: Contul a fost blocat").await;

    let mut unlock = npass(&app);
    unlock.args(["citizen", "unlock", "2000000000004"]);
    let (code, _, err) = run(unlock, "").await;
    assert_eq!(code, 0, "{err}");
    login(&mut b, &ION, "").await.status(303);
    let kinds: Vec<String> = app
        .core
        .store
        .audit_range(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.event.kind)
        .collect();
    for k in [
        "admin.account-added",
        "admin.account-locked",
        "admin.account-unlocked",
    ] {
        assert!(kinds.contains(&k.to_string()), "{k} in {kinds:?}");
    }
}

#[tokio::test]
async fn check_config_names_every_problem() {
    let app = TestApp::start().await;
    let mut c = npass(&app);
    c.args(["check-config"]);
    let (code, out, _) = run(c, "").await;
    assert_eq!(code, 0);
    assert!(out.contains("valid"));
    let mut c = npass(&app);
    c.args(["migrate"]);
    let (code, out, err) = run(c, "").await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("up to date"));
    let mut c = npass(&app);
    c.env("NPASS_MODE", "production")
        .env("NPASS_PUBLIC_URL", "http://npass.example.md")
        .args(["check-config"]);
    let (code, _, err) = run(c, "").await;
    assert_eq!(code, 2);
    assert!(
        err.contains("https") && err.contains("master_key_file"),
        "{err}"
    );
    let mut c = npass(&app);
    c.env("NPASS_NO_SUCH", "1").args(["check-config"]);
    let (code, _, err) = run(c, "").await;
    assert_eq!(code, 2);
    assert!(err.contains("unknown field"), "{err}");
    let mut c = npass(&app);
    c.env("NPASS_IDENTITY__SCHEMES", "[\"xx-id\"]")
        .args(["check-config"]);
    assert!(run(c, "").await.2.contains("unknown scheme"));
    // The card listener on every address needs the address browsers reach it at.
    let mut c = npass(&app);
    c.env("NPASS_MODE", "production")
        .env("NPASS_PUBLIC_URL", "https://npass.example.md")
        .env("NPASS_ESIGN__ROOTS", "[\"/etc/npass/root.pem\"]")
        .env("NPASS_ESIGN__LISTEN", "0.0.0.0:8443")
        .env("NPASS_ESIGN__CRL_MAX_MIB", "0")
        .env("NPASS_ESIGN__DENIED_CAS", "[\"abc\"]")
        .args(["check-config"]);
    let (code, _, err) = run(c, "").await;
    assert_eq!(code, 2);
    assert!(
        err.contains("esign.tls_url")
            && err.contains("esign.crl_max_mib")
            && err.contains("esign.denied_cas"),
        "{err}"
    );
    // No password-only logins and no e-signature: nobody could ever set a second factor.
    let mut c = npass(&app);
    c.env("NPASS_MODE", "production")
        .env("NPASS_PUBLIC_URL", "https://npass.example.md")
        .env("NPASS_PASSWORD__PASSWORD_ONLY_LOGIN", "false")
        .args(["check-config"]);
    let (code, _, err) = run(c, "").await;
    assert_eq!(code, 2);
    assert!(err.contains("password.password_only_login"), "{err}");
    // A production configuration with an http public URL refuses to start.
    let mut c = npass(&app);
    c.env("NPASS_MODE", "production")
        .env("NPASS_PUBLIC_URL", "http://npass.example.md")
        .args(["serve"]);
    assert_eq!(run(c, "").await.0, 1);
}

#[tokio::test]
async fn serve_starts_answers_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_npass"));
    c.current_dir(dir.path())
        .env_clear()
        .env("NPASS_LOG__LEVEL", "warn")
        .env("NPASS_ADMIN__LISTEN", "127.0.0.1:0")
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // On the PostgreSQL run, the binary gets a fresh database there; otherwise its default.
    if std::env::var("NPASS_TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) {
        let db = npass_store::testdb::fresh_url(dir.path()).await.unwrap();
        c.env("NPASS_DATABASE__URL", db);
    }
    let mut child = Reaped(c.spawn().unwrap());
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(
        first.starts_with("npass listening on http://127.0.0.1:"),
        "{first}"
    );
    let addr = first
        .split("http://")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_owned();
    // Nothing to configure: the dev data directory holds the database (SQLite by default),
    // the generated master key and, later, the email outbox.
    assert!(dir.path().join("npass-data/master.key").exists());
    let mut b = Browser::new(&format!("http://{addr}"));
    b.get("/healthz").await.status(200);
    b.get("/login").await.status(200);
    Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    let status = child.0.wait().unwrap();
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
}

#[tokio::test]
async fn npass_demo_logs_a_citizen_in_to_the_demo_tax_portal() {
    let dir = tempfile::tempdir().unwrap();
    let env = |c: &mut Command| {
        c.current_dir(dir.path())
            .env_clear()
            .env("NPASS_LOG__LEVEL", "warn")
            .env("NPASS_ADMIN__LISTEN", "127.0.0.1:0")
            .env("NPASS_PASSWORD__MEMORY_KIB", "64");
    };
    let db = if std::env::var("NPASS_TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) {
        Some(npass_store::testdb::fresh_url(dir.path()).await.unwrap())
    } else {
        None
    };
    let mut c = Command::new(env!("CARGO_BIN_EXE_npass"));
    env(&mut c);
    if let Some(db) = &db {
        c.env("NPASS_DATABASE__URL", db);
    }
    c.args([
        "demo",
        "--listen",
        "127.0.0.1:0",
        "--demo-listen",
        "127.0.0.1:0",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit());
    let mut child = Reaped(c.spawn().unwrap());
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let mut npass_url = String::new();
    let mut public_url = String::new();
    let mut demo_url = String::new();
    for _ in 0..3 {
        let l = lines.next().unwrap().unwrap();
        if let Some(rest) = l.strip_prefix("npass listening on ") {
            npass_url = rest.split(' ').next().unwrap().to_owned();
            public_url = rest
                .split("public URL ")
                .nth(1)
                .unwrap()
                .trim_end_matches(')')
                .to_owned();
        }
        if let Some(rest) = l.strip_prefix("demo tax portal on ") {
            demo_url = rest.split(' ').next().unwrap().to_owned();
        }
    }
    assert!(!npass_url.is_empty() && !demo_url.is_empty());
    let mut add = Command::new(env!("CARGO_BIN_EXE_npass"));
    env(&mut add);
    if let Some(db) = &db {
        add.env("NPASS_DATABASE__URL", db);
    }
    add.args([
        "citizen",
        "add",
        "--national-id",
        ION.national_id,
        "--given-name",
        "Ion",
        "--family-name",
        "Popescu",
    ])
    .args(["--email", ION.email, "--language", "en", "--password-stdin"]);
    assert_eq!(run(add, &format!("{}\n", ION.password)).await.0, 0);

    let mut portal = Browser::new(&demo_url);
    let mut idp = Browser::new(&npass_url);
    portal.get("/").await.status(200).has("Log in with npass");
    let to_npass = portal.get("/login").await;
    assert_eq!(to_npass.status, 303);
    // The dev default public URL names the loopback address `localhost`.
    assert!(public_url.starts_with("http://localhost:"), "{public_url}");
    let authorize = to_npass
        .location()
        .strip_prefix(&public_url)
        .unwrap()
        .to_owned();
    let login = idp.get(&authorize).await;
    let next = login.login_next();
    let r = idp
        .post_raw(
            "/login",
            &[
                ("csrf", &login.csrf()),
                ("national_id", ION.national_id),
                ("password", ION.password),
                ("next", &next),
            ],
        )
        .await;
    let consent = idp.get(&r.location()).await;
    consent.status(200).has("Demo tax portal");
    let req = crate::harness::field_value(&consent.body, "req").unwrap();
    let back = idp
        .post_raw(
            "/authorize/consent",
            &[
                ("csrf", &consent.csrf()),
                ("req", &req),
                ("decision", "allow"),
            ],
        )
        .await;
    let callback = back.location().strip_prefix(&demo_url).unwrap().to_owned();
    let page = portal.get(&callback).await;
    page.status(200)
        .has("Welcome, Ion Popescu")
        .has("http://eidas.europa.eu/LoA/low")
        .has("given_name");
    Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(child.0.wait().unwrap().success());
}

/// A child server that is killed if the test fails before stopping it.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

#[tokio::test]
async fn an_operator_lock_tells_the_e_services_of_the_sessions_it_ends() {
    let app = TestApp::start().await;
    let (bc_uri, got) = crate::oidc::backchannel_sink().await;
    let s = crate::oidc::with_backchannel(&app, "Tax portal", bc_uri).await;
    let mut b = crate::oidc::logged_in(&app, &ION).await;
    let tokens = crate::oidc::fresh_tokens(&app, &mut b, &s).await;
    app.core
        .admin
        .set_citizen_locked(ION.national_id, true, &npass_core::login::Client::default())
        .await
        .unwrap();
    b.get("/account").await.status(303);
    crate::oidc::assert_revoked(&app, &s, &tokens).await;
    let told = crate::oidc::delivered(&got, 1).await;
    assert!(told[0].contains("logout_token="), "{told:?}");
}
