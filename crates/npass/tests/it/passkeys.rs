//! Passkeys over HTTP, answered by a software authenticator (`softkey`): registration from My
//! account, passwordless and second-step logins, the levels they reach, and the refusals of
//! SECURITY.md "WebAuthn" (design note 0014). Chromium's own authenticator is in e2e.

use npass_core::model::{Amr, Level};

use crate::harness::*;
use crate::softkey::{Answer, SoftKey};

/// An app whose public URL names `localhost` (WebAuthn refuses an IP address as RP ID).
pub(crate) async fn app_on_localhost(f: impl FnOnce(&mut npass::config::Config)) -> TestApp {
    TestApp::start_with(|c| {
        c.public_url = c.public_url.replace("127.0.0.1", "localhost");
        f(c);
    })
    .await
}

pub(crate) fn origin(app: &TestApp) -> String {
    app.base.replace("127.0.0.1", "localhost")
}

/// Options from `path` for the page `page`'s form (its CSRF token, and `tx` when given).
pub(crate) async fn options(
    b: &mut Browser,
    page: &str,
    path: &str,
    tx: Option<&str>,
) -> (String, serde_json::Value) {
    let csrf = b.get(page).await.csrf();
    let mut fields = vec![("csrf", csrf.as_str())];
    if let Some(tx) = tx {
        fields.push(("tx", tx));
    }
    let r = b.post_raw(path, &fields).await;
    r.status(200);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    (
        v["ceremony"].as_str().unwrap().to_owned(),
        v["options"].clone(),
    )
}

/// ION registered, with two-step, logged in with password and code (substantial).
pub(crate) async fn ion_at_substantial(app: &TestApp) -> (Browser, Vec<u8>) {
    at_substantial(app, &ION).await
}

/// `who` registered, with two-step, logged in with password and code (substantial).
pub(crate) async fn at_substantial(app: &TestApp, who: &Person) -> (Browser, Vec<u8>) {
    let mut b = registered(app, who).await;
    login(&mut b, who, "").await.status(303);
    let (secret, _) = activate_two_step(app, &mut b).await;
    app.clock.advance_secs(30);
    let r = login(&mut b, who, &app.code(&secret)).await;
    assert_eq!((r.status, r.location()), (303, "/account".to_string()));
    (b, secret)
}

/// ION at substantial with a passkey named "Phone": the browser, and the key.
pub(crate) async fn ion_with_passkey(app: &TestApp) -> (Browser, SoftKey) {
    let (mut b, _) = ion_at_substantial(app).await;
    let mut key = SoftKey::new();
    add_passkey(app, &mut b, &mut key, "Phone")
        .await
        .status(303);
    (b, key)
}

pub(crate) async fn add_passkey(
    app: &TestApp,
    b: &mut Browser,
    key: &mut SoftKey,
    name: &str,
) -> Resp {
    add_passkey_answered(app, b, key, name, &Answer::honest(&origin(app))).await
}

async fn add_passkey_answered(
    _app: &TestApp,
    b: &mut Browser,
    key: &mut SoftKey,
    name: &str,
    a: &Answer,
) -> Resp {
    let (ceremony, opts) = options(b, "/account/passkeys", "/account/passkeys/options", None).await;
    let credential = key.create(&opts, a);
    let csrf = b.get("/account/passkeys").await.csrf();
    b.post_raw(
        "/account/passkeys",
        &[
            ("csrf", &csrf),
            ("name", name),
            ("ceremony", &ceremony),
            ("credential", &credential),
        ],
    )
    .await
}

/// Posts an authenticator's answer to `ceremony` from browser `b` (with its CSRF token), for
/// the stored login `tx` when there is one.
async fn answer(b: &mut Browser, tx: Option<&str>, ceremony: &str, credential: &str) -> Resp {
    let csrf = b.get("/login?reauth=1").await.csrf();
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("ceremony", ceremony),
        ("credential", credential),
    ];
    if let Some(tx) = tx {
        fields.push(("tx", tx));
    }
    b.post_raw("/login/passkey", &fields).await
}

