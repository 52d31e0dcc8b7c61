//! Login per SECURITY.md: one answer for every failure, throttling, lockout, sessions.

use crate::harness::*;

#[tokio::test]
async fn unknown_identifier_and_wrong_password_look_alike() {
    let app = TestApp::start().await;
    registered(&app, &ION).await;
    let mut b = app.browser();
    let wrong = b
        .submit(
            "/login",
            "/login",
            &[
                ("national_id", ION.national_id),
                ("password", "not the password at all"),
            ],
        )
        .await;
    let unknown = b
        .submit(
            "/login",
            "/login",
            &[
                ("national_id", "1008600038413"),
                ("password", "not the password at all"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    let msg = "The identification number, the password or the verification code is wrong.";
    wrong.has(msg);
    unknown.has(msg);
    // A malformed identifier is a form error, not a failed attempt.
    b.submit(
        "/login",
        "/login",
        &[("national_id", "12345"), ("password", "x")],
    )
    .await
    .status(400)
    .has("has the wrong length");
}

#[tokio::test]
async fn delays_grow_then_the_authenticator_locks_at_100_and_the_citizen_is_told() {
    let app = TestApp::start().await;
    registered(&app, &ION).await;
    let mut b = app.browser();
    let csrf = b.get("/login").await.csrf();
    let attempt = |pw: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("national_id", ION.national_id.to_string()),
            ("password", pw.to_string()),
        ]
    };
    async fn post(b: &mut Browser, f: Vec<(&'static str, String)>) -> Resp {
        let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        b.post_raw("/login", &refs).await
    }
    // Five free failures, then a delay: while it runs, right and wrong passwords get the same
    // answer.
    for _ in 0..5 {
        post(&mut b, attempt("wrong password number one"))
            .await
            .status(401);
    }
    let right = post(&mut b, attempt(ION.password)).await;
    let wrong = post(&mut b, attempt("wrong password number one")).await;
    right.status(429).has("Too many attempts. Try again in");
    wrong.status(429);
    assert_eq!(
        right.body.replace(
            &right.headers["x-request-id"].to_str().unwrap().to_string(),
            ""
        ),
        wrong.body.replace(
            &wrong.headers["x-request-id"].to_str().unwrap().to_string(),
            ""
        )
    );
    // Spelling the identifier differently counts on the same counter.
    let spelled = vec![
        ("csrf", csrf.clone()),
        ("national_id", "2000-0000-00004".to_string()),
        ("password", ION.password.to_string()),
    ];
    post(&mut b, spelled).await.status(429);

    // Wait out each delay and fail again, up to 100 consecutive failures.
    for _ in 5..100 {
        app.clock.advance_secs(900);
        post(&mut b, attempt("wrong password number one"))
            .await
            .status(401);
    }
    app.clock.advance_secs(900);
    // The 101st attempt, even with the right password, is refused: locked.
    post(&mut b, attempt(ION.password))
        .await
        .status(403)
        .has("Logging in is locked after too many failed attempts.");
    app.mail(ION.email, "Logging in to your account is locked")
        .await;
    let trail = app.core.store.audit_range(0, 100_000).await.unwrap();
    assert_eq!(
        trail
            .iter()
            .filter(|r| r.event.kind == "login.failure")
            .count(),
        100
    );
    assert_eq!(
        trail
            .iter()
            .filter(|r| r.event.kind == "login.locked")
            .count(),
        1
    );
    assert_eq!(npass_core::audit::verify_chain(&trail), Ok(()));
}

#[tokio::test]
async fn a_success_resets_the_count() {
    let app = TestApp::start().await;
    registered(&app, &ION).await;
    let mut b = app.browser();
    for _ in 0..4 {
        b.submit(
            "/login",
            "/login",
            &[
                ("national_id", ION.national_id),
                ("password", "wrong wrong wrong"),
            ],
        )
        .await
        .status(401);
    }
    login(&mut b, &ION, "").await.status(303);
    let mut c = app.browser();
    for _ in 0..5 {
        c.submit(
            "/login",
            "/login",
            &[
                ("national_id", ION.national_id),
                ("password", "wrong wrong wrong"),
            ],
        )
        .await
        .status(401);
    }
}

#[tokio::test]
async fn wrong_codes_have_their_own_limit_and_a_new_enrolment_does_not_reset_it() {
    let app = TestApp::start().await;
    let mut b = registered(&app, &ANA).await;
    login(&mut b, &ANA, "").await.status(303);
    b.get("/account/two-step/device?device=android").await;
    let scan = b.get("/account/two-step/scan").await;
    for _ in 0..5 {
        b.post_raw(
            "/account/two-step/confirm",
            &[("csrf", &scan.csrf()), ("code", "123456")],
        )
        .await
        .status(400)
        .has("The verification code is not correct.");
    }
    let (_, secret) = scan_qr(&mut b).await;
    // Throttled now: even the right code waits.
    let r = b
        .post_raw(
            "/account/two-step/confirm",
            &[("csrf", &scan.csrf()), ("code", &app.code(&secret))],
        )
        .await;
    r.status(429).has("Too many attempts");
    // Showing the page again (a "new challenge") does not reset the count.
    b.get("/account/two-step/scan").await.status(200);
    b.post_raw(
        "/account/two-step/confirm",
        &[("csrf", &scan.csrf()), ("code", &app.code(&secret))],
    )
    .await
    .status(429);
    app.clock.advance_secs(3);
    b.post_raw(
        "/account/two-step/confirm",
        &[("csrf", &scan.csrf()), ("code", &app.code(&secret))],
    )
    .await
    .status(200);
}

#[tokio::test]
async fn sessions_rotate_time_out_and_demand_a_fresh_login_for_changes() {
    let app = TestApp::start().await;
    let mut b = registered(&app, &ION).await;
    let first = login(&mut b, &ION, "").await;
    let cookie = first
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("__Host-npass="))
        .unwrap();
    assert!(
        cookie.contains("Secure")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
            && cookie.contains("Path=/")
    );
    assert!(!cookie.contains("Domain"));
    let s1 = b.cookies["__Host-npass"].clone();
    assert_eq!(s1.len(), 12 + 43, "time in hex, then a 256-bit secret");
    assert!(s1[..12].bytes().all(|b| b.is_ascii_hexdigit()));
    // Logging in again from the same browser gives a new secret and ends the old session.
    login(&mut b, &ION, "").await.status(303);
    let s2 = b.cookies["__Host-npass"].clone();
    assert_ne!(s1, s2);
    let mut old = app.browser();
    old.cookies.insert("__Host-npass".into(), s1);
    old.get("/account").await.status(303);

    // Sixteen minutes later the session lives, but changing two-step needs a fresh login.
    app.clock.advance_secs(16 * 60);
    b.get("/account").await.status(200);
    let r = b.get("/account/two-step/device").await;
    assert_eq!(
        (r.status, r.location()),
        (
            303,
            "/login?next=/account/two-step/device&reauth=1".to_string()
        )
    );
    b.get(&r.location()).await.status(200).has("log in again");
    let again = b
        .submit(
            &r.location(),
            "/login",
            &[
                ("national_id", ION.national_id),
                ("password", ION.password),
                ("next", "/account/two-step/device"),
            ],
        )
        .await;
    assert_eq!(
        (again.status, again.location()),
        (303, "/account/two-step/device".to_string())
    );
    b.get("/account/two-step/device").await.status(200);

    // An hour without activity ends it.
    app.clock.advance_secs(61 * 60);
    let r = b.get("/account").await;
    assert_eq!(
        (r.status, r.location()),
        (303, "/login?next=/account".to_string())
    );
}

#[tokio::test]
async fn next_never_leaves_the_site() {
    let app = TestApp::start().await;
    registered(&app, &ION).await;
    for evil in [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
    ] {
        let mut b = app.browser();
        let r = b
            .submit(
                "/login",
                "/login",
                &[
                    ("national_id", ION.national_id),
                    ("password", ION.password),
                    ("next", evil),
                ],
            )
            .await;
        assert_eq!(
            (r.status, r.location()),
            (303, "/account".to_string()),
            "{evil}"
        );
    }
}

#[tokio::test]
async fn an_operator_lock_refuses_even_the_right_password() {
    let app = TestApp::start().await;
    let mut b = registered(&app, &ION).await;
    login(&mut b, &ION, "").await.status(303);
    app.core
        .set_citizen_locked(ION.national_id, true, &npass_core::login::Client::default())
        .await
        .unwrap();
    b.get("/account").await.status(303);
    login(&mut b, &ION, "")
        .await
        .status(403)
        .has("This account is locked.");
    // Without the right password nothing tells that the account exists or is locked.
    b.submit(
        "/login",
        "/login",
        &[
            ("national_id", ION.national_id),
            ("password", "a wrong guess here"),
        ],
    )
    .await
    .status(401)
    .lacks("This account is locked.");
}

#[tokio::test]
async fn an_active_session_still_ends_after_24_hours() {
    let app = TestApp::start().await;
    let mut b = registered(&app, &ION).await;
    login(&mut b, &ION, "").await.status(303);
    // A request every 50 minutes keeps the idle timeout away ...
    for _ in 0..28 {
        app.clock.advance_secs(50 * 60);
        b.get("/account").await.status(200);
    }
    // ... but not the absolute one.
    app.clock.advance_secs(50 * 60);
    assert_eq!(b.get("/account").await.status, 303);
}
