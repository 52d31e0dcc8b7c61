//! Email over real SMTP, and failing closed when the database goes away.

use std::sync::{Arc, Mutex};

use npass_core::login::{Client, Factor, LoginTransaction};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::harness::*;

/// A minimal SMTP server (RFC 5321 happy path) that keeps what it receives.
async fn smtp_sink() -> (String, Arc<Mutex<Vec<String>>>) {
    smtp_sink_with(0, 0).await
}

/// `smtp_sink` whose first `hang` connections are accepted and never answered, as a stuck
/// server's are.
async fn smtp_sink_hanging(hang: usize) -> (String, Arc<Mutex<Vec<String>>>) {
    smtp_sink_with(hang, 0).await
}

/// `smtp_sink_hanging` that also takes `slow_ms` to accept each message, as a busy server does.
async fn smtp_sink_with(hang: usize, slow_ms: u64) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let got = Arc::new(Mutex::new(Vec::new()));
    let keep = got.clone();
    tokio::spawn(async move {
        let mut accepted = 0;
        let mut stuck = Vec::new();
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            accepted += 1;
            if accepted <= hang {
                stuck.push(sock);
                continue;
            }
            let keep = keep.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                w.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let mut data = None::<String>;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(d) = data.as_mut() {
                        if line == "." {
                            let slow = std::time::Duration::from_millis(slow_ms);
                            tokio::time::sleep(slow).await;
                            keep.lock().unwrap().push(data.take().unwrap());
                            w.write_all(b"250 OK queued\r\n").await.unwrap();
                        } else {
                            d.push_str(&line);
                            d.push('\n');
                        }
                        continue;
                    }
                    let verb = line.split_whitespace().next().unwrap_or("").to_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" => b"250-sink\r\n250 8BITMIME\r\n",
                        "HELO" | "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 OK\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => {
                            let _ = w.write_all(b"221 bye\r\n").await;
                            return;
                        }
                        _ => b"502 not implemented\r\n",
                    };
                    w.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (format!("smtp://{addr}"), got)
}

