//! E-signature login by signed challenge, from outside: a throwaway PKI built here (root,
//! intermediate, citizen certificates, a CRL this test serves), the real `npass-sign` binary
//! signing the challenge a real npass shows, and the browser finishing the login.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CrlDistributionPoint,
    CustomExtension, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair,
    KeyUsagePurpose, RevokedCertParams, SerialNumber,
};
use time::OffsetDateTime;

use crate::harness::*;

const DAY: i64 = 86_400;

fn at(offset_days: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(T0 / 1000 + offset_days * DAY).unwrap()
}

/// qcStatements with QcSSCD: the key is on a qualified signature-creation device.
fn qc_sscd() -> CustomExtension {
    CustomExtension::from_oid_content(
        &[1, 3, 6, 1, 5, 5, 7, 1, 3],
        vec![
            0x30, 0x0a, 0x30, 0x08, 0x06, 0x06, 0x04, 0x00, 0x8e, 0x46, 0x01, 0x04,
        ],
    )
}

/// certificatePolicies with 1.2.498.1.1.
fn policy() -> CustomExtension {
    CustomExtension::from_oid_content(
        &[2, 5, 29, 32],
        vec![
            0x30, 0x09, 0x30, 0x07, 0x06, 0x05, 0x2a, 0x83, 0x72, 0x01, 0x01,
        ],
    )
}

fn ca(name: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p.distinguished_name.push(DnType::CommonName, name);
    p.not_before = at(-3650);
    p.not_after = at(3650);
    p
}

/// A citizen's certificate, as a national CA would issue it.
pub(crate) struct Citizen {
    serial: u64,
    id: &'static str,
    from: i64,
    to: i64,
    usage: Vec<KeyUsagePurpose>,
    crl_url: String,
    extra: Vec<CustomExtension>,
    /// An organisation certificate's organizationIdentifier and organizationName.
    organization: Option<(&'static str, &'static str)>,
    key: &'static rcgen::SignatureAlgorithm,
}

impl Citizen {
    /// An organisation's certificate (its organizationIdentifier and name) for the same person.
    pub(crate) fn of_organization(mut self, id: &'static str, name: &'static str) -> Self {
        self.organization = Some((id, name));
        self
    }

    /// Valid from a month before `day` (days after `T0`) to a year after it.
    pub(crate) fn around_day(mut self, day: i64) -> Self {
        self.from = day - 30;
        self.to = day + 365;
        self
    }

    pub(crate) fn new(serial: u64, crl_url: &str) -> Self {
        Citizen {
            serial,
            id: "PNOMD-2000000000004",
            from: -30,
            to: 365,
            usage: vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::ContentCommitment,
            ],
            crl_url: crl_url.to_owned(),
            extra: vec![qc_sscd()],
            organization: None,
            key: &rcgen::PKCS_ECDSA_P256_SHA256,
        }
    }
}

pub(crate) struct Pki {
    dir: tempfile::TempDir,
    root_pem: PathBuf,
    root: Issuer<'static, KeyPair>,
    /// The root's authority revocation list (of its intermediate CAs), as served.
    arl: Arc<std::sync::Mutex<Vec<u8>>>,
    inter: Issuer<'static, KeyPair>,
    /// The intermediate's key (PKCS#8), for the OCSP responder.
    inter_key: Vec<u8>,
    inter_pem: String,
    other: Issuer<'static, KeyPair>,
    other_pem: String,
    pub(crate) crl_url: String,
    dead_url: String,
    crl: Arc<std::sync::Mutex<Vec<u8>>>,
}

impl Pki {
    pub(crate) async fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        // The CRL server: serves whatever the test put in `crl` (the qualified CA's CRL of
        // citizens) and `arl` (the root's list of revoked intermediate CAs).
        let crl = Arc::new(std::sync::Mutex::new(Vec::new()));
        let arl = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (served, served_arl) = (crl.clone(), arl.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new()
            .route(
                "/qca.crl",
                axum::routing::get(move || {
                    let served = served.clone();
                    async move { served.lock().unwrap().clone() }
                }),
            )
            .route(
                "/root.crl",
                axum::routing::get(move || {
                    let served = served_arl.clone();
                    async move { served.lock().unwrap().clone() }
                }),
            );
        tokio::spawn(async move { axum::serve(listener, app).await });
        let arl_url = format!("http://{addr}/root.crl");

        let root_key = KeyPair::generate().unwrap();
        let root_params = ca("Test National Root CA");
        let root = root_params.self_signed(&root_key).unwrap();
        let root_issuer = Issuer::new(root_params, root_key);
        let inter_key = KeyPair::generate().unwrap();
        let inter_key_der = inter_key.serialize_der();
        let mut inter_params = ca("Test Qualified CA");
        inter_params.serial_number = Some(SerialNumber::from(7000u64));
        inter_params.crl_distribution_points = vec![CrlDistributionPoint {
            uris: vec![arl_url.clone()],
        }];
        let inter_cert = inter_params.signed_by(&inter_key, &root_issuer).unwrap();
        let other_key = KeyPair::generate().unwrap();
        let other_params = ca("Somebody Else's CA");
        let other_cert = other_params.self_signed(&other_key).unwrap();
        let root_pem = dir.path().join("root.pem");
        std::fs::write(&root_pem, root.pem()).unwrap();

        let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let dead_url = format!("http://{}/qca.crl", dead.local_addr().unwrap());
        drop(dead);
        let pki = Pki {
            root_pem,
            root: root_issuer,
            arl,
            inter: Issuer::new(inter_params, inter_key),
            inter_key: inter_key_der,
            inter_pem: inter_cert.pem(),
            other: Issuer::new(other_params, other_key),
            other_pem: other_cert.pem(),
            crl_url: format!("http://{addr}/qca.crl"),
            dead_url,
            crl,
            dir,
        };
        pki.publish_crl(&[]);
        pki.publish_arl(&[]);
        pki
    }

    /// Publishes the root's authority revocation list revoking the intermediates `serials`.
    fn publish_arl(&self, serials: &[u64]) {
        self.publish_arl_at(serials, 0);
    }

    pub(crate) fn publish_arl_at(&self, serials: &[u64], day: i64) {
        *self.arl.lock().unwrap() = revocation_list(&self.root, serials, day).der().to_vec();
    }

    /// Publishes the intermediate's CRL revoking `serials`.
    fn publish_crl(&self, serials: &[u64]) {
        self.publish_crl_at(serials, 0);
    }

    /// The same, issued `day` days after the start (valid from the day before, for a week).
    pub(crate) fn publish_crl_at(&self, serials: &[u64], day: i64) {
        *self.crl.lock().unwrap() = revocation_list(&self.inter, serials, day).der().to_vec();
    }

