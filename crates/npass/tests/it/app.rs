//! The npass app's JSON API over HTTP (design note 0015, docs/app-protocol.md): app login,
//! device enrolment with a passkey (the software authenticator stands for the phone), the
//! device's rotating tokens, the lock and unlock, and every way its access ends — revocation,
//! an operator's lock, a replayed refresh token, an idle app.

use serde_json::{Value, json};

use crate::harness::*;
use crate::passkeys::{app_on_localhost, ion_at_substantial, origin};
use crate::softkey::{Answer, SoftKey};

/// A JSON call with an optional bearer token: status and body.
async fn call(
    b: &mut Browser,
    method: reqwest::Method,
    path: &str,
    bearer: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut rb = b.request(method, path);
    if let Some(t) = bearer {
        rb = rb.header("authorization", format!("Bearer {t}"));
    }
    if let Some(body) = body {
        rb = rb
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let r = b.send(rb).await;
    (
        r.status,
        serde_json::from_str(&r.body).unwrap_or(Value::Null),
    )
}

async fn post(b: &mut Browser, path: &str, bearer: Option<&str>, body: Value) -> (u16, Value) {
    call(b, reqwest::Method::POST, path, bearer, Some(body)).await
}

async fn get(b: &mut Browser, path: &str, bearer: &str) -> (u16, Value) {
    call(b, reqwest::Method::GET, path, Some(bearer), None).await
}

/// ION's app login with `code`: the enrolment token.
async fn app_login(phone: &mut Browser, code: &str) -> (u16, Value) {
    post(
        phone,
        "/app/v1/login",
        None,
        json!({"national_id": ION.national_id, "password": ION.password, "code": code}),
    )
    .await
}

/// Enrols `key` as a device named `name` with the enrolment token: the tokens.
async fn enrol(phone: &mut Browser, app: &TestApp, token: &str, key: &mut SoftKey) -> Value {
    let (status, opts) = post(phone, "/app/v1/devices/options", Some(token), json!({})).await;
    assert_eq!(status, 200, "{opts}");
    let uv = &opts["options"]["publicKey"]["authenticatorSelection"]["userVerification"];
    assert_eq!(uv, "required");
    let credential = key.create(&opts["options"], &Answer::honest(&origin(app)));
    let (status, tokens) = post(
        phone,
        "/app/v1/devices",
        Some(token),
        json!({"ceremony": opts["ceremony"], "credential": credential, "name": "Ion's phone"}),
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    tokens
}

/// Unlocks the app with `key` answering as `a`: status and body.
async fn unlock(phone: &mut Browser, device: &str, key: &mut SoftKey, a: &Answer) -> (u16, Value) {
    let (status, opts) = post(
        phone,
        "/app/v1/unlock/options",
        None,
        json!({"device": device}),
    )
    .await;
    if status != 200 {
        return (status, opts);
    }
    let allowed = opts["options"]["publicKey"]["allowCredentials"]
        .as_array()
        .unwrap();
    assert_eq!(allowed.len(), 1, "the device key only");
    assert_eq!(allowed[0]["id"], device);
    let credential = key.get(&opts["options"], a);
    post(
        phone,
        "/app/v1/unlock",
        None,
        json!({"device": device, "ceremony": opts["ceremony"], "credential": credential}),
    )
    .await
}

async fn audit_kinds(app: &TestApp) -> Vec<String> {
    let trail = app.core.store.audit_range(0, 1000).await.unwrap();
    trail.into_iter().map(|r| r.event.kind).collect()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap()
}

/// ION at substantial on the web, and the phone enrolled: the web browser, the phone, the key,
/// the tokens, and ION's Authenticator secret.
async fn enrolled(app: &TestApp) -> (Browser, Browser, SoftKey, Value, Vec<u8>) {
    let (web, secret) = ion_at_substantial(app).await;
    app.clock.advance_secs(30);
    let mut phone = app.browser();
    let (status, v) = app_login(&mut phone, &app.code(&secret)).await;
    assert_eq!(status, 200, "{v}");
    let mut key = SoftKey::new();
    let tokens = enrol(&mut phone, app, s(&v["enrol_token"]), &mut key).await;
    (web, phone, key, tokens, secret)
}

#[tokio::test]
async fn an_app_login_enrols_the_phone_whose_tokens_rotate_and_whose_key_unlocks_it() {
    let app = app_on_localhost(|_| {}).await;
    let (mut web, secret) = ion_at_substantial(&app).await;
    app.clock.advance_secs(30);
    let mut phone = app.browser();

    // The app login follows the login rules: the code is needed, and a wrong one fails.
    let (status, v) = app_login(&mut phone, "").await;
    assert_eq!((status, s(&v["error"])), (401, "login-failed"), "{v}");
    assert_eq!(
        v["message"],
        "The identification number, the password or the verification code is wrong."
    );
    let (status, v) = app_login(&mut phone, &app.code(&secret)).await;
    assert_eq!(status, 200, "{v}");
    let enrol_token = s(&v["enrol_token"]).to_owned();

    let mut key = SoftKey::new();
    let tokens = enrol(&mut phone, &app, &enrol_token, &mut key).await;
    let device = s(&tokens["device"]).to_owned();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 300);
    // The enrolment token was spent with the enrolment.
    let (status, v) = post(
        &mut phone,
        "/app/v1/devices/options",
        Some(&enrol_token),
        json!({}),
    )
    .await;
    assert_eq!((status, s(&v["error"])), (401, "invalid-token"), "{v}");

    let access = s(&tokens["access_token"]).to_owned();
    let (status, me) = get(&mut phone, "/app/v1/me", &access).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["national_id"], ION.national_id);
    assert_eq!(me["device"], device.as_str());
    let (_, list) = get(&mut phone, "/app/v1/devices", &access).await;
    assert_eq!(list["devices"][0]["name"], "Ion's phone");
    assert_eq!(list["devices"][0]["this_device"], true);
    // The web knows it too: as a passkey that is this account's device.
    web.get("/account/passkeys")
        .await
        .status(200)
        .has("Ion&#39;s phone")
        .has("The npass app on this phone");

    // A refresh gives new tokens once; the old access token stops with it.
    let (status, t2) = post(
        &mut phone,
        "/app/v1/token",
        None,
        json!({"refresh_token": tokens["refresh_token"]}),
    )
    .await;
    assert_eq!(status, 200, "{t2}");
    assert_ne!(t2["refresh_token"], tokens["refresh_token"]);
    assert_eq!(get(&mut phone, "/app/v1/me", &access).await.0, 401);
    assert_eq!(
        get(&mut phone, "/app/v1/me", s(&t2["access_token"]))
            .await
            .0,
        200
    );
    // The spent refresh token again (a stolen copy): the grant ends for both holders.
    let (status, v) = post(
        &mut phone,
        "/app/v1/token",
        None,
        json!({"refresh_token": tokens["refresh_token"]}),
    )
    .await;
    assert_eq!((status, s(&v["error"])), (401, "invalid-token"));
    assert_eq!(
        get(&mut phone, "/app/v1/me", s(&t2["access_token"]))
            .await
            .0,
        401
    );
    let (status, _) = post(
        &mut phone,
        "/app/v1/token",
        None,
        json!({"refresh_token": t2["refresh_token"]}),
    )
    .await;
    assert_eq!(status, 401);

    // Only the device key, with the phone's screen lock, unlocks it again.
    let honest = Answer::honest(&origin(&app));
    let no_uv = Answer {
        user_verified: false,
        ..honest.clone()
    };
    assert_eq!(unlock(&mut phone, &device, &mut key, &no_uv).await.0, 401);
    let elsewhere = Answer::honest("https://npass.example.net");
    assert_eq!(
        unlock(&mut phone, &device, &mut key, &elsewhere).await.0,
        401
    );
    let mut other = SoftKey::new();
    other.credential_id = key.credential_id.clone();
    assert_eq!(
        unlock(&mut phone, &device, &mut other, &honest).await.0,
        401
    );
    let (status, t3) = unlock(&mut phone, &device, &mut key, &honest).await;
    assert_eq!(status, 200, "{t3}");
    assert_eq!(
        get(&mut phone, "/app/v1/me", s(&t3["access_token"]))
            .await
            .0,
        200
    );

    // An idle app locks: its refresh token no longer renews once the access token has been
    // out for longer than the idle time; the device key opens it again.
    app.clock.advance_secs(5 * 60 + 5 * 60 + 1);
    let (status, v) = post(
        &mut phone,
        "/app/v1/token",
        None,
        json!({"refresh_token": t3["refresh_token"]}),
    )
    .await;
    assert_eq!((status, s(&v["error"])), (401, "locked"), "{v}");
    assert_eq!(
        v["message"],
        "The app is locked. Unlock it with this phone's screen lock."
    );
    let (status, t4) = unlock(&mut phone, &device, &mut key, &honest).await;
    assert_eq!(status, 200, "{t4}");

    // The app's own lock ends its tokens.
    let (status, _) = post(
        &mut phone,
        "/app/v1/lock",
        Some(s(&t4["access_token"])),
        json!({}),
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(
        get(&mut phone, "/app/v1/me", s(&t4["access_token"]))
            .await
            .0,
        401
    );

    let trail = audit_kinds(&app).await;
    for kind in [
        "device.enrolled",
        "app.signed-in",
        "app.refresh-reused",
        "app.unlock-refused",
        "app.unlocked",
    ] {
        assert!(trail.iter().any(|k| k == kind), "{kind} in {trail:?}");
    }
}

#[tokio::test]
async fn a_revoked_device_or_a_locked_account_stops_at_once() {
    let app = app_on_localhost(|_| {}).await;
    let (mut web, mut phone, mut key, tokens, secret) = enrolled(&app).await;
    let device = s(&tokens["device"]).to_owned();
    let honest = Answer::honest(&origin(&app));

    // An operator's lock: the access token, the refresh token and the key all stop.
    app.core
        .admin
        .set_citizen_locked(ION.national_id, true, &npass_core::login::Client::default())
        .await
        .unwrap();
    assert_eq!(
        get(&mut phone, "/app/v1/me", s(&tokens["access_token"]))
            .await
            .0,
        401
    );
    let (status, _) = post(
        &mut phone,
        "/app/v1/token",
        None,
        json!({"refresh_token": tokens["refresh_token"]}),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(unlock(&mut phone, &device, &mut key, &honest).await.0, 401);
    app.core
        .admin
        .set_citizen_locked(
            ION.national_id,
            false,
            &npass_core::login::Client::default(),
        )
        .await
        .unwrap();
    let (status, t) = unlock(&mut phone, &device, &mut key, &honest).await;
    assert_eq!(status, 200, "{t}");
    let access = s(&t["access_token"]).to_owned();

    // Another account's passkey id cannot be revoked from here, nor a made-up one.
    let (status, v) = call(
        &mut phone,
        reqwest::Method::DELETE,
        "/app/v1/devices/not-a-device",
        Some(&access),
        None,
    )
    .await;
    assert_eq!((status, s(&v["error"])), (404, "not-found"));

    // Revoked on the web (My account, passkeys): every node reads the row on every call.
    // (The operator's lock ended the web session too: log in again.)
    app.clock.advance_secs(30);
    login(&mut web, &ION, &app.code(&secret)).await.status(303);
    let csrf = web.get("/account/passkeys").await.csrf();
    let r = web
        .post_raw(
            "/account/passkeys/remove",
            &[("csrf", &csrf), ("id", &device)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(get(&mut phone, "/app/v1/me", &access).await.0, 401);
    let (status, v) = unlock(&mut phone, &device, &mut key, &honest).await;
    assert_eq!((status, s(&v["error"])), (401, "invalid-token"));
    let (status, _) = post(
        &mut phone,
        "/app/v1/token",
        None,
        json!({"refresh_token": t["refresh_token"]}),
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn the_app_revokes_its_own_device_and_a_password_alone_cannot_enrol_one() {
    let app = app_on_localhost(|_| {}).await;
    let (_web, mut phone, _key, tokens, _) = enrolled(&app).await;
    let device = s(&tokens["device"]).to_owned();
    let access = s(&tokens["access_token"]).to_owned();
    let (status, _) = call(
        &mut phone,
        reqwest::Method::DELETE,
        &format!("/app/v1/devices/{device}"),
        Some(&access),
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(get(&mut phone, "/app/v1/me", &access).await.0, 401);
    assert!(
        audit_kinds(&app)
            .await
            .iter()
            .any(|k| k == "passkey.removed")
    );

    // ANA has no two-step: her password logs in to the web (level low), not the app.
    let mut web = registered(&app, &ANA).await;
    login(&mut web, &ANA, "").await.status(303);
    let mut phone = app.browser();
    phone.lang = Some("ro".into());
    let (status, v) = post(
        &mut phone,
        "/app/v1/login",
        None,
        json!({"national_id": ANA.national_id, "password": ANA.password, "code": ""}),
    )
    .await;
    assert_eq!((status, s(&v["error"])), (403, "two-step-needed"), "{v}");
    assert!(
        s(&v["message"]).contains("autentificarea în doi pași"),
        "{v}"
    );
    // No session was left behind for it.
    let id = app
        .core
        .store
        .account_by_national_id(ANA.national_id)
        .await
        .unwrap()
        .unwrap()
        .id;
    let live = app.core.logins.sessions_of(&id).await.unwrap();
    assert_eq!(live.len(), 1, "the web's session only");

    // Malformed bodies and tokens get the problem shape, not a crash.
    let (status, v) = post(
        &mut phone,
        "/app/v1/token",
        None,
        json!({"refresh_token": 7}),
    )
    .await;
    assert!(status == 400 || status == 422, "{status} {v}");
    let (status, v) = get(&mut phone, "/app/v1/me", &"x".repeat(5000)).await;
    assert_eq!((status, s(&v["error"])), (401, "invalid-token"));
}

#[tokio::test]
async fn the_app_changes_the_password_and_becomes_the_authenticator() {
    let app = app_on_localhost(|_| {}).await;
    let (mut web, mut phone, _key, tokens, old_secret) = enrolled(&app).await;
    let access = s(&tokens["access_token"]).to_owned();

    // The password: the current one is always asked for.
    let change = |current: &str| {
        json!({"current_password": current, "password": "o noua parola pentru Ion 2026",
               "password_confirm": "o noua parola pentru Ion 2026"})
    };
    let (status, v) = post(
        &mut phone,
        "/app/v1/password",
        Some(&access),
        change("wrong one"),
    )
    .await;
    assert_eq!((status, s(&v["field"])), (400, "current_password"), "{v}");
    let (status, t) = post(
        &mut phone,
        "/app/v1/password",
        Some(&access),
        change(ION.password),
    )
    .await;
    assert_eq!(status, 200, "{t}");
    // Every other session ended; this device goes on with its new tokens.
    assert_eq!(get(&mut phone, "/app/v1/me", &access).await.0, 401);
    let access = s(&t["access_token"]).to_owned();
    assert_eq!(get(&mut phone, "/app/v1/me", &access).await.0, 200);
    let r = web.get("/account").await;
    assert_eq!((r.status, r.location().starts_with("/login")), (303, true));
    app.mail(ION.email, "password").await;

    // Codes: replacing the Authenticator app needs one of its codes first.
    let (status, v) = post(
        &mut phone,
        "/app/v1/codes",
        Some(&access),
        json!({"code": ""}),
    )
    .await;
    assert_eq!((status, s(&v["field"])), (400, "code"), "{v}");
    app.clock.advance_secs(30);
    let (status, seed) = post(
        &mut phone,
        "/app/v1/codes",
        Some(&access),
        json!({"code": app.code(&old_secret)}),
    )
    .await;
    assert_eq!(status, 200, "{seed}");
    assert_eq!(
        (seed["digits"].as_u64(), seed["period"].as_u64()),
        (Some(6), Some(30))
    );
    let new_secret = data_encoding::BASE32_NOPAD
        .decode(s(&seed["secret"]).as_bytes())
        .unwrap();
    assert_eq!(new_secret.len(), 20, "160-bit seeds");
    let (status, v) = post(
        &mut phone,
        "/app/v1/codes/confirm",
        Some(&access),
        json!({"code": "000000"}),
    )
    .await;
    assert_eq!((status, s(&v["field"])), (400, "code"), "{v}");
    let (status, v) = post(
        &mut phone,
        "/app/v1/codes/confirm",
        Some(&access),
        json!({"code": app.code(&new_secret)}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["recovery_codes"].as_array().unwrap().len(), 10);

    // The web login now takes the app's codes, not the old app's.
    app.clock.advance_secs(30);
    let mut b = app.browser();
    let mut new_ion = ION;
    new_ion.password = "o noua parola pentru Ion 2026";
    login(&mut b, &new_ion, &app.code(&old_secret))
        .await
        .status(401);
    app.clock.advance_secs(30);
    let r = login(&mut b, &new_ion, &app.code(&new_secret)).await;
    assert_eq!((r.status, r.location()), (303, "/account".to_string()));

    // Long after the last unlock, changes need the screen lock again (the app stays open).
    let mut refresh = s(&t["refresh_token"]).to_owned();
    for _ in 0..5 {
        app.clock.advance_secs(4 * 60);
        let (status, t2) = post(
            &mut phone,
            "/app/v1/token",
            None,
            json!({"refresh_token": refresh}),
        )
        .await;
        assert_eq!(status, 200, "{t2}");
        refresh = s(&t2["refresh_token"]).to_owned();
        let (status, v) = post(
            &mut phone,
            "/app/v1/codes",
            Some(s(&t2["access_token"])),
            json!({"code": ""}),
        )
        .await;
        if status == 403 {
            assert_eq!(s(&v["error"]), "unlock-needed");
            assert!(s(&v["message"]).contains("screen lock"), "{v}");
            return;
        }
    }
    panic!("the app never asked for the screen lock again");
}

/// The computer's page asks for a login sent to `national_id`'s phone: its request id and the
/// number it shows.
async fn send_to_phone(computer: &mut Browser, national_id: &str) -> (String, u64) {
    let r = computer
        .submit(
            "/login?reauth=1",
            "/login/app",
            &[("next", ""), ("national_id", national_id)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = r.location();
    assert!(page.ends_with("?sent=1"), "{page}");
    let id = page
        .trim_start_matches("/login/app/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let p = computer.get(&page).await;
    p.status(200).has("the request is waiting in the app too");
    let number = crate::qrlogin::shown_number(&p.body);
    (id, number)
}

#[tokio::test]
async fn a_typed_id_sends_the_request_to_the_phone_at_most_three_times_in_ten_minutes() {
    let app = app_on_localhost(|_| {}).await;
    let (_web, mut phone, mut key, tokens, _) = enrolled(&app).await;
    let access = s(&tokens["access_token"]).to_owned();

    let mut computer = app.browser();
    computer.user_agent = Some("Mozilla/5.0 (Windows NT 10.0) Firefox/133.0".into());
    let (id, number) = send_to_phone(&mut computer, ION.national_id).await;
    let (status, v) = get(&mut phone, "/app/v1/approvals", &access).await;
    assert_eq!(status, 200, "{v}");
    let list = v["approvals"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{v}");
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["browser"], "Firefox on Windows");
    let secret = s(&list[0]["secret"]).to_owned();
    assert_eq!(s(&list[0]["link"]), format!("/app/approve#{id}.{secret}"));

    // Answered like a scanned code: the number the computer shows, and the device key (the
    // approval page's cookie binds the ceremony, docs/app-protocol.md).
    phone.get("/app/approve").await.status(200);
    let base = format!("/app/v1/approvals/{id}");
    let (status, opts) = post(
        &mut phone,
        &format!("{base}/options"),
        None,
        json!({"secret": secret, "number": number}),
    )
    .await;
    assert_eq!(status, 200, "{opts}");
    let credential = key.get(&opts["options"], &Answer::honest(&origin(&app)));
    let (status, v) = post(
        &mut phone,
        &format!("{base}/approve"),
        None,
        json!({"secret": secret, "ceremony": opts["ceremony"], "credential": credential}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let r = computer.get(&format!("/login/app/{id}")).await;
    assert_eq!((r.status, r.location()), (303, "/account".to_string()));
    // Answered: no longer listed.
    let (_, v) = get(&mut phone, "/app/v1/approvals", &access).await;
    assert_eq!(v["approvals"].as_array().unwrap().len(), 0);

    // Two more go through; the fourth within ten minutes is not sent (the page says the same).
    let mut stranger = app.browser();
    for _ in 0..3 {
        send_to_phone(&mut stranger, ION.national_id).await;
    }
    let (_, v) = get(&mut phone, "/app/v1/approvals", &access).await;
    assert_eq!(v["approvals"].as_array().unwrap().len(), 2, "{v}");
    assert!(
        audit_kinds(&app)
            .await
            .iter()
            .any(|k| k == "app.request-capped")
    );
    // Ten quiet minutes later, one goes through again.
    app.clock.advance_secs(10 * 60 + 1);
    let (status, t) = unlock(
        &mut phone,
        s(&tokens["device"]),
        &mut key,
        &Answer::honest(&origin(&app)),
    )
    .await;
    assert_eq!(status, 200, "{t}");
    send_to_phone(&mut stranger, ION.national_id).await;
    let (_, v) = get(&mut phone, "/app/v1/approvals", s(&t["access_token"])).await;
    assert_eq!(v["approvals"].as_array().unwrap().len(), 1, "{v}");

    // An unknown person's number gets the same page, and a malformed one a clear error.
    send_to_phone(&mut stranger, ANA.national_id).await;
    let r = stranger
        .submit(
            "/login?reauth=1",
            "/login/app",
            &[("next", ""), ("national_id", "12345")],
        )
        .await;
    assert_eq!(r.status, 400);
    r.has("id=\"app_national_id-error\"");
}

#[tokio::test]
async fn requests_sent_at_once_still_reach_the_phone_at_most_three_times() {
    let app = app_on_localhost(|_| {}).await;
    let (_web, mut phone, _key, tokens, _) = enrolled(&app).await;
    let mut ready = Vec::new();
    for _ in 0..10 {
        let mut b = app.browser();
        let csrf = b.get("/login").await.csrf();
        ready.push((b, csrf));
    }
    let handles: Vec<_> = ready
        .into_iter()
        .map(|(mut b, csrf)| {
            tokio::spawn(async move {
                let fields = [
                    ("csrf", csrf.as_str()),
                    ("next", ""),
                    ("national_id", ION.national_id),
                ];
                b.post_raw("/login/app", &fields).await.status
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.await.unwrap(), 303);
    }
    let (_, v) = get(&mut phone, "/app/v1/approvals", s(&tokens["access_token"])).await;
    assert_eq!(v["approvals"].as_array().unwrap().len(), 3, "{v}");
    // Seven refused, one line in the citizen's history.
    let capped = audit_kinds(&app)
        .await
        .into_iter()
        .filter(|k| k == "app.request-capped")
        .count();
    assert_eq!(capped, 1);
}

#[tokio::test]
async fn the_phone_and_the_sessions_page_name_the_country_of_an_address() {
    // A database in the format of Debian's tor-geoipdb: the loopback range stands for Moldova.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("geoip");
    std::fs::write(&db, "# test\n2130706432,2147483647,MD\n").unwrap();
    let app = app_on_localhost(|c| c.session.country_database = Some(db.clone())).await;
    let (mut web, _phone, _key, _tokens, _) = enrolled(&app).await;
    web.get("/account/sessions")
        .await
        .status(200)
        .has("\u{1F1F2}\u{1F1E9} MD (127.0.0.1)");
    let mut computer = app.browser();
    let (id, _) = send_to_phone(&mut computer, ION.national_id).await;
    let mut phone = app.browser();
    let (status, v) = post(
        &mut phone,
        "/app/v1/approvals/x",
        None,
        json!({"secret": "x"}),
    )
    .await;
    assert_eq!(status, 404, "{v}");
    let list = app
        .core
        .approvals
        .pending(&crate::passkeys::ion_id(&app).await)
        .await
        .unwrap();
    assert_eq!(list[0].id, id);
    let (status, req) = post(
        &mut phone,
        &format!("/app/v1/approvals/{id}"),
        None,
        json!({"secret": list[0].secret}),
    )
    .await;
    assert_eq!(status, 200, "{req}");
    assert_eq!(req["place"], "\u{1F1F2}\u{1F1E9} MD (127.0.0.1)");
}

/// Debian's own database (tor-geoipdb, installed by the test command) reads, and knows where
/// well-known public resolvers are.
#[test]
fn debian_tor_geoipdb_reads() {
    let v4 = std::fs::read_to_string("/usr/share/tor/geoip")
        .expect("tor-geoipdb installed (the test command installs it)");
    let v6 = std::fs::read_to_string("/usr/share/tor/geoip6").unwrap();
    let c = npass_web::geoip::Countries::parse(&v4, Some(&v6)).unwrap();
    assert!(c.len() > 10_000);
    assert_eq!(c.of("8.8.8.8".parse().unwrap()).as_deref(), Some("US"));
    assert_eq!(
        c.of("2001:4860:4860::8888".parse().unwrap()).as_deref(),
        Some("US")
    );
    assert_eq!(c.of("127.0.0.1".parse().unwrap()), None);
}

#[tokio::test]
async fn native_apps_are_named_in_the_association_files_only_when_configured() {
    let plain = app_on_localhost(|_| {}).await;
    let mut b = plain.browser();
    b.get("/.well-known/assetlinks.json").await.status(404);
    b.get("/.well-known/apple-app-site-association")
        .await
        .status(404);

    let print = vec!["AB"; 32].join(":");
    let app = app_on_localhost(|c| {
        c.app.android_package = "md.gov.npass".into();
        c.app.android_cert_sha256 = vec![print.clone()];
        c.app.ios_app_ids = vec!["ABCDE12345.md.gov.npass".into()];
    })
    .await;
    let mut b = app.browser();
    let r = b.get("/.well-known/assetlinks.json").await;
    r.status(200);
    assert_eq!(r.headers["content-type"], "application/json");
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v[0]["target"]["package_name"], "md.gov.npass");
    assert_eq!(
        v[0]["target"]["sha256_cert_fingerprints"][0],
        print.as_str()
    );
    let rel = v[0]["relation"].as_array().unwrap();
    assert!(
        rel.iter()
            .any(|r| r == "delegate_permission/common.get_login_creds")
    );
    let r = b.get("/.well-known/apple-app-site-association").await;
    r.status(200);
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["webcredentials"]["apps"][0], "ABCDE12345.md.gov.npass");
    assert_eq!(
        v["applinks"]["details"][0]["components"][0]["/"],
        "/app/approve"
    );
}

#[tokio::test]
async fn the_openapi_document_describes_every_app_route_and_is_valid() {
    let app = app_on_localhost(|_| {}).await;
    let r = app.browser().get("/app/v1/openapi.json").await;
    r.status(200);
    let doc: Value = serde_json::from_str(&r.body).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    // Every route the web layer serves under /app/v1, with each of its methods.
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../npass-web/src/lib.rs"
    ))
    .unwrap();
    let mut seen = 0;
    let lines: Vec<&str> = src.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let Some(route) = line.split('"').nth(1).filter(|r| r.starts_with("/app/v1/")) else {
            continue;
        };
        let route = route.trim_start_matches("/app/v1");
        if route == "/openapi.json" {
            continue;
        }
        // The methods follow the path on its line, or on the next (rustfmt's choice).
        let rest = line.splitn(3, '"').nth(2).unwrap_or("");
        let handlers = if rest.contains('(') {
            rest
        } else {
            lines.get(i + 1).unwrap_or(&"")
        };
        for m in ["get", "post", "delete", "put"] {
            if handlers.contains(&format!("{m}(")) {
                assert!(
                    paths.get(route).and_then(|p| p.get(m)).is_some(),
                    "{m} {route} is not in app-openapi.json"
                );
                seen += 1;
            }
        }
    }
    assert!(seen >= 18, "{seen} routes");
    // An independent validator.
    assert_valid_openapi(&r.body);
}

/// A push service on this machine: keeps each request's `Authorization` header and body.
async fn push_service() -> (
    String,
    tokio::sync::mpsc::UnboundedReceiver<(String, Vec<u8>)>,
) {
    use axum::body::Bytes;
    use axum::http::HeaderMap;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/push/{id}",
        axum::routing::post(
            move |axum::extract::Path(id): axum::extract::Path<String>,
                  h: HeaderMap,
                  body: Bytes| {
                let tx = tx.clone();
                async move {
                    if id == "gone" {
                        return axum::http::StatusCode::GONE;
                    }
                    assert_eq!(h["content-encoding"], "aes128gcm");
                    assert_eq!(h["ttl"], "120");
                    let auth = h["authorization"].to_str().unwrap().to_owned();
                    tx.send((auth, body.to_vec())).unwrap();
                    axum::http::StatusCode::CREATED
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, rx)
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = data_encoding::BASE64.encode(der);
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

#[tokio::test]
async fn a_request_sent_to_the_phone_is_pushed_encrypted_for_it_and_signed_for_the_service() {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
    let rng = SystemRandom::new();
    let dir = tempfile::tempdir().unwrap();
    let vapid = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
    let vapid_file = dir.path().join("vapid.pem");
    std::fs::write(&vapid_file, pem("PRIVATE KEY", vapid.as_ref())).unwrap();
    let vapid_public = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, vapid.as_ref())
        .unwrap()
        .public_key()
        .as_ref()
        .to_vec();
    let (service, mut pushed) = push_service().await;
    let app = app_on_localhost(|c| {
        c.app.vapid_key_file = Some(vapid_file.clone());
        c.app.vapid_subject = "mailto:support@example.md".into();
        c.app.push_hosts = vec!["127.0.0.1".into()];
    })
    .await;
    let (_web, mut phone, mut key, tokens, _) = enrolled(&app).await;
    let access = s(&tokens["access_token"]).to_owned();

    let (status, v) = call(&mut phone, reqwest::Method::GET, "/app/v1/push", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(
        s(&v["public_key"]),
        data_encoding::BASE64URL_NOPAD.encode(&vapid_public)
    );

    // The phone's subscription: its own P-256 key and auth secret, as a browser makes them.
    let device_key = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
    let device_public =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, device_key.as_ref())
            .unwrap()
            .public_key()
            .as_ref()
            .to_vec();
    let auth = [9u8; 16];
    let b64 = |b: &[u8]| data_encoding::BASE64URL_NOPAD.encode(b);
    let subscribe = |endpoint: &str, key: &str| json!({"endpoint": endpoint, "keys": {"p256dh": key, "auth": b64(&auth)}});
    // Only the deployment's push services; only keys that are keys.
    for (endpoint, key, reason) in [
        (
            "https://push.example.org/x",
            b64(&device_public),
            "push-endpoint",
        ),
        ("http://10.0.0.5/x", b64(&device_public), "push-endpoint"),
        ("file:///etc/passwd", b64(&device_public), "push-endpoint"),
        (&format!("{service}/push/1"), b64(&[4u8; 10]), "push-keys"),
    ] {
        let (status, v) = call(
            &mut phone,
            reqwest::Method::PUT,
            "/app/v1/push",
            Some(&access),
            Some(subscribe(endpoint, &key)),
        )
        .await;
        assert_eq!((status, s(&v["error"])), (400, reason), "{endpoint}: {v}");
    }
    let (status, v) = call(
        &mut phone,
        reqwest::Method::PUT,
        "/app/v1/push",
        Some(&access),
        Some(subscribe(
            &format!("{service}/push/1"),
            &b64(&device_public),
        )),
    )
    .await;
    assert_eq!(status, 204, "{v}");

    // A login request typed on a computer reaches the push service for the phone.
    let mut computer = app.browser();
    send_to_phone(&mut computer, ION.national_id).await;
    let (authorization, body) =
        tokio::time::timeout(std::time::Duration::from_secs(10), pushed.recv())
            .await
            .expect("pushed within 10 s")
            .unwrap();
    // An independent implementation (Python's http_ece and cryptography) decrypts it with the
    // device's key and checks the VAPID signature against the deployment's public key.
    let check = json!({
        "pkcs8": b64(device_key.as_ref()),
        "auth": b64(&auth),
        "body": b64(&body),
        "authorization": authorization,
    });
    let file = dir.path().join("pushed.json");
    std::fs::write(&file, check.to_string()).unwrap();
    let script = r#"
import sys, json, base64
import http_ece
from cryptography.hazmat.primitives.serialization import load_der_private_key
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.hazmat.primitives import hashes
def b64(s): return base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))
d = json.load(open(sys.argv[1]))
plain = http_ece.decrypt(b64(d['body']), private_key=load_der_private_key(b64(d['pkcs8']), None),
                         auth_secret=b64(d['auth']), version='aes128gcm')
scheme, rest = d['authorization'].split(' ', 1)
parts = dict(p.strip().split('=', 1) for p in rest.split(','))
h, c, sig = parts['t'].split('.')
pub = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64(parts['k']))
raw = b64(sig)
pub.verify(utils.encode_dss_signature(int.from_bytes(raw[:32], 'big'), int.from_bytes(raw[32:], 'big')),
           (h + '.' + c).encode(), ec.ECDSA(hashes.SHA256()))
claims = json.loads(b64(c))
print(json.dumps({'scheme': scheme, 'plain': plain.decode(), 'aud': claims['aud'], 'sub': claims['sub'], 'k': parts['k']}))
"#;
    let python = std::env::var("NPASS_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = std::process::Command::new(python)
        .args(["-c", script])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "http_ece and cryptography (./test.sh sets them up): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got["scheme"], "vapid");
    assert_eq!(got["plain"], r#"{"type":"login-request"}"#);
    assert_eq!(got["aud"], service.as_str());
    assert_eq!(got["sub"], "mailto:support@example.md");
    assert_eq!(s(&got["k"]), b64(&vapid_public));

    // A subscription its push service says is gone is forgotten.
    let (status, _) = call(
        &mut phone,
        reqwest::Method::PUT,
        "/app/v1/push",
        Some(&access),
        Some(subscribe(
            &format!("{service}/push/gone"),
            &b64(&device_public),
        )),
    )
    .await;
    assert_eq!(status, 204);
    app.clock.advance_secs(10 * 60 + 1);
    send_to_phone(&mut computer, ION.national_id).await;
    let ion = crate::passkeys::ion_id(&app).await;
    let mut forgotten = false;
    for _ in 0..100 {
        if app.core.store.app_push_of(&ion).await.unwrap().is_empty() {
            forgotten = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        forgotten,
        "a 410 from the push service forgets the subscription"
    );
    let (status, _) = call(
        &mut phone,
        reqwest::Method::PUT,
        "/app/v1/push",
        Some(&access),
        Some(subscribe(
            &format!("{service}/push/1"),
            &b64(&device_public),
        )),
    )
    .await;
    assert_eq!(status, 401, "the access token ran out with the clock");
    let (status, t) = unlock(
        &mut phone,
        s(&tokens["device"]),
        &mut key,
        &Answer::honest(&origin(&app)),
    )
    .await;
    assert_eq!(status, 200, "{t}");
    let access = s(&t["access_token"]).to_owned();
    let (status, _) = call(
        &mut phone,
        reqwest::Method::PUT,
        "/app/v1/push",
        Some(&access),
        Some(subscribe(
            &format!("{service}/push/1"),
            &b64(&device_public),
        )),
    )
    .await;
    assert_eq!(status, 204);

    // Revoking the device forgets its subscription: nothing more is pushed.
    let (status, _) = call(
        &mut phone,
        reqwest::Method::DELETE,
        &format!("/app/v1/devices/{}", s(&tokens["device"])),
        Some(&access),
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert!(
        app.core
            .store
            .app_push_of(&crate::passkeys::ion_id(&app).await)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn without_a_vapid_key_there_is_no_push() {
    let app = app_on_localhost(|_| {}).await;
    let (_web, mut phone, _key, tokens, _) = enrolled(&app).await;
    let (status, _) = call(&mut phone, reqwest::Method::GET, "/app/v1/push", None, None).await;
    assert_eq!(status, 404);
    let (status, _) = call(
        &mut phone,
        reqwest::Method::PUT,
        "/app/v1/push",
        Some(s(&tokens["access_token"])),
        Some(json!({"endpoint": "https://fcm.googleapis.com/fcm/send/x",
                    "keys": {"p256dh": "x", "auth": "y"}})),
    )
    .await;
    assert_eq!(status, 404);
}

/// A PNG of `w`×`h` pixels (`bits` 8 or 16 per channel, RGBA) with a text chunk that stands
/// for the metadata a camera leaves.
fn png_of(w: u32, h: u32, bits: png::BitDepth) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(bits);
        enc.add_text_chunk("GPS".into(), "47.0105 N 28.8638 E".into())
            .unwrap();
        let mut wr = enc.write_header().unwrap();
        let per = if bits == png::BitDepth::Sixteen { 8 } else { 4 };
        let data = vec![90u8; (w * h) as usize * per];
        wr.write_image_data(&data).unwrap();
    }
    out
}

async fn put_picture(phone: &mut Browser, access: &str, bytes: Vec<u8>) -> (u16, Value) {
    let rb = phone
        .request(reqwest::Method::PUT, "/app/v1/me/picture")
        .header("authorization", format!("Bearer {access}"))
        .header("content-type", "image/png")
        .body(bytes);
    let r = phone.send(rb).await;
    (
        r.status,
        serde_json::from_str(&r.body).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn a_picture_is_reencoded_without_its_metadata_and_bad_ones_are_refused() {
    let app = app_on_localhost(|_| {}).await;
    let (mut web, mut phone, _key, tokens, _) = enrolled(&app).await;
    let access = s(&tokens["access_token"]).to_owned();
    assert_eq!(
        call(
            &mut phone,
            reqwest::Method::GET,
            "/app/v1/me/picture",
            Some(&access),
            None
        )
        .await
        .0,
        404
    );

    let original = png_of(800, 600, png::BitDepth::Eight);
    assert!(original.windows(3).any(|w| w == b"GPS"));
    let (status, v) = put_picture(&mut phone, &access, original).await;
    assert_eq!(status, 204, "{v}");
    let r = phone
        .send(
            phone
                .request(reqwest::Method::GET, "/app/v1/me/picture")
                .header("authorization", format!("Bearer {access}")),
        )
        .await;
    r.status(200);
    assert_eq!(r.headers["content-type"], "image/jpeg");
    assert_eq!(&r.bytes[..3], &[0xFF, 0xD8, 0xFF], "a JPEG");
    assert!(!r.bytes.windows(3).any(|w| w == b"GPS"), "no metadata kept");
    // Its owner sees it on the web too; another citizen, and nobody logged out, do not.
    web.get("/account")
        .await
        .status(200)
        .has("/account/picture");
    let mine = web.get("/account/picture").await;
    mine.status(200);
    assert_eq!(mine.bytes, r.bytes);
    assert_eq!(app.browser().get("/account/picture").await.status, 303);
    let mut ana = registered(&app, &ANA).await;
    login(&mut ana, &ANA, "").await.status(303);
    assert_eq!(ana.get("/account/picture").await.status, 404);

    // Not an image, too many bytes, too many pixels, a decompression bomb: each refused in
    // the caller's language, the picture kept as it was.
    phone.lang = Some("ro".into());
    let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec();
    let mut huge = png_of(8, 8, png::BitDepth::Eight);
    huge.resize(2 * 1024 * 1024 + 1, 0);
    let bomb = png_of(4096, 4096, png::BitDepth::Sixteen);
    assert!(bomb.len() < 1024 * 1024, "{} bytes", bomb.len());
    for (bytes, reason, words) in [
        (gif, "picture-not-image", "nu este o imagine"),
        (
            b"\x89PNG\r\n\x1a\n garbage".to_vec(),
            "picture-not-image",
            "nu este o imagine",
        ),
        (huge, "picture-too-large", "cel mult 2 MB"),
        (
            png_of(5000, 2, png::BitDepth::Eight),
            "picture-too-big",
            "4096",
        ),
        (bomb, "picture-too-big", "4096"),
    ] {
        let (status, v) = put_picture(&mut phone, &access, bytes).await;
        assert_eq!((status, s(&v["error"])), (400, reason), "{v}");
        assert!(s(&v["message"]).contains(words), "{v}");
    }
    assert_eq!(web.get("/account/picture").await.bytes, r.bytes);
    // Bodies far over the limit never reach the decoder.
    let (status, _) = put_picture(&mut phone, &access, vec![0u8; 5 * 1024 * 1024]).await;
    assert_eq!(status, 413);

    let (status, _) = call(
        &mut phone,
        reqwest::Method::DELETE,
        "/app/v1/me/picture",
        Some(&access),
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(web.get("/account/picture").await.status, 404);
}

async fn scan(phone: &mut Browser, frame: Vec<u8>, bearer: String) -> Resp {
    let rb = phone
        .request(reqwest::Method::POST, "/app/v1/scan")
        .header("authorization", format!("Bearer {bearer}"))
        .header("content-type", "image/png")
        .body(frame);
    phone.send(rb).await
}

#[tokio::test]
async fn the_in_app_scanner_reads_only_npass_approval_links_from_a_frame() {
    let app = app_on_localhost(|_| {}).await;
    let (_web, mut phone, _key, tokens, _) = enrolled(&app).await;
    let access = s(&tokens["access_token"]).to_owned();

    // The computer's code, as a camera frame (the image npass draws).
    let mut computer = app.browser();
    let r = computer
        .submit("/login?reauth=1", "/login/app", &[("next", "")])
        .await;
    let id = r
        .location()
        .trim_start_matches("/login/app/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let frame = computer.get(&format!("/login/app/{id}/qr.png")).await.bytes;
    let link = read_qr(&mut computer, &format!("/login/app/{id}/qr.png")).await;
    let r = scan(&mut phone, frame.clone(), access.clone()).await;
    r.status(200);
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(s(&v["link"]), link);
    assert!(link.starts_with(&format!("{}/app/approve#{id}.", origin(&app))));

    // Another QR code (here an Authenticator's otpauth: link, as the activation page draws it)
    // is not followed.
    let mut ana = registered(&app, &ANA).await;
    login(&mut ana, &ANA, "").await.status(303);
    ana.get("/account/two-step/scan").await;
    let otpauth = ana.get("/account/two-step/qr.png").await;
    otpauth.status(200);
    assert!(
        read_qr(&mut ana, "/account/two-step/qr.png")
            .await
            .starts_with("otpauth://")
    );
    let r = scan(&mut phone, otpauth.bytes, access.clone()).await;
    r.status(200);
    assert_eq!(
        serde_json::from_str::<Value>(&r.body).unwrap()["link"],
        Value::Null
    );
    // Not an image, and no token: refused.
    let r = scan(&mut phone, b"not an image".to_vec(), access.clone()).await;
    assert_eq!(r.status, 400);
    let r = scan(&mut phone, frame, "nope".into()).await;
    assert_eq!(r.status, 401);
}
