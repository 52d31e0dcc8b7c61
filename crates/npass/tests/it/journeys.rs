//! The foundation journey end to end: register, confirm, activate two-step with an
//! Authenticator app, log out, log back in with national ID + password + code.

use crate::harness::*;

#[tokio::test]
async fn register_activate_two_step_and_log_in_with_a_code() {
    let app = TestApp::start().await;
    let mut b = registered(&app, &ION).await;

    // Password alone: level low.
    let r = login(&mut b, &ION, "").await;
    assert_eq!((r.status, r.location()), (303, "/account".to_string()));
    b.get("/account")
        .await
        .status(200)
        .has("Ion")
        .has("Popescu")
        .has("low")
        .has("Two-step authentication is off");

    // The MPass journey: explanation with the steps → phone type → QR → code → success.
    let intro = b.get("/account/two-step").await;
    intro
        .status(200)
        .has("Set the verification code")
        .has("Install any Authenticator app");
    b.get("/account/two-step/device")
        .await
        .status(200)
        .has("What type of device do you have?");
    b.get("/account/two-step/device?device=apple")
        .await
        .has("apps.apple.com");
    b.get("/account/two-step/device?device=android")
        .await
        .has("play.google.com");
    let scan = b.get("/account/two-step/scan").await;
    scan.status(200)
        .has("scan the QR code?")
        .has("/account/two-step/qr.png");
    let (uri, secret) = scan_qr(&mut b).await;
    assert!(
        uri.starts_with("otpauth://totp/npass:2000000000004?secret="),
        "{uri}"
    );
    assert!(uri.contains("&issuer=npass") && uri.contains("digits=6") && uri.contains("period=30"));
    assert_eq!(secret.len(), 20, "160-bit secret");
    // The key shown as text, in groups of four, is the same key.
    let grouped = data_encoding::BASE32_NOPAD
        .encode(&secret)
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    scan.has(&grouped);
    // Reloading the page keeps the same seed.
    b.get("/account/two-step/scan").await;
    assert_eq!(scan_qr(&mut b).await.1, secret);

    let done = b
        .post_raw(
            "/account/two-step/confirm",
            &[("csrf", &scan.csrf()), ("code", &app.code(&secret))],
        )
        .await;
    done.status(200)
        .has("The verification code was added successfully.")
        .has("Recovery codes");
    let codes = recovery_codes(&done.body);
    assert_eq!(codes.len(), 10);
    assert!(
        codes
            .iter()
            .all(|c| c.len() == 11 && c.chars().nth(5) == Some('-'))
    );
    app.mail(ION.email, "Two-step authentication was turned on")
        .await;
    b.get("/account")
        .await
        .has("Two-step authentication is on since 2025-11-23")
        .has("Unused recovery codes: 10");

    // Log out; the old session cookie is dead everywhere.
    let old = b.cookies.get("__Host-npass").cloned().unwrap();
    let out = b.submit("/account", "/logout", &[]).await;
    assert_eq!(
        (out.status, out.location()),
        (303, "/login?done=logout".to_string())
    );
    assert!(!b.cookies.contains_key("__Host-npass"));
    let mut thief = app.browser();
    thief.cookies.insert("__Host-npass".into(), old);
    assert_eq!(
        thief.get("/account").await.status,
        303,
        "a logged-out session is gone"
    );

    // Now the password alone is not enough.
    app.clock.advance_secs(30);
    login(&mut b, &ION, "")
        .await
        .status(401)
        .has("The identification number, the password or the verification code is wrong.");
    // National ID (spelled differently) + password + current code: level substantial.
    let code = app.code(&secret);
    let r = b
        .submit(
            "/login",
            "/login",
            &[
                ("national_id", "2000 0000-00004"),
                ("password", ION.password),
                ("code", &code),
            ],
        )
        .await;
    assert_eq!((r.status, r.location()), (303, "/account".to_string()));
    let account = b.get("/account").await;
    account.status(200).has("substantial");
    // The history shows the logins.
    account
        .has("Logged in")
        .has("Two-step authentication turned on")
        .has("127.0.0.1");

    // The same code again (a replay, even from another browser) is refused.
    let mut other = app.browser();
    login(&mut other, &ION, &code).await.status(401);
    // A code from two steps ago is refused; the next step's code is accepted.
    app.clock.advance_secs(30);
    let mut late = app.browser();
    login(&mut late, &ION, &app.code_at(&secret, -2))
        .await
        .status(401);
    login(&mut late, &ION, &app.code_at(&secret, 1))
        .await
        .status(303);
}

