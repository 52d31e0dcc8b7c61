//! SAML 2.0 from the outside: an independent service provider (OneLogin's python3-saml,
//! configured as MPass's guide configures an e-service) drives a running npass, registered
//! with the operator's CLI from the metadata it publishes, and validates every response; and
//! the refusals SECURITY.md's SAML rules promise, each from a request a browser could carry.

use std::path::PathBuf;

use data_encoding::BASE64;
use npass_core::model::Level;
use npass_core::relying::SigningAlg;
use serde_json::{Value, json};

use crate::harness::*;
use crate::operator::{npass, run};

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/it/sp/python3_saml_sp.py"
);

/// One python3-saml service provider: its key, certificate and settings in a state file.
pub(crate) struct Sp {
    pub(crate) state: PathBuf,
    pub(crate) entity_id: String,
    pub(crate) client_id: String,
    /// Its name at npass.
    pub(crate) name: String,
    _dir: tempfile::TempDir,
}

fn pem(label: &str, der: &[u8]) -> String {
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
}

/// The python3-saml SP, one step per run; its JSON answer.
pub(crate) async fn sp_run(state: &PathBuf, args: &[&str]) -> Value {
    script_run(SCRIPT, state, args).await
}

/// A service provider's Python (`script`), one step per run; its JSON answer.
pub(crate) async fn script_run(script: &str, state: &PathBuf, args: &[&str]) -> Value {
    let python = std::env::var("NPASS_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut c = std::process::Command::new(python);
    c.arg(script).arg(state).args(args);
    let out = tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{script} (./test.sh sets its Python up): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A state file for an SP with a fresh key, reading npass's metadata as published.
pub(crate) async fn sp_state(
    app: &TestApp,
    name: &str,
    extra: Value,
) -> (PathBuf, String, tempfile::TempDir) {
    let (der, _) = npass_core::oidc::jwt::generate_rs256("sp").unwrap();
    let cert =
        npass_core::oidc::jwt::self_signed_certificate(SigningAlg::Rs256, &der, "sp", name, 0)
            .unwrap();
    let mut b = app.browser();
    let md = b.get("/meta/saml").await;
    md.status(200);
    assert_eq!(
        md.headers["content-type"].to_str().unwrap(),
        "application/samlmetadata+xml"
    );
    let entity_id = format!("http://localhost/{name}/metadata");
    let mut state = json!({
        "entity_id": entity_id,
        "acs": "http://localhost/acs",
        "slo": "http://localhost/slo",
        "key": pem("PRIVATE KEY", &der),
        "cert": pem("CERTIFICATE", &cert),
        "idp_metadata": md.body,
    });
    for (k, v) in extra.as_object().unwrap() {
        state[k] = v.clone();
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sp.json");
    std::fs::write(&path, state.to_string()).unwrap();
    (path, entity_id, dir)
}

/// An SP registered by the operator's CLI from the metadata python3-saml makes for it, named
/// `extra["display"]` (else "Tax portal").
pub(crate) async fn sp(app: &TestApp, name: &str, extra: Value, cli: &[&str]) -> Sp {
    sp_on(SCRIPT, app, name, extra, cli).await
}

/// An SP on the toolkit `script` drives, registered as `sp` registers one.
pub(crate) async fn sp_on(
    script: &str,
    app: &TestApp,
    name: &str,
    extra: Value,
    cli: &[&str],
) -> Sp {
    let display = extra["display"].as_str().unwrap_or("Tax portal").to_owned();
    let (state, entity_id, dir) = sp_state(app, name, extra).await;
    let md = script_run(script, &state, &["metadata"]).await;
    let file = dir.path().join("sp-metadata.xml");
    std::fs::write(&file, md["metadata"].as_str().unwrap()).unwrap();
    let mut c = npass(app);
    c.args(["eservice", "add", "--name", &display, "--saml-metadata"])
        .arg(&file)
        .args(cli);
    let (code, out, err) = run(c, "").await;
    assert_eq!(code, 0, "{err}");
    let e: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(e["protocol"], "saml");
    assert_eq!(e["entity_id"], entity_id.as_str());
    Sp {
        state,
        entity_id,
        client_id: e["client_id"].as_str().unwrap().to_owned(),
        name: display,
        _dir: dir,
    }
}

/// SAML checks times against the real clock: the app's moves to it.
pub(crate) fn real_time(app: &TestApp) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    app.clock.set_ms(now);
}

/// The auto-posting page's message, as the browser would post it to the ACS.
pub(crate) fn posted(r: &Resp) -> (String, Option<String>) {
    assert!(
        r.body
            .contains("action=\"http:&#x2f;&#x2f;localhost&#x2f;acs\"")
            || r.body.contains("action=\"http://localhost/acs\""),
        "{}",
        r.body
    );
    (
        field_value(&r.body, "SAMLResponse").expect("a SAMLResponse to post"),
        field_value(&r.body, "RelayState"),
    )
}

/// Posts a signed AuthnRequest as the SP's page would (cross-site: no cookie is needed for
/// it), then follows npass's redirect with the browser's cookies.
pub(crate) async fn post_request(b: &mut Browser, saml_request: &str, relay: &str) -> Resp {
    let mut fields = vec![("SAMLRequest", saml_request)];
    if !relay.is_empty() {
        fields.push(("RelayState", relay));
    }
    b.post_raw("/login/saml", &fields).await
}

/// Logs Ion in from the login page `at`, then agrees to share with `service` (named on the
/// consent page).
pub(crate) async fn login_then_consent(b: &mut Browser, at: Resp, service: &str) -> Resp {
    login_then_consent_as(b, at, &ION, service).await
}

/// The same for `who` (whose login needs no code).
pub(crate) async fn login_then_consent_as(
    b: &mut Browser,
    at: Resp,
    who: &Person,
    service: &str,
) -> Resp {
    let r = login_as(b, at, who).await;
    let consent = b.get(&r.location()).await;
    consent.status(200).has("name=\"decision\"").has(service);
    decide(b, &consent, "allow").await
}

/// Logs `who` (whose login needs no code) in from the login page `at`: the redirect onwards.
pub(crate) async fn login_as(b: &mut Browser, at: Resp, who: &Person) -> Resp {
    at.status(200).has("name=\"password\"");
    let next = at.login_next();
    let r = b
        .post_raw(
            "/login",
            &[
                ("csrf", &at.csrf()),
                ("national_id", who.national_id),
                ("password", who.password),
                ("code", ""),
                ("next", &next),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    r
}

/// Answers the consent (or step-up) page `page` with `decision` (`allow` or `deny`).
pub(crate) async fn decide(b: &mut Browser, page: &Resp, decision: &str) -> Resp {
    let req = field_value(&page.body, "req").unwrap();
    b.post_raw(
        "/login/saml/consent",
        &[
            ("csrf", &page.csrf()),
            ("req", &req),
            ("decision", decision),
        ],
    )
    .await
}

#[tokio::test]
async fn python3_saml_logs_in_over_post_and_redirect_and_validates_every_response() {
    let app = TestApp::start().await;
    real_time(&app);
    let sp = sp(
        &app,
        "tax",
        json!({"want_assertions_signed": true}),
        &[
            "--sign-assertions",
            "--attribute",
            "FirstName",
            "--attribute",
            "LastName",
            "--attribute",
            "EmailAddress",
            "--attribute",
            "Gender",
        ],
    )
    .await;
    let mut b = registered(&app, &ION).await;

    // HTTP-POST, as MPass's guide has it: login, consent, a signed response to the ACS.
    let req = sp_run(&sp.state, &["request-post", "0", "0"]).await;
    let r = post_request(&mut b, req["SAMLRequest"].as_str().unwrap(), "tax-return-1").await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.location().starts_with("/login/saml/continue?req="));
    let at = b.get(&r.location()).await;
    let done = login_then_consent(&mut b, at, &sp.name).await;
    done.status(200).has("Tax portal");
    let (response, relay) = posted(&done);
    assert_eq!(relay.as_deref(), Some("tax-return-1"));
    let v = sp_run(
        &sp.state,
        &["response", req["id"].as_str().unwrap(), &response],
    )
    .await;
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["in_response_to"], req["id"]);
    assert_eq!(v["assertion_signed"], true);
    assert_eq!(v["contexts"], json!([Level::Low.acr()]));
    assert_eq!(v["attributes"]["FirstName"], json!(["Ion"]));
    assert_eq!(v["attributes"]["LastName"], json!(["Popescu"]));
    assert_eq!(v["attributes"]["EmailAddress"], json!([ION.email]));
    assert_eq!(v["attributes"]["Gender"], json!(["0"]));
    // Not entitled to the national identifier: a persistent pairwise NameID.
    assert_eq!(
        v["nameid_format"],
        "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
    );
    let nameid = v["nameid"].as_str().unwrap().to_owned();
    assert!(!nameid.contains(ION.national_id));
    let session_index = v["session_index"].as_str().unwrap().to_owned();
    assert!(!session_index.is_empty());

    // HTTP-Redirect, with the session: single sign-on, no page but the post back.
    let req = sp_run(&sp.state, &["request-redirect", "0", "0", "back"]).await;
    let url = req["url"].as_str().unwrap();
    let path = url.strip_prefix(&app.base).unwrap();
    let r = b.get(path).await;
    let (response, relay) = posted(&r);
    assert_eq!(relay.as_deref(), Some("back"));
    let v = sp_run(
        &sp.state,
        &["response", req["id"].as_str().unwrap(), &response],
    )
    .await;
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(
        v["nameid"],
        nameid.as_str(),
        "the same person, the same NameID"
    );
    assert_eq!(v["session_index"], session_index.as_str(), "one session");

    // ForceAuthn: the session does not do; the login form again.
    app.clock.advance_secs(1);
    let req = sp_run(&sp.state, &["request-post", "1", "0"]).await;
    let r = post_request(&mut b, req["SAMLRequest"].as_str().unwrap(), "").await;
    let at = b.get(&r.location()).await;
    at.status(200).has("name=\"password\"");

    // IsPassive in a browser without a session: NoPassive, no page.
    let mut stranger = app.browser();
    let req = sp_run(&sp.state, &["request-post", "0", "1"]).await;
    let r = post_request(&mut stranger, req["SAMLRequest"].as_str().unwrap(), "").await;
    let r = stranger.get(&r.location()).await;
    let (response, _) = posted(&r);
    let v = sp_run(
        &sp.state,
        &["response", req["id"].as_str().unwrap(), &response],
    )
    .await;
    assert_eq!(v["valid"], false);
    assert_eq!(
        v["status_detail"],
        json!([
            "urn:oasis:names:tc:SAML:2.0:status:Requester",
            "urn:oasis:names:tc:SAML:2.0:status:NoPassive"
        ]),
        "{v}"
    );

    // What was released is in the citizen's history.
    use npass_core::store::AuditStore;
    let rows = app.store.audit_range(0, 1000).await.unwrap();
    assert!(rows.iter().any(|r| {
        r.event.kind == "saml.authorized"
            && r.event.detail["client_id"] == sp.client_id.as_str()
            && r.event.detail["attributes"]
                .as_array()
                .unwrap()
                .contains(&json!("FirstName"))
    }));
    let _ = &sp.entity_id;
}

#[tokio::test]
async fn requests_that_cannot_be_trusted_get_a_page_and_nothing_is_sent() {
    let app = TestApp::start().await;
    real_time(&app);
    let sp = sp(&app, "tax", json!({}), &[]).await;
    let mut b = app.browser();
    let refused = |r: &Resp, text: &str| {
        let main = r.body.split("<main").nth(1).unwrap_or(&r.body);
        assert_eq!(r.status, 400, "{main}");
        assert!(r.body.contains(text), "{text}: {main}");
        assert!(!r.body.contains("SAMLResponse"));
    };

    // A replayed request (the same ID, on any node).
    let req = sp_run(&sp.state, &["request-post", "0", "0"]).await;
    let saml = req["SAMLRequest"].as_str().unwrap();
    assert_eq!(post_request(&mut b, saml, "").await.status, 303);
    let base = app.base.clone();
    let peer = app.peer_with(|c| c.public_url = base).await;
    let mut pb = peer.browser();
    refused(&post_request(&mut pb, saml, "").await, "already used");

    // RelayState over 80 bytes.
    let req = sp_run(&sp.state, &["request-post", "0", "0"]).await;
    refused(
        &post_request(
            &mut b,
            req["SAMLRequest"].as_str().unwrap(),
            &"r".repeat(81),
        )
        .await,
        "80 bytes",
    );

    // The same entity id, signed by another key (a key named in KeyInfo is not trusted).
    let (other, _, _dir) = sp_state(&app, "tax", json!({})).await;
    let req = sp_run(&other, &["request-post", "0", "0"]).await;
    refused(
        &post_request(&mut b, req["SAMLRequest"].as_str().unwrap(), "").await,
        "registered certificate",
    );

    // Unsigned.
    let req = sp_run(&sp.state, &["request-post", "0", "0"]).await;
    let xml = req["xml"].as_str().unwrap();
    let start = xml.find("<ds:Signature").unwrap();
    let end = xml.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let unsigned = format!("{}{}", &xml[..start], &xml[end..]);
    refused(
        &post_request(&mut b, &BASE64.encode(unsigned.as_bytes()), "").await,
        "registered certificate",
    );

    // Signed with SHA-1, by the registered key.
    let req = sp_run(&sp.state, &["request-post", "0", "0", "sha1"]).await;
    assert!(req["xml"].as_str().unwrap().contains("rsa-sha1"));
    refused(
        &post_request(&mut b, req["SAMLRequest"].as_str().unwrap(), "").await,
        "SHA-1",
    );

    // Signature wrapping: the signed request moved inside an unsigned one with another ID.
    let wrapped = xml.replacen(
        "<samlp:AuthnRequest",
        "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_evil\" Version=\"2.0\" IssueInstant=\"2030-01-01T00:00:00Z\"><saml:Issuer>http://localhost/tax/metadata</saml:Issuer><samlp:Extensions><samlp:AuthnRequest",
        1,
    ) + "</samlp:Extensions></samlp:AuthnRequest>";
    let r = post_request(&mut b, &BASE64.encode(wrapped.as_bytes()), "").await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(!r.body.contains("SAMLResponse"));

    // Another ACS than the registered one, properly signed.
    let (moved, _, _dir2) =
        sp_state(&app, "tax", json!({"acs": "http://localhost/elsewhere"})).await;
    let state: Value = serde_json::from_str(&std::fs::read_to_string(&moved).unwrap()).unwrap();
    let mine: Value = serde_json::from_str(&std::fs::read_to_string(&sp.state).unwrap()).unwrap();
    let mut moved_state = mine.clone();
    moved_state["acs"] = state["acs"].clone();
    std::fs::write(&moved, moved_state.to_string()).unwrap();
    let req = sp_run(&moved, &["request-post", "0", "0"]).await;
    refused(
        &post_request(&mut b, req["SAMLRequest"].as_str().unwrap(), "").await,
        "not registered",
    );

    // A DTD (XXE, billion laughs) is refused before any parser resolves anything.
    for payload in [
        r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&x;</samlp:AuthnRequest>"#,
        r#"<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&c;</samlp:AuthnRequest>"#,
    ] {
        refused(
            &post_request(&mut b, &BASE64.encode(payload.as_bytes()), "").await,
            "could not be read",
        );
    }

    // A deflate bomb over HTTP-Redirect: a few KiB that would inflate to 10 MB.
    let bomb = npass_core::saml::binding::encode_redirect(&"a".repeat(10 * 1024 * 1024));
    refused(
        &b.get(&format!("/login/saml?SAMLRequest={}", enc(&bomb)))
            .await,
        "too large",
    );

    // A stale request: issued more than the allowed skew ago.
    let req = sp_run(&sp.state, &["request-post", "0", "0"]).await;
    app.clock.advance_secs(4 * 60);
    refused(
        &post_request(&mut b, req["SAMLRequest"].as_str().unwrap(), "").await,
        "too old",
    );
    // A request dated in the future (npass's clock is 4 minutes behind the service's).
    real_time(&app);
    app.clock.advance_secs(-4 * 60);
    let req = sp_run(&sp.state, &["request-post", "0", "0"]).await;
    refused(
        &post_request(&mut b, req["SAMLRequest"].as_str().unwrap(), "").await,
        "dated in the future",
    );
    // An issuer npass does not know.
    let (unknown, _, _dir3) = sp_state(&app, "nobody", json!({})).await;
    real_time(&app);
    let req = sp_run(&unknown, &["request-post", "0", "0"]).await;
    refused(
        &post_request(&mut b, req["SAMLRequest"].as_str().unwrap(), "").await,
        "not registered with npass",
    );
}

#[tokio::test]
async fn encrypted_assertions_are_read_only_with_the_services_key() {
    let app = TestApp::start().await;
    real_time(&app);
    // python3-saml asks for encrypted assertions: its metadata offers its key for encryption.
    let sp = sp(
        &app,
        "tax",
        json!({"want_assertions_encrypted": true, "want_assertions_signed": true}),
        &[
            "--encrypt-assertions",
            "--sign-assertions",
            "--national-id-claim",
            "--attribute",
            "FirstName",
            "--attribute",
            "NameIdentifier",
        ],
    )
    .await;
    let mut c = npass(&app);
    c.args(["eservice", "show", &sp.client_id]);
    let (code, out, err) = run(c, "").await;
    assert_eq!(code, 0, "{err}");
    let shown: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["encrypt_assertions"], true);
    assert_eq!(shown["encryption"], "aes256-gcm");

    let mut b = registered(&app, &ION).await;
    let req = sp_run(&sp.state, &["request-post", "0", "0"]).await;
    let r = post_request(&mut b, req["SAMLRequest"].as_str().unwrap(), "").await;
    let at = b.get(&r.location()).await;
    let done = login_then_consent(&mut b, at, &sp.name).await;
    let (response, _) = posted(&done);
    // What the browser carries names neither the citizen nor the identifier.
    let raw = String::from_utf8(BASE64.decode(response.as_bytes()).unwrap()).unwrap();
    assert!(raw.contains("<saml:EncryptedAssertion"), "{raw}");
    assert!(raw.contains("http://www.w3.org/2009/xmlenc11#aes256-gcm"));
    assert!(!raw.contains("<saml:Assertion"));
    // (As element text: the base64 ciphertext may spell "Ion" by chance, about once in a
    // hundred runs.)
    assert!(!raw.contains(ION.national_id) && !raw.contains(">Ion<"));
    // The service decrypts it with its key and checks both signatures.
    let v = sp_run(
        &sp.state,
        &["response", req["id"].as_str().unwrap(), &response],
    )
    .await;
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["encrypted"], true);
    assert_eq!(v["assertion_signed"], true);
    assert_eq!(v["nameid"], ION.national_id);
    assert_eq!(v["attributes"]["FirstName"], json!(["Ion"]));

    // Another service's key opens nothing: a second SP holding a different key, handed the
    // same response, cannot read it.
    let (other, _, _dir) = sp_state(
        &app,
        "tax",
        json!({"want_assertions_encrypted": true, "entity_id": sp.entity_id}),
    )
    .await;
    let v = sp_run(
        &other,
        &["response", req["id"].as_str().unwrap(), &response],
    )
    .await;
    assert_eq!(v["valid"], false, "{v}");
}