    /// Issues `c` (by the national intermediate, or by the untrusted CA) and writes its key and
    /// chain as PEM files; returns their paths.
    pub(crate) fn issue(&self, c: &Citizen, trusted: bool) -> (PathBuf, PathBuf) {
        let key = KeyPair::generate_for(c.key).unwrap();
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.serial_number = Some(SerialNumber::from(c.serial));
        p.distinguished_name
            .push(DnType::CommonName, "IGNORED 1111111111111");
        p.distinguished_name
            .push(DnType::CustomDnType(vec![2, 5, 4, 5]), c.id);
        p.distinguished_name
            .push(DnType::CustomDnType(vec![2, 5, 4, 42]), "Ion");
        p.distinguished_name
            .push(DnType::CustomDnType(vec![2, 5, 4, 4]), "Popescu");
        if let Some((id, name)) = c.organization {
            p.distinguished_name
                .push(DnType::CustomDnType(vec![2, 5, 4, 97]), id);
            p.distinguished_name.push(DnType::OrganizationName, name);
        }
        p.not_before = at(c.from);
        p.not_after = at(c.to);
        p.key_usages = c.usage.clone();
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        p.crl_distribution_points = vec![CrlDistributionPoint {
            uris: vec![c.crl_url.clone()],
        }];
        p.custom_extensions = c.extra.clone();
        let (issuer, issuer_pem) = if trusted {
            (&self.inter, &self.inter_pem)
        } else {
            (&self.other, &self.other_pem)
        };
        let cert = p.signed_by(&key, issuer).unwrap();
        let key_path = self.dir.path().join(format!("{}.key.pem", c.serial));
        let chain_path = self.dir.path().join(format!("{}.chain.pem", c.serial));
        std::fs::write(&key_path, key.serialize_pem()).unwrap();
        std::fs::write(&chain_path, format!("{}{}", cert.pem(), issuer_pem)).unwrap();
        (key_path, chain_path)
    }
}