#[tokio::test]
async fn confirmation_email_goes_over_smtp() {
    let (url, got) = smtp_sink().await;
    let app = TestApp::start_with(|c| {
        c.mail.smtp_url = url.clone();
        c.mail.from = "MPass <no-reply@npass.example.md>".into();
    })
    .await;
    let mut b = app.browser();
    b.submit("/register", "/register", &register_fields(&ION))
        .await
        .status(200);
    let mut message = None;
    for _ in 0..200 {
        if let Some(m) = got.lock().unwrap().first().cloned() {
            message = Some(m);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let raw = message
        .expect("the SMTP server received the email")
        .replace('\n', "\r\n");
    let m = decode_mail(&raw);
    assert!(m.contains("To: ion.popescu@example.md"), "{m}");
    assert!(m.contains("From: MPass <no-reply@npass.example.md>"), "{m}");
    assert!(m.contains("Subject: Confirm your email address"), "{m}");
    assert!(
        m.contains(&format!("{}/register/confirm?token=", app.base)),
        "{m}"
    );
    // Nothing was written to the file outbox: SMTP replaced it.
    assert_eq!(app.mail_count(ION.email), 0);
}

#[tokio::test]
async fn an_account_without_a_password_sets_one_during_activation() {
    let app = TestApp::start().await;
    let citizen = npass_core::admin::NewCitizen {
        national_id: ION.national_id.into(),
        given_name: "Ion".into(),
        family_name: "Popescu".into(),
        email: ION.email.into(),
        language: "en".into(),
        ..Default::default()
    };
    let account = app
        .core
        .admin
        .add_citizen(citizen, &Client::default())
        .await
        .unwrap();
    assert!(account.password_hash.is_none());
    // No password, so no way in by password; a session as the e-signature login will make one.
    let mut b = app.browser();
    login(&mut b, &ION, "").await.status(401);
    let tx = LoginTransaction::asserted(&account.id, vec![Factor::Password]);
    let s = app
        .core
        .logins
        .start_session(&tx, None, &Client::default())
        .await
        .unwrap();
    b.cookies.insert("__Host-npass".into(), s.secret);

    let intro = b.get("/account/two-step").await;
    intro.status(200).has("href=\"/account/two-step/password\"");
    let page = b.get("/account/two-step/password").await;
    page.status(200)
        .has("logging in with the verification code requires a password");
    let csrf = page.csrf();
    b.post_raw(
        "/account/two-step/password",
        &[
            ("csrf", &csrf),
            ("password", "short"),
            ("password_confirm", "short"),
        ],
    )
    .await
    .status(400)
    .has("too short");
    let r = b
        .post_raw(
            "/account/two-step/password",
            &[
                ("csrf", &csrf),
                ("password", ION.password),
                ("password_confirm", ION.password),
            ],
        )
        .await;
    assert_eq!(
        (r.status, r.location()),
        (303, "/account/two-step/device".to_string())
    );
    // The password page is skipped once a password exists, and the password logs in.
    assert_eq!(
        b.get("/account/two-step/password").await.location(),
        "/account/two-step/device"
    );
    login(&mut app.browser(), &ION, "").await.status(303);
}

#[tokio::test]
async fn with_the_database_gone_nothing_is_accepted_and_the_page_says_try_again() {
    let app = TestApp::start().await;
    let mut b = registered(&app, &ION).await;
    let csrf = b.get("/login").await.csrf();
    app.store.close().await;
    let r = b
        .post_raw(
            "/login",
            &[
                ("csrf", &csrf),
                ("national_id", ION.national_id),
                ("password", ION.password),
            ],
        )
        .await;
    r.status(503)
        .has("temporarily unavailable")
        .has("Nothing was changed");
    assert!(!b.cookies.contains_key("__Host-npass"), "no session issued");
    b.get("/readyz").await.status(503);
    b.get("/healthz").await.status(200);
}

#[tokio::test]
async fn readiness_needs_a_write_to_commit() {
    let app = TestApp::start().await;
    let mut b = app.browser();
    b.get("/readyz").await.status(200);
    // Another process holds the database's write lock: reads still work, writes cannot commit.
    let lock = npass_store::testdb::hold_write_lock(&app.db_url)
        .await
        .unwrap();
    b.get("/readyz").await.status(503);
    b.get("/healthz").await.status(200);
    b.get("/login").await.status(200);
    drop(lock);
    // The node recovers by itself once it can write again.
    let mut ready = false;
    for _ in 0..60 {
        if b.get("/readyz").await.status == 200 {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert!(ready, "ready again once writes commit");
}

/// Waits (a bounded while) until the SMTP sink holds `n` messages.
async fn received(got: &Arc<Mutex<Vec<String>>>, n: usize) -> bool {
    for _ in 0..200 {
        if got.lock().unwrap().len() >= n {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn a_hung_smtp_server_holds_back_no_other_mail_and_its_mail_is_retried() {
    // The first connection is accepted and never answered.
    let (url, got) = smtp_sink_hanging(1).await;
    let app = TestApp::start_with(|c| {
        c.mail.smtp_url = url.clone();
        c.mail.delivery_timeout_seconds = 1;
    })
    .await;
    let mut ion = app.browser();
    ion.submit("/register", "/register", &register_fields(&ION))
        .await
        .status(200);
    let mut ana = app.browser();
    ana.submit("/register", "/register", &register_fields(&ANA))
        .await
        .status(200);
    // Ana's mail goes out while Ion's delivery hangs.
    assert!(received(&got, 1).await, "other mail is not held back");
    // Ion's delivery is abandoned after its timeout and retried a minute later.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    app.clock.advance_secs(61);
    assert!(received(&got, 2).await, "the stuck mail is retried");
    let all = got.lock().unwrap().join("\n");
    assert!(all.contains(ION.email) && all.contains(ANA.email), "{all}");
}

#[tokio::test]
async fn a_lease_that_ends_mid_delivery_does_not_send_the_mail_twice() {
    // Each message takes the server a second and a half to accept.
    let (url, got) = smtp_sink_with(0, 1500).await;
    let app = TestApp::start_with(|c| c.mail.smtp_url = url.clone()).await;
    let mut ion = app.browser();
    ion.submit("/register", "/register", &register_fields(&ION))
        .await
        .status(200);
    // While Ion's mail is being delivered, the clock steps past its lease, and new mail wakes
    // the sender.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    app.clock.advance_secs(121);
    let mut ana = app.browser();
    ana.submit("/register", "/register", &register_fields(&ANA))
        .await
        .status(200);
    assert!(received(&got, 2).await);
    // Time for a second delivery of Ion's mail, were one started.
    tokio::time::sleep(std::time::Duration::from_millis(2000)).await;
    let all = got.lock().unwrap().clone();
    let to = |who: &str| {
        all.iter()
            .filter(|m| m.contains(&format!("To: {who}")))
            .count()
    };
    assert_eq!((to(ION.email), to(ANA.email)), (1, 1), "{all:#?}");
}

#[tokio::test]
async fn shutdown_ends_in_bounded_time_with_a_stuck_sender_and_the_mail_stays_queued() {
    let (url, got) = smtp_sink_hanging(usize::MAX).await;
    let mut app = TestApp::start_with(|c| c.mail.smtp_url = url.clone()).await;
    let mut b = app.browser();
    b.submit("/register", "/register", &register_fields(&ION))
        .await
        .status(200);
    // Let the sender claim the mail and hang on the server.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(app.stop_within(10).await, "SIGTERM's stop finished");
    assert!(got.lock().unwrap().is_empty());
    // The mail is still in the outbox: once the lease is over, any node delivers it.
    let (url, got) = smtp_sink().await;
    let node = app.peer_with(|c| c.mail.smtp_url = url).await;
    node.clock.set_ms(app.now() + 121_000);
    assert!(
        received(&got, 1).await,
        "the queued mail is delivered by a later node"
    );
    assert!(got.lock().unwrap()[0].contains("/register/confirm?token="));
}
