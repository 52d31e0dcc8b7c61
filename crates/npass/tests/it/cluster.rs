//! Two nodes on one database behave as one; per-address limits never lock the victims.

use crate::harness::*;

#[tokio::test]
async fn two_nodes_share_sessions_codes_and_counters() {
    let a = TestApp::start().await;
    let b_node = a.peer().await;
    let mut on_a = registered(&a, &ION).await;
    login(&mut on_a, &ION, "").await.status(303);
    let (secret, _codes) = activate_two_step(&a, &mut on_a).await;
    a.clock.advance_secs(30);
    b_node.clock.set_ms(a.now());

    // A code used on node A is spent on node B too.
    let code = a.code(&secret);
    let mut first = a.browser();
    login(&mut first, &ION, &code).await.status(303);
    let mut second = b_node.browser();
    login(&mut second, &ION, &code).await.status(401);

    // A session made on A is valid on B; logging out on B ends it on A.
    let mut moved = b_node.browser();
    moved.cookies = first.cookies.clone();
    moved.get("/account").await.status(200).has("substantial");
    moved.submit("/account", "/logout", &[]).await.status(303);
    first.get("/account").await.status(303);

    // Failures on both nodes add up on one counter (5 free, then a delay).
    for node in [&a, &b_node, &a, &b_node, &a] {
        let mut x = node.browser();
        x.submit(
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
    let mut x = b_node.browser();
    x.submit(
        "/login",
        "/login",
        &[
            ("national_id", ION.national_id),
            ("password", "wrong wrong wrong"),
        ],
    )
    .await
    .status(429);
}

#[tokio::test]
async fn per_address_limits_stop_stuffing_without_locking_the_victim() {
    let app = TestApp::start_with(|c| {
        c.http.trust_forwarded_for = true;
        c.throttle.ip_max_failures = 10;
    })
    .await;
    registered(&app, &ION).await;
    async fn post_from(b: &mut Browser, ip: &str, nid: &str, password: &str) -> Resp {
        let csrf = b.get("/login").await.csrf();
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("csrf", csrf.as_str()),
                ("national_id", nid),
                ("password", password),
            ])
            .finish();
        let rb = b
            .request(reqwest::Method::POST, "/login")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-forwarded-for", ip)
            .body(body);
        b.send(rb).await
    }
    let mut attacker = app.browser();
    let ids = [
        "1008600038413",
        "2000000000004",
        "2002003004007",
        "1002600001006",
    ];
    for i in 0..10 {
        post_from(
            &mut attacker,
            "198.51.100.7",
            ids[i % 4],
            "Password123456789",
        )
        .await
        .status(401);
    }
    // The stuffing address is stopped, even with the right password ...
    post_from(&mut attacker, "198.51.100.7", ION.national_id, ION.password)
        .await
        .status(429);
    // ... while the citizen, from their own address, logs in: the account is not locked.
    let mut citizen = app.browser();
    post_from(&mut citizen, "203.0.113.9", ION.national_id, ION.password)
        .await
        .status(303);
    // After the window the address may try again.
    app.clock.advance_secs(3601);
    let mut later = app.browser();
    post_from(&mut later, "198.51.100.7", ION.national_id, ION.password)
        .await
        .status(303);
}