/// A CRL by `issuer` revoking `serials`, issued `day` days after the start (valid from the day
/// before, for a week).
fn revocation_list(
    issuer: &Issuer<'static, KeyPair>,
    serials: &[u64],
    day: i64,
) -> rcgen::CertificateRevocationList {
    CertificateRevocationListParams {
        this_update: at(day - 1),
        next_update: at(day + 7),
        crl_number: SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs: serials
            .iter()
            .map(|s| RevokedCertParams {
                serial_number: SerialNumber::from(*s),
                revocation_time: at(-2),
                reason_code: None,
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(issuer)
    .unwrap()
}

pub(crate) async fn start(pki: &Pki) -> TestApp {
    let root = pki.root_pem.clone();
    TestApp::start_with(move |c| c.esign.roots = vec![root]).await
}

/// Starts an e-signature login in `b`: the waiting page's path and the challenge it shows.
async fn begin(b: &mut Browser) -> (String, String) {
    begin_for(b, "").await
}

/// The same, to come back to `next` afterwards.
pub(crate) async fn begin_for(b: &mut Browser, next: &str) -> (String, String) {
    begin_at(b, "/login", next).await
}

/// The same, from the login page at `page` (as a redirect asking for the e-signature sends it).
async fn begin_at(b: &mut Browser, page: &str, next: &str) -> (String, String) {
    let r = b.submit(page, "/login/esign", &[("next", next)]).await;
    r.status(303);
    let wait = r.location();
    let page = b.get(&wait).await;
    page.status(200).has("npass-sign");
    let text = page
        .body
        .split("<code class=\"challenge\">")
        .nth(1)
        .and_then(|s| s.split("</code>").next())
        .map(html_text)
        .expect("the waiting page shows the challenge");
    assert!(text.starts_with("npass-esign-v1|"), "{text}");
    (wait, text)
}

/// Runs the real `npass-sign`; returns (exit code, stdout, stderr).
pub(crate) async fn npass_sign(
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
) -> (i32, String, String) {
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_npass-sign"))
            .args(&args)
            .envs(env)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .unwrap()
}

pub(crate) fn pem_args(key: &Path, chain: &Path, text: &str) -> Vec<String> {
    vec![
        "--key".into(),
        key.display().to_string(),
        "--cert".into(),
        chain.display().to_string(),
        text.into(),
    ]
}

/// One whole attempt with a certificate: begin, sign with npass-sign, come back to the page.
async fn attempt(app: &TestApp, key: &Path, chain: &Path) -> (Browser, Resp, String) {
    let mut b = app.browser();
    let (wait, text) = begin(&mut b).await;
    let (_, _, err) = npass_sign(pem_args(key, chain, &text), vec![]).await;
    let page = b.get(&wait).await;
    (b, page, err)
}

#[tokio::test]
async fn a_newcomer_registers_from_the_certificate_and_logs_in_at_level_high() {
    let pki = Pki::new().await;
    let app = start(&pki).await;
    let (key, chain) = pki.issue(&Citizen::new(1001, &pki.crl_url), true);
    let mut b = app.browser();
    b.get("/login")
        .await
        .status(200)
        .has("Log in with e-signature");
    let (wait, text) = begin(&mut b).await;
    // The challenge is also a QR code (the npass-sign: link), for this browser only.
    let scanned = read_qr(&mut b, &format!("{wait}/qr.png")).await;
    assert!(
        scanned.starts_with("npass-sign:npass-esign-v1%7C"),
        "{scanned}"
    );
    app.browser()
        .get(&format!("{wait}/qr.png"))
        .await
        .status(404);
    // Until the signature arrives the page waits (its script asks for the status).
    b.get(&wait).await.status(200).has("/static/wait.js");
    b.get(&format!("{wait}/status"))
        .await
        .status(200)
        .has("\"waiting\"");
    // The signing application takes what the QR code holds.
    assert_eq!(scanned, format!("npass-sign:{}", enc(&text)));
    let (code, out, err) = npass_sign(pem_args(&key, &chain, &scanned), vec![]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("signed"), "{out}");
    // No account yet: the mandatory-data page, names and identifier from the certificate.
    let r = b.get(&wait).await;
    r.status(303);
    let reg = r.location();
    assert!(reg.ends_with("/register"), "{reg}");
    let page = b.get(&reg).await;
    page.status(200)
        .has("Ion")
        .has("Popescu")
        .has("2000000000004")
        .has("Registration");
    assert!(!page.body.contains("IGNORED"), "never the common name");
    // Bad input changes nothing and says why.
    let bad = b
        .submit(
            &reg,
            &reg,
            &[("birth_date", "1990-01-02"), ("email", "nope")],
        )
        .await;
    bad.status(400);
    assert!(
        app.core
            .store
            .account_by_national_id("2000000000004")
            .await
            .unwrap()
            .is_none()
    );
    let r = b
        .submit(
            &reg,
            &reg,
            &[("birth_date", "1990-01-02"), ("email", "ion@example.md")],
        )
        .await;
    r.status(303);
    assert_eq!(r.location(), "/account");
    b.get("/account").await.status(200).has("high");
    let acc = app
        .core
        .store
        .account_by_national_id("2000000000004")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(acc.assurance, npass_core::model::Assurance::Verified);
    assert_eq!(acc.profile.given_name, "Ion");
    // The taken challenge cannot open a second account or log in again.
    b.get(&wait).await.status(404);

    // Next time the same person logs straight in; the session says how (card: sc + hwk).
    let (mut b2, page, err) = attempt(&app, &key, &chain).await;
    page.status(303);
    assert_eq!(page.location(), "/account", "{err}");
    b2.get("/account").await.status(200).has("high");
    let secret = b2.cookies.get("__Host-npass").cloned().unwrap();
    let s = app.core.logins.session(&secret).await.unwrap().unwrap();
    assert_eq!(s.level, npass_core::model::Level::High);
    let amr: Vec<&str> = s.amr.iter().map(|a| a.as_str()).collect();
    assert_eq!(amr, vec!["sc", "hwk"]);
    // The certificate's issuer and serial are in the audit trail.
    let audit = app.core.store.audit_range(0, 1000).await.unwrap();
    let verified: Vec<_> = audit
        .iter()
        .filter(|r| r.event.kind == "esign.verified")
        .collect();
    assert_eq!(verified.len(), 2);
    assert!(
        verified[0].event.detail["issuer"]
            .as_str()
            .unwrap()
            .contains("Test Qualified CA")
    );
    assert_eq!(verified[0].event.detail["serial"], "03e9");

    // An account an operator locked does not log in with its certificate either.
    let ev = npass_core::audit::event("admin.lock", None, None, serde_json::json!({}));
    app.core
        .store
        .set_status(
            &acc.id,
            npass_core::model::AccountStatus::Locked,
            &ev,
            None,
            app.now(),
        )
        .await
        .unwrap();
    let (b3, page, _) = attempt(&app, &key, &chain).await;
    page.status(403).has("This account is locked.");
    assert!(!b3.cookies.contains_key("__Host-npass"));
}

/// The certificates that must be refused: (certificate, issued by the national CA, the page's
/// words). The CRL must list 2004.
fn bad_certificates(pki: &Pki) -> Vec<(Citizen, bool, &'static str)> {
    let expired = Citizen {
        from: -400,
        to: -30,
        ..Citizen::new(2001, &pki.crl_url)
    };
    let not_yet = Citizen {
        from: 30,
        to: 400,
        ..Citizen::new(2002, &pki.crl_url)
    };
    let wrong_usage = Citizen {
        usage: vec![KeyUsagePurpose::KeyEncipherment],
        ..Citizen::new(2003, &pki.crl_url)
    };
    let revoked = Citizen::new(2004, &pki.crl_url);
    let unreachable_crl = Citizen::new(2005, &pki.dead_url);
    let no_identity = Citizen {
        id: "PNOMD-2000000000005",
        ..Citizen::new(2006, &pki.crl_url)
    };
    let cases: Vec<(Citizen, bool, &str)> = vec![
        (expired, true, "The certificate has expired."),
        (not_yet, true, "The certificate is not valid yet."),
        (wrong_usage, true, "may not be used to log in"),
        (revoked, true, "The certificate has been revoked."),
        (
            unreachable_crl,
            true,
            "could not confirm that the certificate has not been revoked",
        ),
        (
            no_identity,
            true,
            "does not carry a national identification number",
        ),
        (
            Citizen::new(2007, &pki.crl_url),
            false,
            "not issued by a certification authority",
        ),
    ];
    cases
}

/// Each certificate the issue names is refused with its own page, and nothing logs in.
#[tokio::test]
async fn every_bad_certificate_is_refused_with_its_page() {
    let pki = Pki::new().await;
    pki.publish_crl(&[2004]);
    let app = start(&pki).await;
    for (c, trusted, message) in bad_certificates(&pki) {
        let (key, chain) = pki.issue(&c, trusted);
        let (b, page, err) = attempt(&app, &key, &chain).await;
        page.status(403)
            .has(message)
            .has("log in with your password and verification code");
        assert!(err.contains("npass refused"), "{err}");
        assert!(
            !b.cookies.contains_key("__Host-npass"),
            "no session for {}",
            c.serial
        );
    }
    let refused = app
        .core
        .store
        .audit_range(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.event.kind == "esign.refused")
        .count();
    assert_eq!(refused, 7);
    assert!(
        app.core
            .store
            .account_by_national_id("2000000000004")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn replayed_expired_foreign_and_forged_answers_are_refused() {
    let pki = Pki::new().await;
    let app = start(&pki).await;
    let (key, chain) = pki.issue(&Citizen::new(3001, &pki.crl_url), true);
    let http = reqwest::Client::new();
    let post = |id: String, body: String| {
        let http = http.clone();
        let url = format!("{}/api/esign/challenges/{id}", app.base);
        async move {
            let r = http
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let id_of = |text: &str| text.split('|').nth(2).unwrap().to_owned();
    let print = |text: &str| {
        let mut a = pem_args(&key, &chain, text);
        a.insert(0, "--print".into());
        a
    };

    // A signature over a changed text (another nonce) does not touch the challenge.
    let mut b = app.browser();
    let (wait, text) = begin(&mut b).await;
    let forged_text = format!("{}x", text);
    let (code, body, _) = npass_sign(print(&forged_text), vec![]).await;
    assert_eq!(code, 0);
    assert_eq!(post(id_of(&text), body).await.0, 404);
    // A signature that does not match the certificate.
    let (_, body, _) = npass_sign(print(&text), vec![]).await;
    let mut v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["signature"] = serde_json::json!(data_encoding::BASE64.encode(&[1u8; 72]));
    let (status, answer) = post(id_of(&text), v.to_string()).await;
    assert_eq!(
        (status, answer.contains("esign-bad-signature")),
        (400, true)
    );
    b.get(&wait)
        .await
        .status(403)
        .has("does not match the certificate");

    // The right answer works once; the same answer again is refused.
    let mut b = app.browser();
    let (wait, text) = begin(&mut b).await;
    let (_, body, _) = npass_sign(print(&text), vec![]).await;
    assert_eq!(post(id_of(&text), body.clone()).await.0, 200);
    let (status, answer) = post(id_of(&text), body).await;
    assert_eq!(
        (status, answer.contains("esign-challenge-used")),
        (409, true)
    );
    // Another browser cannot take the login this one started.
    let mut thief = app.browser();
    thief
        .get(&wait)
        .await
        .status(403)
        .has("belongs to another browser");
    assert!(!thief.cookies.contains_key("__Host-npass"));
    b.get(&wait).await.status(303);

    // An answer after the challenge's two minutes is refused, and the page says so.
    let mut b = app.browser();
    let (wait, text) = begin(&mut b).await;
    app.clock.advance_secs(121);
    let (_, body, _) = npass_sign(print(&text), vec![]).await;
    let (status, answer) = post(id_of(&text), body).await;
    assert_eq!(
        (status, answer.contains("esign-challenge-expired")),
        (410, true)
    );
    b.get(&wait)
        .await
        .status(403)
        .has("This login request expired.");

    // Each answer refused before its proof was looked at is in the audit trail, with why.
    let trail = app.core.store.audit_range(0, 10_000).await.unwrap();
    let refused: Vec<&str> = trail
        .iter()
        .filter(|r| r.event.kind == "esign.answer-refused")
        .filter_map(|r| r.event.detail["reason"].as_str())
        .collect();
    assert_eq!(
        refused,
        vec![
            "esign-challenge-unknown",
            "esign-challenge-used",
            "esign-challenge-expired"
        ]
    );
    assert_eq!(npass_core::audit::verify_chain(&trail), Ok(()));
}

#[tokio::test]
async fn pkcs12_software_keys_organisations_and_policies() {
    let pki = Pki::new().await;
    let root = pki.root_pem.clone();
    let app = TestApp::start_with(move |c| {
        c.esign.roots = vec![root];
        c.esign.policies = vec!["1.2.498.1.1".into()];
    })
    .await;
    // Without an accepted policy: refused.
    let (key, chain) = pki.issue(&Citizen::new(4001, &pki.crl_url), true);
    let (_, page, _) = attempt(&app, &key, &chain).await;
    page.status(403)
        .has("This kind of certificate is not accepted");

    // A software key (no QcSSCD) of an organisation's representative, with the policy, in a
    // PKCS#12 file made by openssl.
    let c = Citizen {
        extra: vec![policy()],
        organization: Some(("NTRMD-1003600012345", "Întreprinderea Test SRL")),
        ..Citizen::new(4002, &pki.crl_url)
    };
    let (key, chain) = pki.issue(&c, true);
    let p12 = pki.dir.path().join("4002.p12");
    let out = std::process::Command::new("openssl")
        .args(["pkcs12", "-export", "-inkey"])
        .arg(&key)
        .arg("-in")
        .arg(&chain)
        .arg("-out")
        .arg(&p12)
        .args(["-passout", "pass:card-pin-1234"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    app.core
        .store
        .create_account(
            &npass_core::model::Account {
                id: "acc-ion".into(),
                national_id: npass_core::national_id::NationalId {
                    scheme: npass_core::national_id::Scheme::MdIdnp,
                    value: "2000000000004".into(),
                },
                profile: npass_core::model::Profile {
                    given_name: "Ion".into(),
                    family_name: "Popescu".into(),
                    birth_date: "1990-01-02".into(),
                    email: "ion@example.md".into(),
                    phone: String::new(),
                    language: "ro".into(),
                },
                assurance: npass_core::model::Assurance::SelfAsserted,
                status: npass_core::model::AccountStatus::Active,
                password_hash: None,
                created_at: 1,
            },
            None,
            None,
            &npass_core::audit::event("account.register", None, None, serde_json::json!({})),
            1,
        )
        .await
        .unwrap();
    let mut b = app.browser();
    let (wait, text) = begin(&mut b).await;
    // The wrong password opens nothing.
    let p12_args = |text: &str| {
        vec![
            "--p12".to_string(),
            p12.display().to_string(),
            "--password-env".into(),
            "CARD_PIN".into(),
            text.into(),
        ]
    };
    let (code, _, err) = npass_sign(p12_args(&text), vec![("CARD_PIN", "wrong".into())]).await;
    assert_ne!(code, 0, "{err}");
    let (code, _, err) =
        npass_sign(p12_args(&text), vec![("CARD_PIN", "card-pin-1234".into())]).await;
    assert_eq!(code, 0, "{err}");
    let r = b.get(&wait).await;
    r.status(303);
    assert_eq!(r.location(), "/account");
    let secret = b.cookies.get("__Host-npass").cloned().unwrap();
    let s = app.core.logins.session(&secret).await.unwrap().unwrap();
    let amr: Vec<&str> = s.amr.iter().map(|a| a.as_str()).collect();
    assert_eq!(amr, vec!["sc", "swk"]);
    let audit = app.core.store.audit_range(0, 1000).await.unwrap();
    let v = audit
        .iter()
        .find(|r| r.event.kind == "esign.verified")
        .unwrap();
    assert_eq!(v.event.detail["organization_id"], "NTRMD-1003600012345");
    assert_eq!(v.event.detail["hardware"], false);
}

/// The listener's own certificate (for 127.0.0.1) and key, as PEM files.
fn listener_identity(dir: &Path) -> (PathBuf, PathBuf) {
    let key = KeyPair::generate().unwrap();
    let p = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    let cert = p.self_signed(&key).unwrap();
    let (c, k) = (dir.join("listener.pem"), dir.join("listener.key"));
    std::fs::write(&c, cert.pem()).unwrap();
    std::fs::write(&k, key.serialize_pem()).unwrap();
    (c, k)
}

/// A browser whose TLS offers `identity` (key + chain PEM) when a server asks for one.
fn card_client(identity: Option<(&Path, &Path)>) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .tls_danger_accept_invalid_certs(true);
    if let Some((key, chain)) = identity {
        let mut pem = std::fs::read(key).unwrap();
        pem.extend(std::fs::read(chain).unwrap());
        b = b.identity(reqwest::Identity::from_pem(&pem).unwrap());
    }
    b.build().unwrap()
}

/// One round through the card listener: the main site sends the browser to the listener, which sends it back.
async fn round(app: &TestApp, card: Option<(&Path, &Path)>) -> (Browser, Resp, String) {
    let mut b = app.browser();
    b.get("/login")
        .await
        .has("Use the card or token in this browser");
    let r = b.submit("/login", "/login/esign/card", &[]).await;
    r.status(303);
    let to_listener = r.location();
    assert!(
        to_listener.starts_with("https://127.0.0.1:"),
        "{to_listener}"
    );
    let back = card_client(card).get(&to_listener).send().await.unwrap();
    assert_eq!(back.status().as_u16(), 303);
    assert!(
        back.headers().get("set-cookie").is_none(),
        "the listener sets no cookie"
    );
    let back = back.headers()["location"].to_str().unwrap().to_owned();
    let path = back
        .strip_prefix(&app.base)
        .expect("back to the main site")
        .to_owned();
    let page = b.get(&path).await;
    (b, page, path)
}

#[tokio::test]
async fn a_card_in_the_browser_logs_in_through_the_client_certificate_listener() {
    let pki = Pki::new().await;
    let app = with_listener(&pki, |_| {}).await;
    let good = pki.issue(&Citizen::new(5001, &pki.crl_url), true);
    // Published before the first look: npass keeps a CRL until its nextUpdate.
    pki.publish_crl(&[2004, 5002]);
    let revoked = pki.issue(&Citizen::new(5002, &pki.crl_url), true);

    // A newcomer: the mandatory-data page, then an account and a session at level high.
    let (mut b, page, wait) = round(&app, Some((&good.0, &good.1))).await;
    page.status(303);
    let reg = page.location();
    assert_eq!(reg, format!("{wait}/register"));
    let r = b
        .submit(
            &reg,
            &reg,
            &[("birth_date", "1990-01-02"), ("email", "ion@example.md")],
        )
        .await;
    r.status(303);
    let secret = b.cookies.get("__Host-npass").cloned().unwrap();
    let s = app.core.logins.session(&secret).await.unwrap().unwrap();
    assert_eq!(s.level, npass_core::model::Level::High);

    // The same card again logs straight in.
    let (b, page, _) = round(&app, Some((&good.0, &good.1))).await;
    page.status(303);
    assert_eq!(page.location(), "/account");
    assert!(b.cookies.contains_key("__Host-npass"));

    // Every bad certificate, and no certificate at all, are refused with their pages.
    let (b, page, _) = round(&app, Some((&revoked.0, &revoked.1))).await;
    page.status(403).has("The certificate has been revoked.");
    assert!(!b.cookies.contains_key("__Host-npass"));
    for (c, trusted, message) in bad_certificates(&pki) {
        let (key, chain) = pki.issue(&c, trusted);
        let (b, page, _) = round(&app, Some((&key, &chain))).await;
        page.status(403).has(message);
        assert!(
            !b.cookies.contains_key("__Host-npass"),
            "no session for {}",
            c.serial
        );
    }
    let (b, page, _) = round(&app, None).await;
    page.status(403).has("did not present a certificate");
    assert!(!b.cookies.contains_key("__Host-npass"));

    // The listener's link works once: replaying it changes nothing but the record of the
    // refused replay.
    let mut b = app.browser();
    let r = b.submit("/login", "/login/esign/card", &[]).await;
    let link = r.location();
    let client = card_client(Some((&good.0, &good.1)));
    client.get(&link).send().await.unwrap();
    let audit_before = app.core.store.audit_range(0, 1000).await.unwrap();
    client.get(&link).send().await.unwrap();
    let audit_after = app.core.store.audit_range(0, 1000).await.unwrap();
    assert_eq!(audit_after.len(), audit_before.len() + 1);
    let last = &audit_after.last().unwrap().event;
    assert_eq!(
        (last.kind.as_str(), last.detail["reason"].as_str()),
        ("esign.answer-refused", Some("esign-challenge-used"))
    );
}

/// The MPass journey where e-signature trust is configured: two-step activation needs an
/// e-signature login ("Setează codul de verificare" → e-signature → password → QR → confirm),
/// and a forgotten password is replaced after one.
#[tokio::test]
async fn two_step_activation_and_a_forgotten_password_go_through_the_e_signature() {
    let pki = Pki::new().await;
    let app = start(&pki).await;
    let (key, chain) = pki.issue(&Citizen::new(6001, &pki.crl_url), true);

    // A password-only session is sent to log in with the e-signature first.
    registered(&app, &ION).await;
    let mut pw = app.browser();
    login(&mut pw, &ION, "").await.status(303);
    let r = pw.get("/account/two-step/device").await;
    r.status(303);
    let to = r.location();
    assert!(to.contains("esign=1"), "{to}");
    pw.get(&to)
        .await
        .status(200)
        .has("To set up two-step authentication, log in with your electronic signature.")
        .has("Forgot your password?");

    // The e-signature login comes back to the page that asked for it.
    let mut b = app.browser();
    let (wait, text) = begin_at(
        &mut b,
        "/login?next=%2Faccount%2Ftwo-step",
        "/account/two-step",
    )
    .await;
    let (code, _, err) = npass_sign(pem_args(&key, &chain, &text), vec![]).await;
    assert_eq!(code, 0, "{err}");
    let r = b.get(&wait).await;
    r.status(303);
    assert_eq!(r.location(), "/account/two-step");
    // The account had a password already: straight to the device, QR and confirmation.
    let (secret, _) = activate_two_step(&app, &mut b).await;
    app.clock.advance_secs(30);
    let code = app.code(&secret);
    login(&mut app.browser(), &ION, &code).await.status(303);

    // Forgot the password: the e-signature session sets a new one, which then logs in.
    let bad = b
        .submit(
            "/account/password",
            "/account/password",
            &[("password", "short"), ("password_confirm", "short")],
        )
        .await;
    bad.status(400);
    let new_password = "a brand new passphrase for Ion";
    let r = b
        .submit(
            "/account/password",
            "/account/password",
            &[
                ("password", new_password),
                ("password_confirm", new_password),
            ],
        )
        .await;
    r.status(303);
    b.get(&r.location())
        .await
        .status(200)
        .has("Your new password is saved.");
    app.clock.advance_secs(30);
    let renamed = Person {
        password: "a brand new passphrase for Ion",
        ..ION
    };
    login(&mut app.browser(), &ION, &app.code(&secret))
        .await
        .status(401);
    app.clock.advance_secs(30);
    login(&mut app.browser(), &renamed, &app.code(&secret))
        .await
        .status(303);
    // The new password ended every other session of the account, the password-only one too.
    let r = pw.get("/account/password").await;
    r.status(303);
    assert!(r.location().starts_with("/login?next="), "{}", r.location());

    // Logging in with the e-signature from that browser replaces its session: the old secret
    // opens nothing any more.
    let old = pw.cookies.get("__Host-npass").cloned().unwrap();
    let (wait, text) = begin_at(&mut pw, &to, "/account").await;
    let (code, _, err) = npass_sign(pem_args(&key, &chain, &text), vec![]).await;
    assert_eq!(code, 0, "{err}");
    pw.get(&wait).await.status(303);
    assert_ne!(pw.cookies.get("__Host-npass"), Some(&old));
    pw.get("/account").await.status(200);
    let mut stale = app.browser();
    stale.cookies.insert("__Host-npass".into(), old);
    stale.get("/account").await.status(303);

    // The certificate was new to the account at the first of those logins only: one email.
    app.mail(ION.email, "not used before: issued by").await;
    let told = std::fs::read_dir(&app.outbox)
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
        .map(|raw| decode_mail(&raw))
        .filter(|t| t.contains(&format!("To: {}", ION.email)) && t.contains("not used before"))
        .count();
    assert_eq!(told, 1);
    pw.get("/account")
        .await
        .has("Logged in with an electronic signature certificate used for the first time");
}

/// Where Debian puts SoftHSM2's PKCS#11 module (`.ci/run` installs the package).
fn softhsm_module() -> String {
    [
        "/usr/lib/softhsm/libsofthsm2.so",
        "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
        "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    ]
    .into_iter()
    .find(|p| Path::new(p).exists())
    .expect("SoftHSM2 is installed (apt-get install softhsm2; .ci/run does it)")
    .to_owned()
}

#[tokio::test]
async fn a_key_on_a_pkcs11_token_signs_the_challenge() {
    let pki = Pki::new().await;
    let app = start(&pki).await;
    let (key, chain) = pki.issue(&Citizen::new(7001, &pki.crl_url), true);
    // A token of our own: SoftHSM2 with its store in this test's directory.
    let tokens = pki.dir.path().join("tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    let conf = pki.dir.path().join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\n",
            tokens.display()
        ),
    )
    .unwrap();
    let util = |args: &[&str]| {
        let out = std::process::Command::new("softhsm2-util")
            .args(args)
            .env("SOFTHSM2_CONF", &conf)
            .output()
            .expect("softhsm2-util runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    util(&[
        "--init-token",
        "--free",
        "--label",
        "npass-card",
        "--pin",
        "246810",
        "--so-pin",
        "13579111",
    ]);
    let key_path = key.display().to_string();
    util(&[
        "--import",
        &key_path,
        "--token",
        "npass-card",
        "--label",
        "auth",
        "--id",
        "01",
        "--pin",
        "246810",
    ]);

    let mut b = app.browser();
    let (wait, text) = begin(&mut b).await;
    let args = vec![
        "--pkcs11".to_string(),
        softhsm_module(),
        "--token".into(),
        "npass-card".into(),
        "--key-label".into(),
        "auth".into(),
        "--pin-env".into(),
        "CARD_PIN".into(),
        "--cert".into(),
        chain.display().to_string(),
        text.clone(),
    ];
    let env = |pin: &str| {
        vec![
            ("SOFTHSM2_CONF", conf.display().to_string()),
            ("CARD_PIN", pin.to_string()),
        ]
    };
    let (code, _, err) = npass_sign(args.clone(), env("000000")).await;
    assert_ne!(code, 0, "a wrong PIN signs nothing");
    assert!(err.contains("PIN"), "{err}");
    let (code, _, err) = npass_sign(args, env("246810")).await;
    assert_eq!(code, 0, "{err}");
    let r = b.get(&wait).await;
    r.status(303);
    assert!(r.location().ends_with("/register"));
}

// ---- OCSP ----

fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend([0x81, len as u8]);
    } else {
        out.extend([0x82, (len >> 8) as u8, len as u8]);
    }
    out.extend_from_slice(content);
    out
}

/// The content of the DER element at the start of `b`, and what follows it.
fn inside(b: &[u8]) -> (&[u8], &[u8]) {
    let (len, head) = match b[1] {
        n if n < 0x80 => (n as usize, 2),
        0x81 => (b[2] as usize, 3),
        _ => (((b[2] as usize) << 8) | b[3] as usize, 4),
    };
    (&b[head..head + len], &b[head + len..])
}

fn generalized(t: OffsetDateTime) -> Vec<u8> {
    let s = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    der(0x18, s.as_bytes())
}

/// authorityInfoAccess naming an OCSP responder.
fn aia(url: &str) -> CustomExtension {
    let ocsp_oid = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01];
    let desc = der(
        0x30,
        &[ocsp_oid.to_vec(), der(0x86, url.as_bytes())].concat(),
    );
    CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], der(0x30, &desc))
}

/// An OCSP responder for the tests: answers about the CertID it is asked for, as the path says
/// (`good`, `revoked`, `stale`: past its nextUpdate, `forged`: signed by another key).
async fn ocsp_responder(inter_key: Vec<u8>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route(
        "/ocsp/{kind}",
        axum::routing::post(
            move |axum::extract::Path(kind): axum::extract::Path<String>,
                  body: axum::body::Bytes| {
                let inter_key = inter_key.clone();
                async move {
                    // OCSPRequest → TBSRequest → requestList → Request → CertID.
                    let (tbs, _) = inside(&body);
                    let (list, _) = inside(tbs);
                    let (req, _) = inside(list);
                    let (single_req, _) = inside(req);
                    let cert_id_len = single_req.len() - inside(single_req).1.len();
                    let cert_id = &single_req[..cert_id_len];
                    let status = match kind.as_str() {
                        "revoked" => der(0xa1, &generalized(at(-2))),
                        _ => vec![0x80, 0x00],
                    };
                    let (this, next) = match kind.as_str() {
                        "stale" => (at(-10), at(-3)),
                        _ => (at(-1), at(1)),
                    };
                    let single = der(
                        0x30,
                        &[
                            cert_id.to_vec(),
                            status,
                            generalized(this),
                            der(0xa0, &generalized(next)),
                        ]
                        .concat(),
                    );
                    let tbs = der(
                        0x30,
                        &[
                            der(0xa1, &der(0x30, &[])),
                            generalized(at(-1)),
                            der(0x30, &single),
                        ]
                        .concat(),
                    );
                    let key = if kind == "forged" {
                        KeyPair::generate().unwrap()
                    } else {
                        KeyPair::try_from(inter_key.as_slice()).unwrap()
                    };
                    let sig = rcgen::SigningKey::sign(&key, &tbs).unwrap();
                    let ecdsa_sha256 = der(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]);
                    let basic = der(
                        0x30,
                        &[
                            tbs,
                            der(0x30, &ecdsa_sha256),
                            der(0x03, &[vec![0], sig].concat()),
                        ]
                        .concat(),
                    );
                    let basic_oid = der(
                        0x06,
                        &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01],
                    );
                    der(
                        0x30,
                        &[
                            der(0x0a, &[0]),
                            der(0xa0, &der(0x30, &[basic_oid, der(0x04, &basic)].concat())),
                        ]
                        .concat(),
                    )
                }
            },
        ),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/ocsp")
}

#[tokio::test]
async fn ocsp_answers_decide_where_configured_and_crls_stand_in_when_it_cannot() {
    let pki = Pki::new().await;
    let ocsp = ocsp_responder(pki.inter_key.clone()).await;
    let root = pki.root_pem.clone();
    let app = TestApp::start_with(move |c| {
        c.esign.roots = vec![root];
        c.esign.ocsp = true;
    })
    .await;
    let with = |serial, ocsp_path: &str, crl: &str| Citizen {
        extra: vec![qc_sscd(), aia(&format!("{ocsp}/{ocsp_path}"))],
        ..Citizen::new(serial, crl)
    };
    pki.publish_crl(&[]);
    // OCSP says good: no CRL needed (its server is unreachable here).
    let (k, c) = pki.issue(&with(8001, "good", &pki.dead_url), true);
    let (_, page, err) = attempt(&app, &k, &c).await;
    page.status(303);
    assert!(page.location().ends_with("/register"), "{err}");
    // OCSP says revoked, although the CRL does not list it: revoked.
    let (k, c) = pki.issue(&with(8002, "revoked", &pki.crl_url), true);
    let (_, page, _) = attempt(&app, &k, &c).await;
    page.status(403).has("The certificate has been revoked.");
    // A forged answer is no answer; without a CRL, the status is unknown.
    let (k, c) = pki.issue(&with(8003, "forged", &pki.dead_url), true);
    let (_, page, _) = attempt(&app, &k, &c).await;
    page.status(403)
        .has("could not confirm that the certificate has not been revoked");
    // A stale answer is no answer either; the CRL then decides.
    let (k, c) = pki.issue(&with(8004, "stale", &pki.crl_url), true);
    let (_, page, _) = attempt(&app, &k, &c).await;
    page.status(303);
    // A responder that does not answer: the CRL decides.
    let dead = Citizen {
        extra: vec![qc_sscd(), aia(&pki.dead_url)],
        ..Citizen::new(8005, &pki.crl_url)
    };
    let (k, c) = pki.issue(&dead, true);
    let (_, page, _) = attempt(&app, &k, &c).await;
    page.status(303);
}

/// A responder npass did not write: OpenSSL's `openssl ocsp` answers each request npass sends,
/// from an index of the CA's certificates, signed by the key `/ocsp/{signer}` names — a
/// delegated responder the intermediate certified for OCSP signing, the intermediate itself,
/// or a certificate of the intermediate without that purpose. OpenSSL stamps its answers with
/// the real time, so the app's clock is set to it.
async fn openssl_ocsp_responder(pki: &Pki, now: i64, revoked: u64) -> String {
    let dir = pki.dir.path().join("openssl-ocsp");
    std::fs::create_dir_all(&dir).unwrap();
    let days = (now / 1000 - T0 / 1000) / DAY;
    let inter_key = KeyPair::try_from(pki.inter_key.as_slice()).unwrap();
    std::fs::write(dir.join("issuer.pem"), &pki.inter_pem).unwrap();
    std::fs::write(dir.join("issuer.key"), inter_key.serialize_pem()).unwrap();
    for (name, eku) in [
        ("delegated", ExtendedKeyUsagePurpose::OcspSigning),
        ("no-eku", ExtendedKeyUsagePurpose::ClientAuth),
    ] {
        let key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name
            .push(DnType::CommonName, format!("OCSP {name}"));
        p.not_before = at(days - 1);
        p.not_after = at(days + 30);
        p.extended_key_usages = vec![eku];
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let cert = p.signed_by(&key, &pki.inter).unwrap();
        std::fs::write(dir.join(format!("{name}.pem")), cert.pem()).unwrap();
        std::fs::write(dir.join(format!("{name}.key")), key.serialize_pem()).unwrap();
    }
    // OpenSSL's CA database: the revoked serial, and every other one valid.
    let stamp = |t: OffsetDateTime| {
        format!(
            "{:02}{:02}{:02}000000Z",
            t.year() % 100,
            u8::from(t.month()),
            t.day()
        )
    };
    let mut index = String::new();
    for serial in 8101..8110u64 {
        let (status, when) = if serial == revoked {
            ("R", stamp(at(days - 2)))
        } else {
            ("V", String::new())
        };
        index.push_str(&format!(
            "{status}\t{}\t{when}\t{serial:X}\tunknown\t/CN=citizen {serial}\n",
            stamp(at(days + 365))
        ));
    }
    std::fs::write(dir.join("index.txt"), index).unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route(
        "/ocsp/{signer}",
        axum::routing::post(
            move |axum::extract::Path(signer): axum::extract::Path<String>,
                  body: axum::body::Bytes| {
                let dir = dir.clone();
                async move {
                    tokio::task::spawn_blocking(move || {
                        let n = rand_suffix();
                        let (req, resp) =
                            (dir.join(format!("{n}.req")), dir.join(format!("{n}.resp")));
                        std::fs::write(&req, &body).unwrap();
                        let (cert, key) = match signer.as_str() {
                            "issuer" => ("issuer.pem", "issuer.key"),
                            "no-eku" => ("no-eku.pem", "no-eku.key"),
                            _ => ("delegated.pem", "delegated.key"),
                        };
                        let out = std::process::Command::new("openssl")
                            .arg("ocsp")
                            .arg("-index")
                            .arg(dir.join("index.txt"))
                            .arg("-CA")
                            .arg(dir.join("issuer.pem"))
                            .arg("-rsigner")
                            .arg(dir.join(cert))
                            .arg("-rkey")
                            .arg(dir.join(key))
                            .arg("-reqin")
                            .arg(&req)
                            .arg("-respout")
                            .arg(&resp)
                            .args(["-ndays", "1"])
                            .output()
                            .expect("openssl is installed (test.sh)");
                        assert!(
                            out.status.success(),
                            "{}",
                            String::from_utf8_lossy(&out.stderr)
                        );
                        std::fs::read(&resp).unwrap()
                    })
                    .await
                    .unwrap()
                }
            },
        ),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/ocsp")
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed).to_string()
}

#[tokio::test]
async fn openssl_answers_decide_through_a_delegated_responder_or_the_issuer() {
    let pki = Pki::new().await;
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    let days = (now / 1000 - T0 / 1000) / DAY;
    let ocsp = openssl_ocsp_responder(&pki, now, 8102).await;
    let root = pki.root_pem.clone();
    let app = TestApp::start_with(move |c| {
        c.esign.roots = vec![root];
        c.esign.ocsp = true;
    })
    .await;
    app.clock.set_ms(now);
    // The root's list of revoked intermediates, current at that time.
    pki.publish_arl_at(&[], days);
    // No CRL of citizens can be fetched: only OCSP can say a certificate is not revoked.
    let with = |serial, signer: &str| Citizen {
        extra: vec![qc_sscd(), aia(&format!("{ocsp}/{signer}"))],
        from: days - 30,
        to: days + 365,
        ..Citizen::new(serial, &pki.dead_url)
    };
    // Good, from a delegated responder the issuer certified for OCSP signing.
    let (k, c) = pki.issue(&with(8101, "delegated"), true);
    let (_, page, err) = attempt(&app, &k, &c).await;
    page.status(303);
    assert!(page.location().ends_with("/register"), "{err}");
    // Revoked, from the same responder.
    let (k, c) = pki.issue(&with(8102, "delegated"), true);
    let (_, page, _) = attempt(&app, &k, &c).await;
    page.status(403).has("The certificate has been revoked.");
    // Good, signed by the issuer itself.
    let (k, c) = pki.issue(&with(8103, "issuer"), true);
    let (_, page, err) = attempt(&app, &k, &c).await;
    page.status(303);
    assert!(page.location().ends_with("/register"), "{err}");
    // A certificate of the issuer without the OCSP-signing purpose vouches for nothing.
    let (k, c) = pki.issue(&with(8104, "no-eku"), true);
    let (_, page, _) = attempt(&app, &k, &c).await;
    page.status(403)
        .has("could not confirm that the certificate has not been revoked");
}

/// Every algorithm the challenge protocol names, from keys npass-sign reads from files.
#[tokio::test]
async fn rsa_pss_rsa_pkcs1_and_p384_keys_sign_the_challenge() {
    let pki = Pki::new().await;
    let app = start(&pki).await;
    let cases: [(u64, &'static rcgen::SignatureAlgorithm, bool); 3] = [
        (9001, &rcgen::PKCS_RSA_SHA256, false),
        (9002, &rcgen::PKCS_RSA_SHA256, true),
        (9003, &rcgen::PKCS_ECDSA_P384_SHA384, false),
    ];
    for (serial, alg, pkcs1) in cases {
        let c = Citizen {
            key: alg,
            ..Citizen::new(serial, &pki.crl_url)
        };
        let (key, chain) = pki.issue(&c, true);
        let mut b = app.browser();
        let (wait, text) = begin(&mut b).await;
        let mut args = pem_args(&key, &chain, &text);
        if pkcs1 {
            args.insert(0, "--rsa-pkcs1".into());
        }
        let (mut print_args, expected) = (
            args.clone(),
            ["rsa-pss-sha256", "rsa-pkcs1-sha256", "ecdsa-p384-sha384"],
        );
        print_args.insert(0, "--print".into());
        let (_, printed, _) = npass_sign(print_args, vec![]).await;
        let v: serde_json::Value = serde_json::from_str(&printed).unwrap();
        assert!(expected.contains(&v["algorithm"].as_str().unwrap()));
        let (code, _, err) = npass_sign(args, vec![]).await;
        assert_eq!(code, 0, "{serial}: {err}");
        let r = b.get(&wait).await;
        r.status(303);
        assert!(r.location().ends_with("/register"), "{serial}");
    }
}

/// CRLs are kept until their nextUpdate, then fetched again: a revocation published later is
/// seen once the cached list has run out.
#[tokio::test]
async fn a_crl_is_cached_until_its_next_update_and_then_fetched_again() {
    let pki = Pki::new().await;
    let app = start(&pki).await;
    let (key, chain) = pki.issue(&Citizen::new(10001, &pki.crl_url), true);
    let (_, page, _) = attempt(&app, &key, &chain).await;
    page.status(303);
    pki.publish_crl_at(&[10001], 1);
    let (_, page, _) = attempt(&app, &key, &chain).await;
    page.status(303);
    app.clock.advance_secs(8 * 86_400);
    pki.publish_crl_at(&[10001], 8);
    pki.publish_arl_at(&[], 8);
    let (_, page, _) = attempt(&app, &key, &chain).await;
    page.status(403).has("The certificate has been revoked.");
}

/// Rewrites a chain file as [citizen, `extra`…, the rest] (what an attacker's signing tool or
/// browser may present).
fn chain_with(chain: &Path, extra: &str) -> PathBuf {
    let pem = std::fs::read_to_string(chain).unwrap();
    let second = pem
        .match_indices("-----BEGIN CERTIFICATE-----")
        .nth(1)
        .unwrap()
        .0;
    let out = chain.with_extension("forged.pem");
    std::fs::write(&out, format!("{}{extra}{}", &pem[..second], &pem[second..])).unwrap();
    out
}

/// An app with the card listener on a free port, `f` changing its configuration further.
async fn with_listener(
    pki: &Pki,
    f: impl FnOnce(&mut npass::config::Config) + Send + 'static,
) -> TestApp {
    let (cert, key) = listener_identity(pki.dir.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let root = pki.root_pem.clone();
    let app = TestApp::start_with(move |c| {
        c.esign.roots = vec![root];
        c.esign.listen = format!("127.0.0.1:{port}");
        c.esign.tls_cert = Some(cert);
        c.esign.tls_key = Some(key);
        f(c);
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    app
}

#[tokio::test]
async fn a_look_alike_ca_cannot_vouch_for_a_revoked_certificate() {
    let pki = Pki::new().await;
    // The intermediate's name on another key, and an OCSP responder that signs with that key.
    let fake_key = KeyPair::generate().unwrap();
    let fake_der = fake_key.serialize_der();
    let fake = ca("Test Qualified CA").self_signed(&fake_key).unwrap();
    let ocsp = ocsp_responder(fake_der).await;
    let app = with_listener(&pki, |c| c.esign.ocsp = true).await;
    let citizen = Citizen {
        extra: vec![qc_sscd(), aia(&format!("{ocsp}/good"))],
        ..Citizen::new(9101, &pki.crl_url)
    };
    pki.publish_crl(&[9101]);
    let (key, chain) = pki.issue(&citizen, true);
    let forged = chain_with(&chain, &fake.pem());
    // Signed challenge: the look-alike's "good" is no answer; the real CA's CRL says revoked.
    let (b, page, _) = attempt(&app, &key, &forged).await;
    page.status(403).has("The certificate has been revoked.");
    assert!(!b.cookies.contains_key("__Host-npass"));
    // The card listener: the same.
    let (b, page, _) = round(&app, Some((&key, &forged))).await;
    page.status(403).has("The certificate has been revoked.");
    assert!(!b.cookies.contains_key("__Host-npass"));
    assert!(
        app.core
            .store
            .account_by_national_id("2000000000004")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_crl_that_fails_is_never_kept_and_the_page_says_status_unavailable() {
    let pki = Pki::new().await;
    let app = start(&pki).await;
    let (key, chain) = pki.issue(&Citizen::new(9201, &pki.crl_url), true);
    let unavailable = "could not confirm that the certificate has not been revoked";
    // A forged CRL: the qualified CA's name, another key, nextUpdate a week away.
    let forger = Issuer::new(ca("Test Qualified CA"), KeyPair::generate().unwrap());
    *pki.crl.lock().unwrap() = revocation_list(&forger, &[9201], 0).der().to_vec();
    let (_, page, _) = attempt(&app, &key, &chain).await;
    page.status(403).has(unavailable).lacks("trusted");
    // Bytes that are no CRL at all.
    *pki.crl.lock().unwrap() = b"not a CRL".to_vec();
    let (_, page, _) = attempt(&app, &key, &chain).await;
    page.status(403).has(unavailable);
    // The CA publishes its real CRL: the next login uses it at once.
    pki.publish_crl(&[]);
    let (_, page, _) = attempt(&app, &key, &chain).await;
    page.status(303);
}

#[tokio::test]
async fn a_revoked_or_denied_intermediate_ca_stops_its_citizens() {
    let pki = Pki::new().await;
    let (key, chain) = pki.issue(&Citizen::new(9301, &pki.crl_url), true);
    // The root revokes the qualified CA (serial 7000) in its authority revocation list.
    pki.publish_arl(&[7000]);
    let app = start(&pki).await;
    let (_, page, _) = attempt(&app, &key, &chain).await;
    page.status(403).has("The certificate has been revoked.");
    // Without the root's list the chain's status is unknown: refused too.
    *pki.arl.lock().unwrap() = Vec::new();
    let app = start(&pki).await;
    let (_, page, _) = attempt(&app, &key, &chain).await;
    page.status(403)
        .has("could not confirm that the certificate has not been revoked");
    // The operator may deny a CA by its fingerprint before any list says so.
    pki.publish_arl(&[]);
    let inter_der = {
        use rustls_pki_types::pem::PemObject;
        rustls_pki_types::CertificateDer::from_pem_slice(pki.inter_pem.as_bytes()).unwrap()
    };
    let fp = {
        use sha2::Digest;
        data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(inter_der.as_ref()))
    };
    let root = pki.root_pem.clone();
    let app = TestApp::start_with(move |c| {
        c.esign.roots = vec![root];
        c.esign.denied_cas = vec![fp];
    })
    .await;
    let (_, page, _) = attempt(&app, &key, &chain).await;
    page.status(403).has("The certificate has been revoked.");
    // And with neither, the citizen logs in.
    let app = start(&pki).await;
    let (_, page, _) = attempt(&app, &key, &chain).await;
    page.status(303);
}

#[tokio::test]
async fn the_crl_size_cap_is_the_operators() {
    let pki = Pki::new().await;
    let (key, chain) = pki.issue(&Citizen::new(9401, &pki.crl_url), true);
    // A national-sized CRL: 60 000 revoked certificates, about 1.5 MiB.
    let many: Vec<u64> = (1_000_000..1_060_000).collect();
    pki.publish_crl(&many);
    assert!(pki.crl.lock().unwrap().len() > 1024 * 1024);
    let root = pki.root_pem.clone();
    let small = TestApp::start_with(move |c| {
        c.esign.roots = vec![root];
        c.esign.crl_max_mib = 1;
    })
    .await;
    let (_, page, _) = attempt(&small, &key, &chain).await;
    page.status(403)
        .has("could not confirm that the certificate has not been revoked");
    let app = start(&pki).await;
    let (_, page, _) = attempt(&app, &key, &chain).await;
    page.status(303);
}

#[tokio::test]
async fn a_crl_server_that_never_answers_fails_closed_within_the_fetch_timeout() {
    let pki = Pki::new().await;
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hung = format!("http://{}/qca.crl", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let (key, chain) = pki.issue(&Citizen::new(9501, &hung), true);
    let root = pki.root_pem.clone();
    let app = TestApp::start_with(move |c| {
        c.esign.roots = vec![root];
        c.esign.fetch_timeout_seconds = 1;
    })
    .await;
    let (_, page, err) = attempt(&app, &key, &chain).await;
    page.status(403)
        .has("could not confirm that the certificate has not been revoked");
    assert!(err.contains("esign-revocation-unknown"), "{err}");
}