/// ION's password without a code: the passkey step's stored login and a ceremony for it.
async fn password_step(x: &mut Browser) -> (String, String, serde_json::Value) {
    let step = login(x, &ION, "").await;
    step.status(200).has("Confirm with your passkey");
    let tx = field_value(&step.body, "tx").unwrap();
    let (ceremony, opts) = options(x, "/login?reauth=1", "/login/passkey/options", Some(&tx)).await;
    (tx, ceremony, opts)
}

/// A passwordless login, the options signed by `sign`.
async fn passkey_login(b: &mut Browser, sign: impl FnOnce(&serde_json::Value) -> String) -> Resp {
    let (ceremony, opts) = options(b, "/login?reauth=1", "/login/passkey/options", None).await;
    let credential = sign(&opts);
    answer(b, None, &ceremony, &credential).await
}

#[track_caller]
fn refused(r: &Resp) {
    assert_eq!(
        r.status,
        401,
        "refused; to {}; page:\n{}",
        r.location(),
        r.body
    );
    assert!(
        !r.set_cookies()
            .iter()
            .any(|c| c.starts_with("__Host-npass=")),
        "no session for a refused passkey"
    );
    r.has("The passkey could not be checked.");
}

pub(crate) async fn ion_id(app: &TestApp) -> String {
    app.core
        .store
        .account_by_national_id(ION.national_id)
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string()
}

#[tokio::test]
async fn a_passkey_is_added_from_my_account_and_logs_in_alone_at_substantial() {
    let app = app_on_localhost(|_| {}).await;
    let (mut b, _) = ion_at_substantial(&app).await;
    let mut key = SoftKey::new();

    // The options ask for user verification, prefer a discoverable credential, and name us.
    let (_, opts) = options(
        &mut b,
        "/account/passkeys",
        "/account/passkeys/options",
        None,
    )
    .await;
    let pk = &opts["publicKey"];
    assert_eq!(pk["rp"]["id"], "localhost");
    assert_eq!(pk["authenticatorSelection"]["userVerification"], "required");
    assert_eq!(pk["authenticatorSelection"]["residentKey"], "preferred");
    assert_eq!(pk["user"]["name"], ION.national_id);

    let r = add_passkey(&app, &mut b, &mut key, "My phone").await;
    assert_eq!(r.location(), "/account/passkeys?done=passkey-added");
    b.get(&r.location())
        .await
        .status(200)
        .has("My phone")
        .has("The passkey is added.")
        .has("Not used yet");
    let mail = app.mail(ION.email, "My phone").await;
    assert!(mail.contains("A passkey was added"), "{mail}");

    // Registering the same authenticator again is excluded by the options and refused.
    let (_, opts) = options(
        &mut b,
        "/account/passkeys",
        "/account/passkeys/options",
        None,
    )
    .await;
    let excluded = opts["publicKey"]["excludeCredentials"].as_array().unwrap();
    assert_eq!(excluded.len(), 1);
    let again = add_passkey(&app, &mut b, &mut key, "Again").await;
    again.status(400).has("This passkey is already registered.");

    // A new browser logs in with it, no password: substantial, with swk, user and mfa.
    let mut other = app.browser();
    let login_page = other.get("/login").await;
    login_page
        .has("action=\"/login/passkey\"")
        .has("autocomplete=\"username webauthn\"");
    let (_, opts) = options(&mut other, "/login", "/login/passkey/options", None).await;
    assert_eq!(opts["publicKey"]["userVerification"], "required");
    assert!(
        opts["publicKey"]["allowCredentials"]
            .as_array()
            .is_none_or(|a| a.is_empty()),
        "passwordless: any discoverable passkey"
    );
    let o = origin(&app);
    let r = passkey_login(&mut other, |opts| key.get(opts, &Answer::honest(&o))).await;
    assert_eq!((r.status, r.location()), (303, "/account".to_string()));
    let id = ion_id(&app).await;
    let sessions = app.core.logins.sessions_of(&id).await.unwrap();
    let s = sessions.iter().find(|s| s.amr.contains(&Amr::Swk)).unwrap();
    assert_eq!(s.level, Level::Substantial);
    assert!(s.amr.contains(&Amr::User) && s.amr.contains(&Amr::Mfa));
    assert!(!s.amr.contains(&Amr::Pwd));
    other
        .get("/account/passkeys")
        .await
        .lacks("Not used yet")
        .has("On this device only");
}