#[tokio::test]
async fn recovery_codes_work_once_and_alert_the_citizen() {
    let app = TestApp::start().await;
    let mut b = registered(&app, &ANA).await;
    login(&mut b, &ANA, "").await.status(303);
    let (_secret, codes) = activate_two_step(&app, &mut b).await;

    let mut phone_lost = app.browser();
    login(&mut phone_lost, &ANA, &codes[3].to_uppercase())
        .await
        .status(303);
    phone_lost
        .get("/account")
        .await
        .has("substantial")
        .has("Unused recovery codes: 9");
    app.mail(ANA.email, "A recovery code was used").await;

    let mut again = app.browser();
    login(&mut again, &ANA, &codes[3]).await.status(401);
    login(&mut again, &ANA, "aaaaa-bbbbb").await.status(401);
}

#[tokio::test]
async fn replace_remove_and_regenerate_need_a_current_code() {
    let app = TestApp::start().await;
    let mut b = registered(&app, &ANA).await;
    login(&mut b, &ANA, "").await.status(303);
    let (secret, codes) = activate_two_step(&app, &mut b).await;
    app.clock.advance_secs(30);

    // Wrong code: nothing changes.
    let page = b.get("/account/two-step").await;
    page.has("Replace the authenticator")
        .has("Turn off two-step authentication");
    let r = b
        .post_raw(
            "/account/two-step/remove",
            &[("csrf", &page.csrf()), ("code", "000000")],
        )
        .await;
    r.status(400).has("The verification code is not correct.");
    assert!(
        app.core
            .store
            .totp(&account_id(&app, ANA.national_id).await)
            .await
            .unwrap()
            .is_some()
    );

    // New recovery codes: the old ones stop working.
    let r = b
        .post_raw(
            "/account/recovery-codes",
            &[("csrf", &page.csrf()), ("code", &app.code(&secret))],
        )
        .await;
    r.status(200).has("Your new recovery codes are ready.");
    let fresh = recovery_codes(&r.body);
    assert_eq!(fresh.len(), 10);
    assert!(fresh.iter().all(|c| !codes.contains(c)));
    app.clock.advance_secs(30);
    login(&mut app.browser(), &ANA, &codes[0]).await.status(401);

    // Replace: a new seed; the old app works until the new one is confirmed.
    app.clock.advance_secs(30);
    let r = b
        .post_raw(
            "/account/two-step/replace",
            &[("csrf", &page.csrf()), ("code", &app.code(&secret))],
        )
        .await;
    assert_eq!(
        (r.status, r.location()),
        (303, "/account/two-step/device".to_string())
    );
    let scan = b.get("/account/two-step/scan").await;
    let (_, new_secret) = scan_qr(&mut b).await;
    assert_ne!(new_secret, secret);
    app.clock.advance_secs(30);
    let done = b
        .post_raw(
            "/account/two-step/confirm",
            &[("csrf", &scan.csrf()), ("code", &app.code(&new_secret))],
        )
        .await;
    done.status(200)
        .has("The verification code was added successfully.");
    app.clock.advance_secs(30);
    login(&mut app.browser(), &ANA, &app.code(&secret))
        .await
        .status(401);
    login(&mut app.browser(), &ANA, &app.code(&new_secret))
        .await
        .status(303);

    // Remove: back to password-only, level low; the citizen is told.
    app.clock.advance_secs(30);
    let page = b.get("/account/two-step").await;
    let r = b
        .post_raw(
            "/account/two-step/remove",
            &[("csrf", &page.csrf()), ("code", &app.code(&new_secret))],
        )
        .await;
    assert_eq!(
        (r.status, r.location()),
        (303, "/account?done=two-step-removed".to_string())
    );
    app.mail(ANA.email, "Two-step authentication was turned off")
        .await;
    let mut c = app.browser();
    login(&mut c, &ANA, "").await.status(303);
    c.get("/account").await.has("low");
}

pub async fn account_id(app: &TestApp, nid: &str) -> String {
    app.core
        .store
        .account_by_national_id(nid)
        .await
        .unwrap()
        .unwrap()
        .id
        .into()
}