#[tokio::test]
async fn registering_a_saml_service_refuses_what_npass_could_not_honour() {
    let app = TestApp::start().await;
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let (rsa, _) = npass_core::oidc::jwt::generate_rs256("sp").unwrap();
    let rsa_cert = write(
        "sp.cer",
        &npass_core::oidc::jwt::self_signed_certificate(SigningAlg::Rs256, &rsa, "sp", "sp", 0)
            .unwrap(),
    );
    let ec = npass_core::oidc::jwt::generate_es256("ec").unwrap().0;
    let ec_cert = write(
        "ec.cer",
        &npass_core::oidc::jwt::self_signed_certificate(SigningAlg::Es256, &ec, "ec", "ec", 0)
            .unwrap(),
    );
    let base = |extra: &[&str]| {
        let mut c = npass(&app);
        c.args([
            "eservice",
            "add",
            "--name",
            "Tax portal",
            "--saml-entity-id",
            "https://tax.example.md/saml",
            "--acs-url",
            "https://tax.example.md/acs",
            "--saml-cert",
            &rsa_cert,
        ])
        .args(extra);
        c
    };
    for (extra, says) in [
        // Encryption with no key to encrypt to, or to a key OAEP cannot use.
        (vec!["--encrypt-assertions"], "encryption certificate"),
        (
            vec!["--encrypt-assertions", "--saml-encryption-cert", &ec_cert],
            "RSA key",
        ),
        (vec!["--attribute", "ShoeSize"], "attribute"),
        (vec!["--attribute", "NameIdentifier"], "national"),
        (vec!["--acs-url", "http://tax.example.md/acs"], "https"),
    ] {
        let (code, out, err) = run(base(&extra), "").await;
        assert_ne!(code, 0, "{extra:?} was accepted: {out}");
        assert!(err.contains(says), "{extra:?}: {err}");
    }
    // Nothing of those was registered; the same with an RSA encryption key is.
    let mut c = npass(&app);
    c.args(["eservice", "list"]);
    let (_, out, _) = run(c, "").await;
    assert!(!out.contains("tax.example.md"), "{out}");
    let (code, out, err) = run(
        base(&["--encrypt-assertions", "--saml-encryption-cert", &rsa_cert]),
        "",
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let e: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(e["encrypt_assertions"], true);
}

/// Sends `sp`'s HTTP-POST AuthnRequest from `b` and follows npass to the page it ends on.
async fn ask(b: &mut Browser, sp: &Sp) -> (String, Resp) {
    let req = sp_run(&sp.state, &["request-post", "0", "0"]).await;
    let r = post_request(b, req["SAMLRequest"].as_str().unwrap(), "").await;
    let r = if r.status == 303 {
        b.get(&r.location()).await
    } else {
        r
    };
    (req["id"].as_str().unwrap().to_owned(), r)
}

/// The status codes of the response on the page `r` posts to `sp`.
async fn statuses(sp: &Sp, id: &str, r: &Resp) -> Value {
    let (response, _) = posted(r);
    let v = sp_run(&sp.state, &["response", id, &response]).await;
    v["status_detail"].clone()
}

#[tokio::test]
async fn requested_contexts_step_up_and_are_never_overclaimed() {
    let app = TestApp::start().await;
    real_time(&app);
    let no_context = json!([
        "urn:oasis:names:tc:SAML:2.0:status:Requester",
        "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext"
    ]);
    let strict = sp(
        &app,
        "tax",
        json!({"requested_context": ["http://eidas.europa.eu/LoA/substantial"], "comparison": "minimum"}),
        &[],
    )
    .await;
    let exact_low = sp(
        &app,
        "social",
        json!({"display": "Social portal", "comparison": "exact",
               "requested_context": ["urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"]}),
        &[],
    )
    .await;
    let odd = sp(
        &app,
        "odd",
        json!({"display": "Odd portal", "requested_context": ["urn:example:ac:retina-scan"]}),
        &[],
    )
    .await;
    let mut b = registered(&app, &ION).await;
    login(&mut b, &ION, "").await.status(303);

    // A class npass does not know: NoAuthnContext, without a page.
    let (id, r) = ask(&mut b, &odd).await;
    assert_eq!(statuses(&odd, &id, &r).await, no_context);

    // Substantial or better, asked of a session at low: the step-up page; declining it tells
    // the service the context cannot be met.
    let (id, r) = ask(&mut b, &strict).await;
    r.status(200).has("A stronger login is needed");
    let r = decide(&mut b, &r, "deny").await;
    assert_eq!(statuses(&strict, &id, &r).await, no_context);

    // With the verification code the session reaches substantial, and the assertion says so.
    let (secret, _) = activate_two_step(&app, &mut b).await;
    let (id, r) = ask(&mut b, &strict).await;
    let next = r.login_next();
    let r = b
        .post_raw(
            "/login",
            &[
                ("csrf", &r.csrf()),
                ("national_id", ION.national_id),
                ("password", ION.password),
                ("code", &app.code_at(&secret, 1)),
                ("next", &next),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let consent = b.get(&r.location()).await;
    let r = decide(&mut b, &consent, "allow").await;
    let (response, _) = posted(&r);
    let v = sp_run(&strict.state, &["response", &id, &response]).await;
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["contexts"], json!([Level::Substantial.acr()]));

    // Exactly low, asked of a session at substantial: npass never states less than was
    // reached, so it cannot answer.
    let (id, r) = ask(&mut b, &exact_low).await;
    assert_eq!(statuses(&exact_low, &id, &r).await, no_context);
}

/// The parked request waits through an e-signature login, and the assertion states high; an
/// organisation's certificate adds MPass's IDNO and CompanyName, a personal one does not; the
/// organisation certificate's holder administers the organisation from then on
/// (`AdministeredLegalEntity`, and in the register).
#[tokio::test]
async fn a_parked_request_resumes_after_an_e_signature_at_level_high() {
    use crate::esign::{Citizen, Pki, begin_for, npass_sign, pem_args, start};
    let pki = Pki::new().await;
    let app = start(&pki).await;
    real_time(&app);
    // The test PKI's certificates and revocation lists, current on today's date.
    let day = (app.now() - T0) / 1000 / 86_400;
    pki.publish_crl_at(&[], day);
    pki.publish_arl_at(&[], day);
    let organisation = Citizen::new(11002, &pki.crl_url)
        .around_day(day)
        .of_organization("NTRMD-1003600012344", "Întreprinderea Test SRL");
    let personal = Citizen::new(11003, &pki.crl_url).around_day(day);
    let sp = sp(
        &app,
        "tax",
        json!({}),
        &[
            "--min-level",
            "high",
            "--attribute",
            "FirstName",
            "--attribute",
            "IDNO",
            "--attribute",
            "CompanyName",
            "--attribute",
            "AdministeredLegalEntity",
        ],
    )
    .await;
    registered(&app, &ION).await;

    let mut first = true;
    for (citizen, org) in [(&organisation, true), (&personal, false)] {
        let (key, chain) = pki.issue(citizen, true);
        let mut b = app.browser();
        let (id, r) = ask(&mut b, &sp).await;
        let next = r.login_next();
        r.has("Log in with e-signature");
        let (wait, text) = begin_for(&mut b, &next).await;
        let (code, _, err) = npass_sign(pem_args(&key, &chain, &text), vec![]).await;
        assert_eq!(code, 0, "{err}");
        let r = b.get(&wait).await;
        assert_eq!(r.location(), next);
        let r = b.get(&next).await;
        let r = if first {
            // The consent names what an organisation's certificate adds.
            r.status(200)
                .has("Tax portal")
                .has("identification number (IDNO)");
            decide(&mut b, &r, "allow").await
        } else {
            r
        };
        first = false;
        let (response, _) = posted(&r);
        let v = sp_run(&sp.state, &["response", &id, &response]).await;
        assert_eq!(v["valid"], true, "{v}");
        assert_eq!(v["contexts"], json!([Level::High.acr()]));
        assert_eq!(v["attributes"]["FirstName"], json!(["Ion"]));
        // The organisation certificate put it in the register with Ion as its administrator:
        // MPass's AdministeredLegalEntity says so, whatever the login.
        assert_eq!(
            v["attributes"]["AdministeredLegalEntity"],
            json!(["Întreprinderea Test SRL 1003600012344"]),
            "{v}"
        );
        if org {
            assert_eq!(v["attributes"]["IDNO"], json!(["1003600012344"]), "{v}");
            assert_eq!(
                v["attributes"]["CompanyName"],
                json!(["Întreprinderea Test SRL"])
            );
        } else {
            assert!(v["attributes"].get("IDNO").is_none(), "{v}");
            assert!(v["attributes"].get("CompanyName").is_none(), "{v}");
        }
    }
    let mut c = npass(&app);
    c.args(["org", "show", "1003600012344"]);
    let (code, out, err) = run(c, "").await;
    assert_eq!(code, 0, "{err}");
    let org: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(org["name"], "Întreprinderea Test SRL");
    assert_eq!(
        org["members"],
        json!([{"national_id": ION.national_id, "kind": "admin", "roles": [], "until": null}])
    );
}

/// The parked request waits through a passwordless passkey login, and through a QR login the
/// npass app approves; each assertion states substantial.
#[tokio::test]
async fn a_parked_request_resumes_after_a_passkey_or_the_apps_approval() {
    use crate::passkeys::{app_on_localhost, ion_with_passkey, options, origin};
    use crate::qrlogin::{approve, phone_browser, show_code_for};
    use crate::softkey::Answer;
    let app = app_on_localhost(|_| {}).await;
    real_time(&app);
    let sp = sp(&app, "tax", json!({}), &[]).await;
    let (_, mut key) = ion_with_passkey(&app).await;
    let honest = Answer::honest(&origin(&app));

    for (n, by_app) in [(0, false), (1, true)] {
        let mut b = app.browser();
        let (id, r) = ask(&mut b, &sp).await;
        let next = r.login_next();
        let r = if by_app {
            // The computer shows a code; the phone approves it with its passkey.
            let s = show_code_for(&mut b, &next).await;
            let mut phone = phone_browser(&app).await;
            let (status, done) =
                approve(&mut phone, &s, &s.secret, s.number, &mut key, &honest).await;
            assert_eq!(status, 200, "{done}");
            b.get(&s.page).await
        } else {
            let (ceremony, opts) =
                options(&mut b, "/login?reauth=1", "/login/passkey/options", None).await;
            let credential = key.get(&opts, &honest);
            let csrf = b.get("/login?reauth=1").await.csrf();
            b.post_raw(
                "/login/passkey",
                &[
                    ("csrf", csrf.as_str()),
                    ("ceremony", &ceremony),
                    ("credential", &credential),
                    ("next", &next),
                ],
            )
            .await
        };
        assert_eq!((r.status, r.location()), (303, next.clone()), "{}", r.body);
        let r = b.get(&next).await;
        // Consent once; the second login finds it given.
        let r = if n == 0 {
            decide(&mut b, &r, "allow").await
        } else {
            r
        };
        let (response, _) = posted(&r);
        let v = sp_run(&sp.state, &["response", &id, &response]).await;
        assert_eq!(v["valid"], true, "{v}");
        assert_eq!(v["contexts"], json!([Level::Substantial.acr()]));
    }
}

/// A production deployment refuses SAML endpoints on its own machine (MPass's rule: test
/// services stay with test deployments); a test deployment takes them.
#[tokio::test]
async fn production_refuses_services_on_this_machine() {
    let app = TestApp::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (der, _) = npass_core::oidc::jwt::generate_rs256("sp").unwrap();
    let cert = dir.path().join("sp.cer");
    std::fs::write(
        &cert,
        npass_core::oidc::jwt::self_signed_certificate(SigningAlg::Rs256, &der, "sp", "sp", 0)
            .unwrap(),
    )
    .unwrap();
    let add = |production: bool, acs: &str, slo: &str| {
        let mut c = npass(&app);
        if production {
            c.env("NPASS_MODE", "production")
                .env("NPASS_PUBLIC_URL", "https://npass.example.md")
                .env(
                    "NPASS_KEYS__MASTER_KEY_FILE",
                    app.data_dir.join("master.key"),
                )
                .env("NPASS_PASSWORD__MEMORY_KIB", "19456")
                .env("NPASS_PASSWORD__ITERATIONS", "2");
        }
        c.args([
            "eservice",
            "add",
            "--name",
            "Tax portal",
            "--saml-entity-id",
            &format!("https://tax.example.md/{acs}{slo}"),
            "--acs-url",
            acs,
            "--slo-url",
            slo,
            "--saml-cert",
        ])
        .arg(&cert);
        c
    };
    for (acs, slo) in [
        ("http://localhost/acs", ""),
        ("https://localhost/acs", ""),
        ("http://127.0.0.1:8443/acs", ""),
        ("https://app.localhost/acs", ""),
        ("https://tax.example.md/acs", "http://[::1]/slo"),
    ] {
        let (code, out, err) = run(add(true, acs, slo), "").await;
        assert_ne!(code, 0, "{acs} {slo}: {out}");
        assert!(err.contains("production deployment"), "{acs} {slo}: {err}");
        // A test deployment takes the same.
        let (code, _, err) = run(add(false, acs, slo), "").await;
        assert_eq!(code, 0, "{acs} {slo}: {err}");
    }
    let (code, _, err) = run(
        add(
            true,
            "https://tax.example.md/acs",
            "https://tax.example.md/slo",
        ),
        "",
    )
    .await;
    assert_eq!(code, 0, "{err}");
}
