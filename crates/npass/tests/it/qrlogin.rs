//! Passwordless QR login over HTTP (design note 0015): a computer's browser shows a code and a
//! number, a phone (here the software authenticator behind a second browser) approves it with
//! a passkey, and only the computer's browser is logged in. The refusals of SECURITY.md
//! "QR/mobile login".

use npass_core::model::{Amr, Level};
use serde_json::{Value, json};

use crate::harness::*;
use crate::passkeys::{app_on_localhost, ion_id, ion_with_passkey, origin};
use crate::softkey::{Answer, SoftKey};

/// A computer's QR login: its page's path, the number it shows, and the id and secret the
/// QR code's link carries (decoded from the image).
pub(crate) struct Shown {
    pub(crate) page: String,
    pub(crate) number: u64,
    id: String,
    pub(crate) secret: String,
}

/// The matching number a waiting page shows.
pub(crate) fn shown_number(page: &str) -> u64 {
    page.split("<p class=\"number\"")
        .nth(1)
        .and_then(|s| s.split('>').nth(1))
        .and_then(|s| s.split('<').next())
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

async fn show_code(computer: &mut Browser) -> Shown {
    show_code_for(computer, "").await
}

/// The same, to come back to `next` once approved.
pub(crate) async fn show_code_for(computer: &mut Browser, next: &str) -> Shown {
    let r = computer
        .submit("/login?reauth=1", "/login/app", &[("next", next)])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = r.location();
    let id = page
        .trim_start_matches("/login/app/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let p = computer.get(&page).await;
    p.status(200).has("Scan the code with your phone");
    let number = shown_number(&p.body);
    let link = read_qr(computer, &format!("/login/app/{id}/qr.png")).await;
    let (path, fragment) = link.split_once('#').unwrap();
    assert!(path.ends_with("/app/approve"), "{link}");
    let (fid, secret) = fragment.split_once('.').unwrap();
    assert_eq!(fid, id);
    Shown {
        page,
        number,
        id,
        secret: secret.to_owned(),
    }
}

async fn api(phone: &mut Browser, path: &str, body: Value) -> (u16, Value) {
    let rb = phone
        .request(reqwest::Method::POST, path)
        .header("content-type", "application/json")
        .body(body.to_string());
    let r = phone.send(rb).await;
    (
        r.status,
        serde_json::from_str(&r.body).unwrap_or(Value::Null),
    )
}

/// The phone's whole answer: the request, a ceremony for `number`, the key's assertion.
pub(crate) async fn approve(
    phone: &mut Browser,
    s: &Shown,
    secret: &str,
    number: u64,
    key: &mut SoftKey,
    a: &Answer,
) -> (u16, Value) {
    let base = format!("/app/v1/approvals/{}", s.id);
    let (status, opts) = api(
        phone,
        &format!("{base}/options"),
        json!({"secret": secret, "number": number}),
    )
    .await;
    if status != 200 {
        return (status, opts);
    }
    let credential = key.get(&opts["options"], a);
    api(
        phone,
        &format!("{base}/approve"),
        json!({"secret": secret, "ceremony": opts["ceremony"], "credential": credential}),
    )
    .await
}

pub(crate) async fn phone_browser(app: &TestApp) -> Browser {
    let mut phone = app.browser();
    phone
        .get("/app/approve")
        .await
        .status(200)
        .has("/static/approve.js");
    phone
}

#[tokio::test]
async fn the_phone_approves_and_only_the_browser_that_showed_the_code_is_logged_in() {
    let app = app_on_localhost(|_| {}).await;
    let (_, mut key) = ion_with_passkey(&app).await;
    let honest = Answer::honest(&origin(&app));

    let mut computer = app.browser();
    computer.user_agent = Some("Mozilla/5.0 (Windows NT 10.0) Chrome/130.0 Safari/537.36".into());
    let s = show_code(&mut computer).await;
    assert!((10..100).contains(&s.number));
    assert_eq!(
        computer
            .get(&format!("/login/app/{}/status", s.id))
            .await
            .body,
        r#"{"state":"waiting"}"#
    );

    // The phone sees who asks, and three numbers, one of them the computer's.
    let mut phone = phone_browser(&app).await;
    let (status, req) = api(
        &mut phone,
        &format!("/app/v1/approvals/{}", s.id),
        json!({"secret": s.secret}),
    )
    .await;
    assert_eq!(status, 200, "{req}");
    assert_eq!(req["browser"], "Chrome on Windows");
    assert_eq!(req["service"], "npass (your account)");
    let numbers: Vec<u64> = req["numbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .collect();
    assert_eq!(numbers.len(), 3);
    assert!(numbers.contains(&s.number));

    let (status, done) = approve(&mut phone, &s, &s.secret, s.number, &mut key, &honest).await;
    assert_eq!((status, done["result"].as_str()), (200, Some("approved")));

    // Another browser can neither see nor take it.
    let mut other = app.browser();
    other.get(&s.page).await.status(404);
    assert!(!other.cookies.contains_key("__Host-npass"));
    // The computer can, once: substantial, by a passkey, no password.
    let r = computer.get(&s.page).await;
    assert_eq!((r.status, r.location()), (303, "/account".to_string()));
    assert!(computer.cookies.contains_key("__Host-npass"));
    computer.get(&s.page).await.status(404);
    let id = ion_id(&app).await;
    let session = app
        .core
        .logins
        .sessions_of(&id)
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.user_agent.contains("Windows"))
        .unwrap();
    assert_eq!(session.level, Level::Substantial);
    assert!(session.amr.contains(&Amr::Swk) && session.amr.contains(&Amr::Mfa));
    assert!(!session.amr.contains(&Amr::Pwd));
    // The citizen's history says so.
    let trail = app
        .core
        .credentials
        .history(&id, &["login.app-approved"], 5)
        .await
        .unwrap();
    assert_eq!(trail.len(), 1);
}

#[tokio::test]
async fn qr_refusals_give_nobody_a_session() {
    let app = app_on_localhost(|_| {}).await;
    let (_, mut key) = ion_with_passkey(&app).await;
    let honest = Answer::honest(&origin(&app));
    let mut phone = phone_browser(&app).await;

    // Without the QR's secret the request cannot be seen or answered.
    let mut computer = app.browser();
    let s = show_code(&mut computer).await;
    let wrong = "x".repeat(s.secret.len());
    let (status, e) = api(
        &mut phone,
        &format!("/app/v1/approvals/{}", s.id),
        json!({"secret": wrong}),
    )
    .await;
    assert_eq!((status, e["error"].as_str()), (404, Some("unknown")));
    let (status, _) = approve(&mut phone, &s, &wrong, s.number, &mut key, &honest).await;
    assert_eq!(status, 404);

    // A wrong number ends the request: the right one cannot follow, the computer is told.
    let other_number = if s.number == 10 { 11 } else { s.number - 1 };
    let (status, e) = approve(&mut phone, &s, &s.secret, other_number, &mut key, &honest).await;
    assert_eq!((status, e["error"].as_str()), (403, Some("wrong-number")));
    let (status, e) = approve(&mut phone, &s, &s.secret, s.number, &mut key, &honest).await;
    assert_eq!((status, e["error"].as_str()), (409, Some("used")));
    computer
        .get(&s.page)
        .await
        .status(410)
        .has("another number was chosen");
    assert!(!computer.cookies.contains_key("__Host-npass"));

    // Denied on the phone: the same.
    let s = show_code(&mut computer).await;
    let (status, _) = api(
        &mut phone,
        &format!("/app/v1/approvals/{}/deny", s.id),
        json!({"secret": s.secret}),
    )
    .await;
    assert_eq!(status, 200);
    computer.get(&s.page).await.status(410);

    // Expired: nothing answers after 2 minutes.
    let s = show_code(&mut computer).await;
    app.clock.advance_secs(121);
    let (status, e) = api(
        &mut phone,
        &format!("/app/v1/approvals/{}", s.id),
        json!({"secret": s.secret}),
    )
    .await;
    assert_eq!((status, e["error"].as_str()), (410, Some("expired")));
    computer
        .get(&s.page)
        .await
        .status(410)
        .has("The code expired");

    // One approval per code, whichever device comes second.
    let s = show_code(&mut computer).await;
    let (status, _) = approve(&mut phone, &s, &s.secret, s.number, &mut key, &honest).await;
    assert_eq!(status, 200);
    let mut second = SoftKey::new();
    let (status, e) = approve(&mut phone, &s, &s.secret, s.number, &mut second, &honest).await;
    assert_eq!((status, e["error"].as_str()), (409, Some("used")));

    // An assertion without user verification, or by a removed passkey, approves nothing.
    let s = show_code(&mut computer).await;
    let no_uv = Answer {
        user_verified: false,
        ..honest.clone()
    };
    let (status, e) = approve(&mut phone, &s, &s.secret, s.number, &mut key, &no_uv).await;
    assert_eq!((status, e["error"].as_str()), (403, Some("passkey")));
    let id = ion_id(&app).await;
    let cred = app.core.passkeys.of(&id).await.unwrap()[0]
        .credential_id
        .clone();
    app.core
        .passkeys
        .remove(
            &app.core.store.account_by_id(&id).await.unwrap().unwrap(),
            &cred,
            true,
            &npass_core::login::Client::default(),
        )
        .await
        .unwrap();
    let (status, e) = approve(&mut phone, &s, &s.secret, s.number, &mut key, &honest).await;
    assert_eq!((status, e["error"].as_str()), (403, Some("passkey")));
    let r = computer.get(&s.page).await;
    r.status(200).has("Scan the code with your phone");
    assert!(!computer.cookies.contains_key("__Host-npass"));
}