#[tokio::test]
async fn refusals_give_no_session_and_change_nothing() {
    let app = app_on_localhost(|_| {}).await;
    let (_, mut key) = ion_with_passkey(&app).await;
    let o = origin(&app);
    let honest = Answer::honest(&o);
    let mut x = app.browser();

    // An assertion made for another origin, or another RP ID.
    let evil = Answer {
        origin: "http://evil.example".into(),
        ..honest.clone()
    };
    refused(&passkey_login(&mut x, |op| key.get(op, &evil)).await);
    let other_rp = Answer {
        rp_id: Some("evil.example".into()),
        ..honest.clone()
    };
    refused(&passkey_login(&mut x, |op| key.get(op, &other_rp)).await);
    // User verification absent: no passwordless login.
    let no_uv = Answer {
        user_verified: false,
        ..honest.clone()
    };
    refused(&passkey_login(&mut x, |op| key.get(op, &no_uv)).await);
    // A registration's answer type at login.
    let create_type = Answer {
        ceremony_type: Some("webauthn.create"),
        ..honest.clone()
    };
    refused(&passkey_login(&mut x, |op| key.get(op, &create_type)).await);

    // A good answer logs in once; the same answer posted again (its ceremony spent), or to a
    // new ceremony (another challenge), does not.
    let (ceremony, opts) = options(&mut x, "/login?reauth=1", "/login/passkey/options", None).await;
    let good = key.get(&opts, &honest);
    answer(&mut x, None, &ceremony, &good).await.status(303);
    let mut y = app.browser();
    refused(&answer(&mut y, None, &ceremony, &good).await);
    refused(&passkey_login(&mut y, |_| good.clone()).await);

    // Another browser's ceremony: started in y, answered from z.
    let (ceremony, opts) = options(&mut y, "/login", "/login/passkey/options", None).await;
    let signed = key.get(&opts, &honest);
    let mut z = app.browser();
    refused(&answer(&mut z, None, &ceremony, &signed).await);
    // An expired ceremony.
    let (ceremony, opts) = options(&mut y, "/login", "/login/passkey/options", None).await;
    let signed = key.get(&opts, &honest);
    app.clock.advance_secs(121);
    refused(&answer(&mut y, None, &ceremony, &signed).await);

    // A counter that does not go up (a cloned authenticator) is refused and recorded.
    let id = ion_id(&app).await;
    let before = app.core.passkeys.of(&id).await.unwrap()[0].sign_count;
    let stale = u32::try_from(before).unwrap();
    refused(&passkey_login(&mut y, |op| key.get_at(op, &honest, stale)).await);
    let trail = app
        .core
        .credentials
        .history(&id, &["passkey."], 10)
        .await
        .unwrap();
    assert!(
        trail
            .iter()
            .any(|r| r.event.kind == "passkey.counter-regression")
    );
    // The stored counter is the last good one; the honest key still works.
    let stored = app.core.passkeys.of(&id).await.unwrap();
    assert_eq!(stored[0].sign_count, before);
    let r = passkey_login(&mut y, |op| key.get(op, &honest)).await;
    assert_eq!(r.status, 303);
    // Only the two honest logins made sessions (and the first browser's).
    assert_eq!(app.core.logins.sessions_of(&id).await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_passkey_is_the_second_step_after_the_password_and_only_the_accounts_own() {
    let app = app_on_localhost(|_| {}).await;
    let (mut b, _) = ion_at_substantial(&app).await;
    let mut key = SoftKey::new();
    add_passkey(&app, &mut b, &mut key, "Security key")
        .await
        .status(303);
    // Ana has a passkey of her own.
    let mut ana_b = registered(&app, &ANA).await;
    login(&mut ana_b, &ANA, "").await.status(303);
    let (ana_secret, _) = activate_two_step(&app, &mut ana_b).await;
    let r = login(&mut ana_b, &ANA, &app.code_at(&ana_secret, 1)).await;
    r.status(303);
    let mut ana_key = SoftKey::new();
    add_passkey(&app, &mut ana_b, &mut ana_key, "Ana's phone")
        .await
        .status(303);

    // The password alone leads to the passkey step (the code field left empty).
    let mut x = app.browser();
    let (tx, ceremony, opts) = password_step(&mut x).await;
    let allowed = opts["publicKey"]["allowCredentials"].as_array().unwrap();
    assert_eq!(allowed.len(), 1, "only ION's passkeys");
    assert_eq!(opts["publicKey"]["userVerification"], "preferred");

    // Ana's passkey does not answer for ION.
    let o = origin(&app);
    let wrong = ana_key.get(&opts, &Answer::honest(&o));
    refused(&answer(&mut x, Some(&tx), &ceremony, &wrong).await);

    // A passkey registered with user verification keeps needing it (the library holds it
    // per credential), after a password too.
    let (tx, ceremony, opts) = password_step(&mut x).await;
    let touch_only = Answer {
        user_verified: false,
        ..Answer::honest(&o)
    };
    let signed = key.get(&opts, &touch_only);
    refused(&answer(&mut x, Some(&tx), &ceremony, &signed).await);

    // The passkey, verified, completes the login after the password.
    let (tx, ceremony, opts) = password_step(&mut x).await;
    let signed = key.get(&opts, &Answer::honest(&o));
    let r = answer(&mut x, Some(&tx), &ceremony, &signed).await;
    assert_eq!((r.status, r.location()), (303, "/account".to_string()));
    let id = ion_id(&app).await;
    let s = app
        .core
        .logins
        .sessions_of(&id)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.amr.contains(&Amr::Swk))
        .unwrap();
    assert_eq!(s.level, Level::Substantial);
    assert!(s.amr.contains(&Amr::Pwd) && s.amr.contains(&Amr::Mfa));
    // The stored login was spent with the session.
    let csrf = x.get("/login?reauth=1").await.csrf();
    let again = x
        .post_raw("/login/passkey/options", &[("csrf", &csrf), ("tx", &tx)])
        .await;
    again.status(410);
}

#[tokio::test]
async fn passkeys_are_renamed_and_removed_with_a_recent_login_for_the_last_one() {
    let app = app_on_localhost(|_| {}).await;
    let mut ana = registered(&app, &ANA).await;
    login(&mut ana, &ANA, "").await.status(303);
    // At level low a passkey cannot be added.
    let page = ana.get("/account/passkeys").await;
    page.has("log in with two-step authentication")
        .lacks("data-passkey=\"register\"");
    let r = ana
        .post_raw("/account/passkeys/options", &[("csrf", &page.csrf())])
        .await;
    r.status(403);

    let (mut b, _) = ion_at_substantial(&app).await;
    let mut key = SoftKey::new();
    // A name is needed; nothing is stored without one.
    add_passkey(&app, &mut b, &mut key, "  ")
        .await
        .status(400)
        .has("This field is mandatory.");
    let id = ion_id(&app).await;
    assert!(app.core.passkeys.of(&id).await.unwrap().is_empty());
    add_passkey(&app, &mut b, &mut key, "Phone")
        .await
        .status(303);
    let cred = app.core.passkeys.of(&id).await.unwrap()[0]
        .credential_id
        .clone();
    let r = b
        .submit(
            "/account/passkeys",
            "/account/passkeys/rename",
            &[("id", &cred), ("name", "Old phone")],
        )
        .await;
    assert_eq!(r.location(), "/account/passkeys?done=passkey-renamed");
    b.get("/account/passkeys").await.has("Old phone");

    // Ana cannot remove ION's passkey.
    let r = ana
        .submit(
            "/account/passkeys",
            "/account/passkeys/remove",
            &[("id", &cred)],
        )
        .await;
    assert_eq!(r.location(), "/account/passkeys?done=passkey-gone");
    assert_eq!(app.core.passkeys.of(&id).await.unwrap().len(), 1);

    // ION's two-step app stays, so the passkey is not the last second factor: it goes even
    // after the login is no longer recent; the citizen is emailed.
    app.clock.advance_secs(20 * 60);
    let r = b
        .submit(
            "/account/passkeys",
            "/account/passkeys/remove",
            &[("id", &cred)],
        )
        .await;
    assert_eq!(r.location(), "/account/passkeys?done=passkey-removed");
    assert!(app.core.passkeys.of(&id).await.unwrap().is_empty());
    let mail = app.mail(ION.email, "was removed").await;
    assert!(mail.contains("Old phone"), "{mail}");
}

#[tokio::test]
async fn the_last_second_factor_goes_only_after_a_recent_login() {
    let app = app_on_localhost(|_| {}).await;
    let (mut b, secret) = ion_at_substantial(&app).await;
    let mut key = SoftKey::new();
    add_passkey(&app, &mut b, &mut key, "Only key")
        .await
        .status(303);
    // Two-step by app off: the passkey is now the only second factor.
    app.clock.advance_secs(30);
    let page = b.get("/account/two-step").await;
    b.post_raw(
        "/account/two-step/remove",
        &[("csrf", &page.csrf()), ("code", &app.code(&secret))],
    )
    .await
    .status(303);
    let id = ion_id(&app).await;
    assert!(app.core.store.totp(&id).await.unwrap().is_none());
    let cred = app.core.passkeys.of(&id).await.unwrap()[0]
        .credential_id
        .clone();
    let o = origin(&app);
    passkey_login(&mut b, |op| key.get(op, &Answer::honest(&o)))
        .await
        .status(303);
    app.clock.advance_secs(20 * 60);
    let page = b.get("/account/passkeys").await;
    assert_eq!(page.status, 200, "{}", page.location());
    let r = b
        .post_raw(
            "/account/passkeys/remove",
            &[("csrf", &page.csrf()), ("id", &cred)],
        )
        .await;
    assert_eq!(r.status, 303);
    assert!(r.location().starts_with("/login?next="), "{}", r.location());
    assert_eq!(app.core.passkeys.of(&id).await.unwrap().len(), 1);
    // A fresh passkey login proves a current factor; then it may go.
    let r = passkey_login(&mut b, |op| key.get(op, &Answer::honest(&o))).await;
    r.status(303);
    let r = b
        .submit(
            "/account/passkeys",
            "/account/passkeys/remove",
            &[("id", &cred)],
        )
        .await;
    assert_eq!(r.location(), "/account/passkeys?done=passkey-removed");
    // With no passkey left, the password logs in as before (the other methods remain).
    let mut x = app.browser();
    let r = login(&mut x, &ION, "").await;
    assert_eq!(r.location(), "/account");
}

/// A packed attestation by a maker whose root the deployment trusts reaches level high; the
/// same model attested by an unknown root, or not attested, does not.
#[tokio::test]
async fn attested_hardware_from_a_trusted_root_reaches_high() {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let dir = tempfile::tempdir().unwrap();
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    ca.distinguished_name
        .push(DnType::CommonName, "Maker Attestation Root");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(Vec::<String>::new()).unwrap();
    leaf.is_ca = IsCa::ExplicitNoCa;
    for (t, v) in [
        (DnType::CountryName, "MD"),
        (DnType::OrganizationName, "Maker"),
        (DnType::OrganizationalUnitName, "Authenticator Attestation"),
        (DnType::CommonName, "Maker Key 1"),
    ] {
        leaf.distinguished_name.push(t, v);
    }
    let roots = dir.path().join("roots.pem");
    std::fs::write(&roots, ca_cert.pem()).unwrap();
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();
    let packed = (leaf_cert.der().to_vec(), leaf_key.serialize_der());

    let app = app_on_localhost(|c| c.passkeys.attestation_roots = Some(roots.clone())).await;
    let (mut b, _) = ion_at_substantial(&app).await;
    let o = origin(&app);
    let mut hw = SoftKey::new();
    let attested = Answer {
        packed: Some(packed.clone()),
        ..Answer::honest(&o)
    };
    add_passkey_answered(&app, &mut b, &mut hw, "Hardware key", &attested)
        .await
        .status(303);
    let mut plain = SoftKey::new();
    add_passkey(&app, &mut b, &mut plain, "Phone")
        .await
        .status(303);
    let id = ion_id(&app).await;
    let keys = app.core.passkeys.of(&id).await.unwrap();
    let by_name = |n: &str| keys.iter().find(|p| p.name == n).unwrap();
    assert!(by_name("Hardware key").attested);
    assert!(!by_name("Phone").attested);

    let mut x = app.browser();
    passkey_login(&mut x, |op| hw.get(op, &Answer::honest(&o)))
        .await
        .status(303);
    let mut y = app.browser();
    passkey_login(&mut y, |op| plain.get(op, &Answer::honest(&o)))
        .await
        .status(303);
    let sessions = app.core.logins.sessions_of(&id).await.unwrap();
    let hwk = sessions.iter().find(|s| s.amr.contains(&Amr::Hwk)).unwrap();
    assert_eq!(hwk.level, Level::High);
    let swk = sessions.iter().find(|s| s.amr.contains(&Amr::Swk)).unwrap();
    assert_eq!(swk.level, Level::Substantial);

    // Where the deployment lists the models it trusts, only those are attested: the same
    // maker's other models are ordinary passkeys.
    let this_model = "4e4e4e4e-4e4e-4e4e-4e4e-4e4e4e4e4e4e";
    let other_model = "0b2e7d8a-1c3f-4e5a-9b6c-7d8e9f0a1b2c";
    for (listed, trusted) in [(other_model, false), (this_model, true)] {
        let app = app_on_localhost(|c| {
            c.passkeys.attestation_roots = Some(roots.clone());
            c.passkeys.attested_aaguids = vec![listed.into()];
        })
        .await;
        let (mut b, _) = ion_at_substantial(&app).await;
        let mut hw = SoftKey::new();
        let attested = Answer {
            packed: Some(packed.clone()),
            ..Answer::honest(&origin(&app))
        };
        add_passkey_answered(&app, &mut b, &mut hw, "Hardware key", &attested)
            .await
            .status(303);
        let id = ion_id(&app).await;
        assert_eq!(
            app.core.passkeys.of(&id).await.unwrap()[0].attested,
            trusted,
            "{listed}"
        );
    }
}

#[tokio::test]
async fn an_ip_public_url_turns_passkeys_off_without_an_error() {
    // The harness's own public URL is http://127.0.0.1:PORT.
    let app = TestApp::start().await;
    assert!(!app.core.passkeys.enabled());
    let reason = app.core.passkeys.disabled_reason().unwrap();
    assert!(reason.contains("IP address"), "{reason}");
    let mut b = app.browser();
    b.get("/login")
        .await
        .status(200)
        .lacks("/login/passkey")
        .has("autocomplete=\"username\"");
    let csrf = b.get("/login?reauth=1").await.csrf();
    b.post_raw("/login/passkey/options", &[("csrf", &csrf)])
        .await
        .status(404);
}

#[tokio::test]
async fn an_operators_lock_stops_passkeys_with_everything_else() {
    let app = app_on_localhost(|_| {}).await;
    let (_, mut key) = ion_with_passkey(&app).await;
    app.core
        .admin
        .set_citizen_locked(ION.national_id, true, &npass_core::login::Client::default())
        .await
        .unwrap();
    let o = origin(&app);
    let mut x = app.browser();
    let r = passkey_login(&mut x, |op| key.get(op, &Answer::honest(&o))).await;
    r.status(403).has("This account is locked.");
    assert!(
        !r.set_cookies()
            .iter()
            .any(|c| c.starts_with("__Host-npass=")),
        "no session"
    );
    // Unlocked, the same passkey works again (nothing was spent by the refusal).
    app.core
        .admin
        .set_citizen_locked(
            ION.national_id,
            false,
            &npass_core::login::Client::default(),
        )
        .await
        .unwrap();
    let r = passkey_login(&mut x, |op| key.get(op, &Answer::honest(&o))).await;
    assert_eq!((r.status, r.location()), (303, "/account".to_string()));
}
