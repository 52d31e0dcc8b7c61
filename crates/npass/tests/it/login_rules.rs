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
        wrong_password(&mut b, ION.national_id).await.status(401);
    }
    login(&mut b, &ION, "").await.status(303);
    // The address keeps its four failures; the success's own attempt went back with it.
    let ip = app.core.store.throttle("ip:127.0.0.1").await.unwrap();
    assert_eq!(ip.failures, 4);
    let mut c = app.browser();
    for _ in 0..5 {
        wrong_password(&mut c, ION.national_id).await.status(401);
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
        .admin
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

/// Posts the login form from `n` browsers at once, half of them to `other` (another node on
/// the same database), each with its own CSRF token; returns the statuses.
async fn guesses_at_once(
    app: &TestApp,
    other: &TestApp,
    n: usize,
    fields: &[(&'static str, &'static str)],
) -> Vec<u16> {
    let mut ready = Vec::new();
    for i in 0..n {
        let mut b = if i % 2 == 0 {
            app.browser()
        } else {
            other.browser()
        };
        let csrf = b.get("/login").await.csrf();
        ready.push((b, csrf));
    }
    let handles: Vec<_> = ready
        .into_iter()
        .map(|(mut b, csrf)| {
            let fields = fields.to_vec();
            tokio::spawn(async move {
                let mut all = vec![("csrf", csrf.as_str())];
                all.extend_from_slice(&fields);
                b.post_raw("/login", &all).await.status
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for h in handles {
        statuses.push(h.await.unwrap());
    }
    statuses
}

fn failures_in_trail(trail: &[npass_core::model::AuditRecord]) -> usize {
    trail
        .iter()
        .filter(|r| r.event.kind == "login.failure")
        .count()
}

#[tokio::test]
async fn parallel_guesses_on_two_nodes_verify_no_more_passwords_than_the_policy_allows() {
    let app = TestApp::start().await;
    registered(&app, &ION).await;
    let peer = app.peer().await;
    let statuses = guesses_at_once(
        &app,
        &peer,
        40,
        &[
            ("national_id", ION.national_id),
            ("password", "forty guesses at the same time"),
        ],
    )
    .await;
    // Five free failures, then the one-second delay: the clock does not move, so every other
    // guess waits, unverified.
    let verified = statuses.iter().filter(|s| **s == 401).count();
    let waited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((verified, waited), (5, 35), "{statuses:?}");
    let trail = app.core.store.audit_range(0, 10_000).await.unwrap();
    assert_eq!(failures_in_trail(&trail), 5);
    // Refused attempts gave their count back: the counter holds the five failures.
    let t = app
        .core
        .store
        .throttle(&format!("pwd:{}", ION.national_id))
        .await
        .unwrap();
    assert_eq!(t.failures, 5);
    // The right password still waits out the delay, then logs in.
    let mut b = app.browser();
    login(&mut b, &ION, "").await.status(429);
    app.clock.advance_secs(2);
    peer.clock.advance_secs(2);
    login(&mut b, &ION, "").await.status(303);
}

#[tokio::test]
async fn parallel_guesses_from_one_address_stop_at_its_limit() {
    let app = TestApp::start().await;
    let peer = app.peer().await;
    // Unknown identifiers: only the address's counter stands between the guesses and the
    // hashing (20 failures a minute by default).
    let statuses = guesses_at_once(
        &app,
        &peer,
        40,
        &[
            ("national_id", "1008600038413"),
            ("password", "forty guesses at the same time"),
        ],
    )
    .await;
    let wrong: Vec<_> = statuses.iter().filter(|s| **s == 401).collect();
    assert!(
        wrong.len() <= 20 && statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    let trail = app.core.store.audit_range(0, 10_000).await.unwrap();
    assert_eq!(failures_in_trail(&trail), wrong.len());
    assert!(
        app.core
            .store
            .throttle("ip:127.0.0.1")
            .await
            .unwrap()
            .failures
            <= 20,
        "the address's count never passes its limit"
    );
}

#[tokio::test]
async fn while_codes_wait_a_right_and_a_wrong_password_get_the_same_answer() {
    let app = TestApp::start().await;
    let mut b = registered(&app, &ANA).await;
    login(&mut b, &ANA, "").await.status(303);
    activate_two_step(&app, &mut b).await;
    // Five wrong codes with the right password: the code counter now waits.
    let mut c = app.browser();
    for _ in 0..5 {
        login(&mut c, &ANA, "000000").await.status(401);
    }
    let with = |pw: &'static str| {
        [
            ("national_id", ANA.national_id),
            ("password", pw),
            ("code", "000000"),
        ]
    };
    let right = c.submit("/login", "/login", &with(ANA.password)).await;
    let wrong = c
        .submit("/login", "/login", &with("a wrong password here"))
        .await;
    assert_eq!((right.status, wrong.status), (429, 429));
    let strip = |r: &Resp| {
        r.body
            .replace(r.headers["x-request-id"].to_str().unwrap(), "")
    };
    assert_eq!(strip(&right), strip(&wrong));
    // Locked (100 code failures) likewise: both passwords are told the same.
    for _ in 5..100 {
        app.clock.advance_secs(900);
        login(&mut c, &ANA, "000000").await.status(401);
    }
    app.clock.advance_secs(900);
    let right = c.submit("/login", "/login", &with(ANA.password)).await;
    let wrong = c
        .submit("/login", "/login", &with("a wrong password here"))
        .await;
    assert_eq!((right.status, wrong.status), (403, 403));
    assert_eq!(strip(&right), strip(&wrong));
}

#[tokio::test]
async fn without_password_only_login_a_password_alone_gives_no_session() {
    let app = TestApp::start_with(|c| c.password.password_only_login = false).await;
    let mut b = registered(&app, &ION).await;
    login(&mut b, &ION, "")
        .await
        .status(403)
        .has("A password alone is not enough to log in here.");
    assert!(!b.cookies.contains_key("__Host-npass"));
    b.get("/account").await.status(303);
    // A right password is no failure: it does not count towards the lock.
    let t = app
        .core
        .store
        .throttle(&format!("pwd:{}", ION.national_id))
        .await
        .unwrap();
    assert_eq!(t.failures, 0);
    // A wrong one is answered as any wrong password.
    wrong_password(&mut b, ION.national_id).await.status(401);
}

#[tokio::test]
async fn an_address_gets_20_failures_a_minute_by_default() {
    let app = TestApp::start().await;
    registered(&app, &ION).await;
    let mut b = app.browser();
    // A stuffing list: a different identifier each time, so only the address's count grows.
    let ids: Vec<String> = (0..21u64)
        .map(|i| idnp(1_008_600_000_000 + i * 10))
        .collect();
    for id in &ids[..20] {
        b.submit(
            "/login",
            "/login",
            &[("national_id", id), ("password", "stuffed guess 1234")],
        )
        .await
        .status(401);
    }
    b.submit(
        "/login",
        "/login",
        &[("national_id", &ids[20]), ("password", "stuffed 1234")],
    )
    .await
    .status(429);
    // The citizen behind the same address waits a minute too, but the account is not locked.
    login(&mut b, &ION, "").await.status(429);
    app.clock.advance_secs(61);
    login(&mut b, &ION, "").await.status(303);
}

/// A valid IDNP from its first twelve digits (`n` / 10) and the check digit (weights 7, 3, 1).
fn idnp(n: u64) -> String {
    let head = format!("{:012}", n / 10);
    let sum: u32 = head
        .bytes()
        .zip([7, 3, 1].iter().cycle())
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    format!("{head}{}", sum % 10)
}

#[tokio::test]
async fn a_refused_login_gives_back_only_the_attempt_it_took() {
    let app = TestApp::start().await;
    let mut b = registered(&app, &ANA).await;
    login(&mut b, &ANA, "").await.status(303);
    let (secret, _) = activate_two_step(&app, &mut b).await;
    let mut c = app.browser();
    for _ in 0..2 {
        c.submit(
            "/login",
            "/login",
            &[
                ("national_id", ANA.national_id),
                ("password", "not it, not it"),
            ],
        )
        .await
        .status(401);
    }
    app.core
        .admin
        .set_citizen_locked(ANA.national_id, true, &npass_core::login::Client::default())
        .await
        .unwrap();
    // A code of the next step: the one the activation confirmed is spent.
    app.clock.advance_secs(30);
    login(&mut c, &ANA, &app.code(&secret))
        .await
        .status(403)
        .has("This account is locked.");
    let count = |k: &str| {
        let store = app.core.store.clone();
        let key = format!("{k}:{}", ANA.national_id);
        async move { store.throttle(&key).await.unwrap().failures }
    };
    assert_eq!(count("pwd").await, 2, "the two wrong passwords still count");
    assert_eq!(count("otp").await, 0);
}

/// A login with `nid` and a wrong password.
async fn wrong_password(b: &mut Browser, nid: &str) -> Resp {
    b.submit(
        "/login",
        "/login",
        &[("national_id", nid), ("password", "wrong wrong wrong")],
    )
    .await
}
