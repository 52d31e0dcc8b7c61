//! Contract tests: every store method, on SQLite always and on PostgreSQL when
//! `NPASS_TEST_DATABASE_URL` names one (as `.ci/run` does).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use npass_core::audit::{event, verify_chain};
use npass_core::challenge::{Challenge, ChallengeKind, ChallengeState};
use npass_core::model::*;
use npass_core::national_id::{NationalId, Scheme};
use npass_core::store::*;
use npass_store::SqlStore;
use serde_json::json;

/// One attempt on `key` alone (`ThrottleStore::throttle_take`).
async fn take(
    s: &SqlStore,
    key: &str,
    seen: Throttle,
    failures: i64,
    now: i64,
) -> Result<bool, npass_core::Error> {
    s.throttle_take(
        &[ThrottleTake {
            key,
            seen,
            failures,
        }],
        &[],
        now,
    )
    .await
}

async fn store() -> (SqlStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = npass_store::testdb::fresh_url(dir.path()).await.unwrap();
    (SqlStore::connect(&url, 4).await.unwrap(), dir)
}

fn account(id: &str, nid: &str, status: AccountStatus) -> Account {
    Account {
        id: id.into(),
        national_id: NationalId {
            scheme: Scheme::MdIdnp,
            value: nid.into(),
        },
        profile: Profile {
            given_name: "Ion".into(),
            family_name: "Popescu".into(),
            birth_date: "1990-01-02".into(),
            email: "ion@example.md".into(),
            phone: String::new(),
            language: "ro".into(),
        },
        assurance: Assurance::SelfAsserted,
        status,
        password_hash: Some("$argon2id$x".into()),
        created_at: 1,
    }
}

fn mail(id: &str) -> Mail {
    Mail {
        id: id.into(),
        to: "ion@example.md".into(),
        language: "ro".into(),
        kind: "confirm-email".into(),
        params: vec![("link".into(), "https://x/y".into())],
    }
}

#[tokio::test]
async fn accounts_and_email_tokens() {
    let (s, _d) = store().await;
    let a = account("a1", "2000000000004", AccountStatus::Pending);
    let ev = event("account.register", Some("a1"), Some("127.0.0.1"), json!({}));
    s.create_account(&a, Some(("tok", 1_000)), Some(&mail("m1")), &ev, 10)
        .await
        .unwrap();
    let dup = account("a2", "2000000000004", AccountStatus::Pending);
    assert_eq!(
        s.create_account(&dup, None, None, &ev, 11)
            .await
            .unwrap_err(),
        npass_core::Error::Conflict("account-exists")
    );
    let got = s
        .account_by_national_id("2000000000004")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.id, "a1");
    assert_eq!(got.profile, a.profile);
    assert_eq!(got.status, AccountStatus::Pending);
    assert!(s.account_by_id("a2").await.unwrap().is_none());

    // wrong token, then the right one, then the right one again
    let ev = event("account.email-confirmed", None, None, json!({}));
    assert_eq!(
        s.confirm_email("nope", &ev, 20).await.unwrap_err(),
        npass_core::Error::NotFound
    );
    assert_eq!(s.confirm_email("tok", &ev, 20).await.unwrap(), "a1");
    assert_eq!(
        s.account_by_id("a1").await.unwrap().unwrap().status,
        AccountStatus::Active
    );
    assert_eq!(
        s.confirm_email("tok", &ev, 21).await.unwrap_err(),
        npass_core::Error::NotFound
    );

    // expired token is spent and refused
    let b = account("b1", "1008600038413", AccountStatus::Pending);
    s.create_account(&b, Some(("tok2", 100)), None, &ev, 10)
        .await
        .unwrap();
    assert_eq!(
        s.confirm_email("tok2", &ev, 100).await.unwrap_err(),
        npass_core::Error::Expired("email-token")
    );
    assert_eq!(
        s.account_by_id("b1").await.unwrap().unwrap().status,
        AccountStatus::Pending
    );

    s.set_status("a1", AccountStatus::Locked, &ev, None, 30)
        .await
        .unwrap();
    assert_eq!(
        s.account_by_id("a1").await.unwrap().unwrap().status,
        AccountStatus::Locked
    );
    assert_eq!(
        s.set_status("zz", AccountStatus::Locked, &ev, None, 30)
            .await
            .unwrap_err(),
        npass_core::Error::NotFound
    );
    s.set_password("a1", "$argon2id$new", "", &ev, None, 31)
        .await
        .unwrap();
    assert_eq!(
        s.account_by_id("a1")
            .await
            .unwrap()
            .unwrap()
            .password_hash
            .as_deref(),
        Some("$argon2id$new")
    );
}

#[tokio::test]
async fn totp_steps_are_used_once_and_recovery_codes_once() {
    let (s, _d) = store().await;
    let ev = event("x", Some("a1"), None, json!({}));
    s.create_account(
        &account("a1", "2000000000004", AccountStatus::Active),
        None,
        None,
        &ev,
        1,
    )
    .await
    .unwrap();
    assert!(s.totp("a1").await.unwrap().is_none());
    s.totp_pending_put("a1", b"seed-1", 5).await.unwrap();
    s.totp_pending_put("a1", b"seed-2", 6).await.unwrap();
    assert_eq!(
        s.totp_pending("a1").await.unwrap(),
        Some((b"seed-2".to_vec(), 6))
    );
    // a stale enrolment cannot be activated
    assert!(
        s.totp_activate("a1", b"seed-1", 9, &[], &ev, None, 7)
            .await
            .is_err()
    );
    let hashes: Vec<String> = (0..10).map(|i| format!("h{i}")).collect();
    s.totp_activate("a1", b"seed-2", 100, &hashes, &ev, Some(&mail("m2")), 7)
        .await
        .unwrap();
    assert!(s.totp_pending("a1").await.unwrap().is_none());
    let t = s.totp("a1").await.unwrap().unwrap();
    assert_eq!(
        (t.sealed_secret.as_slice(), t.last_step),
        (&b"seed-2"[..], 100)
    );
    assert!(
        !s.totp_use_step("a1", 100).await.unwrap(),
        "same step twice"
    );
    assert!(!s.totp_use_step("a1", 99).await.unwrap(), "older step");
    assert!(s.totp_use_step("a1", 101).await.unwrap());
    assert!(!s.totp_use_step("a1", 101).await.unwrap());

    assert_eq!(s.recovery_left("a1").await.unwrap(), 10);
    assert!(s.recovery_use("a1", "h3", &ev, None, 8).await.unwrap());
    assert!(!s.recovery_use("a1", "h3", &ev, None, 9).await.unwrap());
    assert!(!s.recovery_use("a1", "nope", &ev, None, 9).await.unwrap());
    assert_eq!(s.recovery_left("a1").await.unwrap(), 9);
    s.recovery_replace("a1", &["n1".to_string()], &ev, None, 10)
        .await
        .unwrap();
    assert_eq!(s.recovery_left("a1").await.unwrap(), 1);
    assert!(
        !s.recovery_use("a1", "h4", &ev, None, 11).await.unwrap(),
        "old codes are gone"
    );

    s.totp_remove("a1", &ev, None, 12).await.unwrap();
    assert!(s.totp("a1").await.unwrap().is_none());
    assert_eq!(s.recovery_left("a1").await.unwrap(), 0);
}

/// An active account `a1` with two-step authentication, its last step used `last_step`.
async fn two_step_account(s: &SqlStore, ev: &AuditEvent, last_step: i64) {
    let a = account("a1", "2000000000004", AccountStatus::Active);
    s.create_account(&a, None, None, ev, 1).await.unwrap();
    s.totp_pending_put("a1", b"seed", 1).await.unwrap();
    s.totp_activate("a1", b"seed", last_step, &[], ev, None, 2)
        .await
        .unwrap();
}

#[tokio::test]
async fn concurrent_step_use_succeeds_once() {
    let (s, _d) = store().await;
    let ev = event("x", Some("a1"), None, json!({}));
    two_step_account(&s, &ev, 1).await;
    let mut handles = Vec::new();
    for _ in 0..8 {
        let s = s.clone();
        handles.push(tokio::spawn(async move {
            s.totp_use_step("a1", 50).await.unwrap()
        }));
    }
    let mut wins = 0;
    for h in handles {
        wins += usize::from(h.await.unwrap());
    }
    assert_eq!(wins, 1);
}

#[tokio::test]
async fn throttles_take_release_and_reset() {
    let (s, _d) = store().await;
    let zero = Throttle::default();
    assert_eq!(s.throttle("pwd:x").await.unwrap(), zero);
    assert!(take(&s, "pwd:x", zero, 1, 5).await.unwrap());
    let one = Throttle {
        failures: 1,
        last_failure_at: 5,
    };
    assert_eq!(s.throttle("pwd:x").await.unwrap(), one);
    // A take that read a count another attempt has changed since is refused, absent row or not.
    assert!(!take(&s, "pwd:x", zero, 1, 6).await.unwrap());
    assert!(
        !take(&s, "pwd:y", one, 2, 6).await.unwrap(),
        "a row that is not there does not read as `one`"
    );
    assert_eq!(s.throttle("pwd:y").await.unwrap(), zero);
    assert!(take(&s, "pwd:x", one, 2, 7).await.unwrap());
    assert_eq!(s.throttle("pwd:x").await.unwrap().failures, 2);
    s.throttle_release("pwd:x").await.unwrap();
    let back = s.throttle("pwd:x").await.unwrap();
    assert_eq!((back.failures, back.last_failure_at), (1, 7));
    s.throttle_release("pwd:x").await.unwrap();
    s.throttle_release("pwd:x").await.unwrap();
    assert_eq!(
        s.throttle("pwd:x").await.unwrap().failures,
        0,
        "never below zero"
    );
    s.throttle_release("pwd:none").await.unwrap();
    assert!(take(&s, "pwd:x", back, 9, 8).await.is_ok());
    s.throttle_reset("pwd:x").await.unwrap();
    assert_eq!(s.throttle("pwd:x").await.unwrap(), zero);

    // Several at once: all or none, and the releases only with them.
    assert!(take(&s, "otp:z", zero, 1, 20).await.unwrap());
    let both = |ip_seen, failures| {
        [
            ThrottleTake {
                key: "ip:a",
                seen: zero,
                failures: 1,
            },
            ThrottleTake {
                key: "pwd:z",
                seen: ip_seen,
                failures,
            },
        ]
    };
    let stale = Throttle {
        failures: 3,
        last_failure_at: 1,
    };
    assert!(
        !s.throttle_take(&both(stale, 4), &["otp:z"], 21)
            .await
            .unwrap()
    );
    assert_eq!(
        s.throttle("ip:a").await.unwrap(),
        zero,
        "nothing of a lost round"
    );
    assert_eq!(s.throttle("otp:z").await.unwrap().failures, 1);
    assert!(
        s.throttle_take(&both(zero, 1), &["otp:z"], 22)
            .await
            .unwrap()
    );
    assert_eq!(s.throttle("ip:a").await.unwrap().failures, 1);
    assert_eq!(s.throttle("pwd:z").await.unwrap().failures, 1);
    assert_eq!(s.throttle("otp:z").await.unwrap().failures, 0);
}

#[tokio::test]
async fn concurrent_takes_of_one_count_let_exactly_one_through() {
    let (s, _d) = store().await;
    let s = std::sync::Arc::new(s);
    let seen = Throttle::default();
    let mut handles = Vec::new();
    for i in 0..16 {
        let s = s.clone();
        handles.push(tokio::spawn(async move {
            take(&s, "pwd:race", seen, 1, 100 + i).await.unwrap()
        }));
    }
    let mut wins = 0;
    for h in handles {
        wins += usize::from(h.await.unwrap());
    }
    assert_eq!(wins, 1);
    assert_eq!(s.throttle("pwd:race").await.unwrap().failures, 1);
}

#[tokio::test]
async fn sessions_start_touch_replace_end() {
    let (s, _d) = store().await;
    let ev = event("login.success", Some("a1"), None, json!({}));
    s.create_account(
        &account("a1", "2000000000004", AccountStatus::Active),
        None,
        None,
        &ev,
        1,
    )
    .await
    .unwrap();
    assert!(
        take(&s, "pwd:2000000000004", Throttle::default(), 1, 1)
            .await
            .unwrap()
    );
    let mut sess = Session {
        id_hash: "s1".into(),
        account_id: "a1".into(),
        level: Level::Low,
        amr: vec![Amr::Pwd],
        auth_time: 10,
        created_at: 10,
        last_seen_at: 10,
        idle_expires_at: 100,
        expires_at: 1000,
        chain: "s1".into(),
        user_agent: "Firefox".into(),
        ip: "192.0.2.1".into(),
        organization: None,
    };
    s.session_start(
        &sess,
        None,
        Settle::resets(&["pwd:2000000000004".to_string()]),
        &ev,
        10,
    )
    .await
    .unwrap();
    assert_eq!(s.throttle("pwd:2000000000004").await.unwrap().failures, 0);
    let got = s.session("s1").await.unwrap().unwrap();
    assert_eq!((got.level, got.amr.clone()), (Level::Low, vec![Amr::Pwd]));
    s.session_touch("s1", 50, 150).await.unwrap();
    assert_eq!(s.session("s1").await.unwrap().unwrap().idle_expires_at, 150);
    // step-up replaces s1 by s2
    sess.id_hash = "s2".into();
    sess.level = Level::Substantial;
    sess.amr = vec![Amr::Pwd, Amr::Otp, Amr::Mfa];
    // (An organisation a login's certificate named is kept with its session.)
    sess.organization = Some(npass_core::model::Organization {
        identifier: "NTRMD-1003600012345".into(),
        name: "Întreprinderea Test SRL".into(),
    });
    s.session_start(&sess, Some("s1"), Settle::default(), &ev, 60)
        .await
        .unwrap();
    assert!(s.session("s1").await.unwrap().is_none());
    assert!(got.organization.is_none());
    let s2 = s.session("s2").await.unwrap().unwrap();
    assert_eq!(s2.level, Level::Substantial);
    assert_eq!(s2.organization, sess.organization);
    assert_eq!(
        s2.chain, "s1",
        "a step-up keeps the chain its grants are filed under"
    );
    s.session_end("s2", Some(&ev), 70).await.unwrap();
    assert!(s.session("s2").await.unwrap().is_none());
    sess.id_hash = "s3".into();
    s.session_start(&sess, None, Settle::default(), &ev, 80)
        .await
        .unwrap();
    assert_eq!(s.sessions_end_for_account("a1", 90).await.unwrap(), 1);
}

/// A session of `account` named `id` (its own chain), from `ua`, live until 1000.
fn session_of(id: &str, account: &str, ua: &str, created_at: i64) -> Session {
    Session {
        id_hash: id.into(),
        account_id: account.into(),
        level: Level::Low,
        amr: vec![Amr::Pwd],
        auth_time: created_at,
        created_at,
        last_seen_at: created_at,
        idle_expires_at: 500,
        expires_at: 1000,
        chain: id.into(),
        user_agent: ua.into(),
        ip: "192.0.2.7".into(),
        organization: None,
    }
}

#[tokio::test]
async fn a_citizens_sessions_are_listed_and_ended_one_by_one_or_all_but_one() {
    let (s, _d) = store().await;
    let ev = event("login.success", Some("a1"), None, json!({}));
    for (id, acc, ua, at) in [
        ("s1", "a1", "Chrome", 10),
        ("s2", "a1", "Firefox", 20),
        ("s3", "a1", "Safari", 30),
        ("t1", "b1", "Edge", 15),
    ] {
        s.session_start(
            &session_of(id, acc, ua, at),
            None,
            Settle::default(),
            &ev,
            at,
        )
        .await
        .unwrap();
    }
    let listed = s.sessions_for_account("a1", 40).await.unwrap();
    let ids: Vec<&str> = listed.iter().map(|x| x.id_hash.as_str()).collect();
    assert_eq!(ids, ["s3", "s2", "s1"], "newest first, only the account's");
    assert_eq!(
        (listed[1].user_agent.as_str(), listed[1].ip.as_str()),
        ("Firefox", "192.0.2.7")
    );
    // Idle or expired sessions are not listed.
    assert!(s.sessions_for_account("a1", 600).await.unwrap().is_empty());

    // One session ends only for its own account.
    let end = event("session.ended-by-citizen", Some("b1"), None, json!({}));
    assert_eq!(
        s.session_end_of_account("b1", "s2", &end, 41)
            .await
            .unwrap(),
        None
    );
    assert!(s.session("s2").await.unwrap().is_some());
    let audited = s.audit_range(0, 100).await.unwrap().len();
    assert_eq!(
        s.session_end_of_account("a1", "s2", &end, 42)
            .await
            .unwrap(),
        Some("s2".to_string())
    );
    assert!(s.session("s2").await.unwrap().is_none());
    assert_eq!(s.audit_range(0, 100).await.unwrap().len(), audited + 1);

    // A new password ends every other session of the account, not the one that set it nor
    // another account's.
    s.create_account(
        &account("a1", "2000000000004", AccountStatus::Active),
        None,
        None,
        &ev,
        1,
    )
    .await
    .unwrap();
    s.set_password("a1", "$argon2id$new", "s3", &ev, None, 50)
        .await
        .unwrap();
    assert!(s.session("s1").await.unwrap().is_none());
    assert!(s.session("s3").await.unwrap().is_some());
    assert!(s.session("t1").await.unwrap().is_some());
}

#[tokio::test]
async fn reset_links_work_once_before_they_expire_and_end_every_session() {
    let (s, _d) = store().await;
    let ev = event("password.reset-requested", Some("a1"), None, json!({}));
    s.create_account(
        &account("a1", "2000000000004", AccountStatus::Active),
        None,
        None,
        &ev,
        1,
    )
    .await
    .unwrap();
    s.create_account(
        &account("b1", "1008600038413", AccountStatus::Active),
        None,
        None,
        &ev,
        1,
    )
    .await
    .unwrap();
    for (id, acc) in [("s1", "a1"), ("s2", "a1"), ("t1", "b1")] {
        s.session_start(&session_of(id, acc, "", 5), None, Settle::default(), &ev, 5)
            .await
            .unwrap();
    }
    s.reset_token_put("a1", "r1", 100, &ev, &mail("m1"), 10)
        .await
        .unwrap();
    s.reset_token_put("a1", "r2", 100, &ev, &mail("m2"), 11)
        .await
        .unwrap();
    s.reset_token_put("b1", "rb", 100, &ev, &mail("m3"), 12)
        .await
        .unwrap();
    assert_eq!(
        s.reset_token("r1", 50).await.unwrap().as_deref(),
        Some("a1")
    );
    assert_eq!(s.reset_token("r1", 100).await.unwrap(), None, "expired");
    assert_eq!(s.reset_token("nope", 50).await.unwrap(), None);
    let done = event("password.reset", Some("a1"), None, json!({}));
    // Another account's link, or an expired one, changes nothing.
    assert!(
        !s.password_reset("rb", "a1", "$argon2id$evil", &done, &mail("m4"), 50)
            .await
            .unwrap()
    );
    assert!(
        !s.password_reset("r1", "a1", "$argon2id$late", &done, &mail("m5"), 100)
            .await
            .unwrap()
    );
    assert_eq!(
        s.account_by_id("a1")
            .await
            .unwrap()
            .unwrap()
            .password_hash
            .as_deref(),
        Some("$argon2id$x")
    );
    assert!(
        s.password_reset("r1", "a1", "$argon2id$new", &done, &mail("m6"), 50)
            .await
            .unwrap()
    );
    assert_eq!(
        s.account_by_id("a1")
            .await
            .unwrap()
            .unwrap()
            .password_hash
            .as_deref(),
        Some("$argon2id$new")
    );
    // Spent, with every other link of the account; every session of the account ended.
    assert!(
        !s.password_reset("r1", "a1", "$argon2id$again", &done, &mail("m7"), 51)
            .await
            .unwrap()
    );
    assert_eq!(s.reset_token("r2", 51).await.unwrap(), None);
    assert_eq!(
        s.reset_token("rb", 51).await.unwrap().as_deref(),
        Some("b1")
    );
    assert!(s.session("s1").await.unwrap().is_none());
    assert!(s.session("s2").await.unwrap().is_none());
    assert!(s.session("t1").await.unwrap().is_some());
    // The "changed" email was queued with it (and the links' emails before).
    let mut sent = Vec::new();
    while let Some(m) = s.mail_claim(60, 1000).await.unwrap() {
        sent.push(m.id.clone());
        s.mail_done(&m.id).await.unwrap();
    }
    sent.sort();
    assert_eq!(sent, ["m1", "m2", "m3", "m6"]);
}

#[tokio::test]
async fn unconfirmed_registrations_are_resent_replaced_or_purged() {
    let (s, _d) = store().await;
    let ev = event("account.register", None, None, json!({}));
    let pending = account("a1", "2000000000004", AccountStatus::Pending);
    s.create_account(&pending, Some(("first", 100)), None, &ev, 1)
        .await
        .unwrap();
    s.email_token_add("a1", "again", 200, &ev, &mail("m1"), 50)
        .await
        .unwrap();
    let mut other = pending.profile.clone();
    other.given_name = "Ana".into();
    other.email = "ana@example.md".into();
    s.registration_replace(
        "a1",
        "repl",
        &other,
        "$argon2id$ana",
        200,
        &ev,
        &mail("m2"),
        60,
    )
    .await
    .unwrap();
    // The replacement's link confirms it: its profile and password, and no other link works.
    let confirm = event("account.email-confirmed", None, None, json!({}));
    assert_eq!(s.confirm_email("repl", &confirm, 70).await.unwrap(), "a1");
    let a = s.account_by_id("a1").await.unwrap().unwrap();
    assert_eq!(a.status, AccountStatus::Active);
    assert_eq!(
        (a.profile.given_name.as_str(), a.profile.email.as_str()),
        ("Ana", "ana@example.md")
    );
    assert_eq!(a.password_hash.as_deref(), Some("$argon2id$ana"));
    for t in ["first", "again", "repl"] {
        assert_eq!(
            s.confirm_email(t, &confirm, 71).await.unwrap_err(),
            npass_core::Error::NotFound,
            "{t}"
        );
    }

    // Confirmed first by its own link, the account keeps its data; the replacement is void.
    let b = account("b1", "1008600038413", AccountStatus::Pending);
    s.create_account(&b, Some(("b-first", 300)), None, &ev, 100)
        .await
        .unwrap();
    s.registration_replace(
        "b1",
        "b-repl",
        &other,
        "$argon2id$ana",
        300,
        &ev,
        &mail("m3"),
        110,
    )
    .await
    .unwrap();
    assert_eq!(
        s.confirm_email("b-first", &confirm, 120).await.unwrap(),
        "b1"
    );
    assert_eq!(
        s.confirm_email("b-repl", &confirm, 121).await.unwrap_err(),
        npass_core::Error::NotFound
    );
    assert_eq!(
        s.account_by_id("b1")
            .await
            .unwrap()
            .unwrap()
            .profile
            .given_name,
        "Ion"
    );

    // Pending accounts older than the cutoff go with their links; the others stay.
    let c = account("c1", "2002003004007", AccountStatus::Pending);
    s.create_account(&c, Some(("c-tok", 10_000)), None, &ev, 1)
        .await
        .unwrap();
    let mut d = account("d1", "2003004005008", AccountStatus::Pending);
    d.created_at = 500;
    s.create_account(&d, None, None, &ev, 500).await.unwrap();
    assert_eq!(s.purge_unconfirmed(400).await.unwrap(), 1);
    assert!(s.account_by_id("c1").await.unwrap().is_none());
    assert!(s.account_by_id("d1").await.unwrap().is_some());
    assert!(
        s.account_by_id("b1").await.unwrap().is_some(),
        "active stays"
    );
    assert_eq!(
        s.confirm_email("c-tok", &confirm, 600).await.unwrap_err(),
        npass_core::Error::NotFound
    );
    // The identifier is free again.
    let again = account("c2", "2002003004007", AccountStatus::Pending);
    s.create_account(&again, None, None, &ev, 700)
        .await
        .unwrap();
}

/// A session that spends Authenticator step `step` and resets `resets`.
fn spending(step: i64, resets: &[String]) -> Settle<'_> {
    Settle {
        totp_step: Some(step),
        ..Settle::resets(resets)
    }
}

/// Logins racing with one Authenticator code: the session that spends the step starts, the
/// others write nothing (no session, no audit row, no throttle reset).
#[tokio::test]
async fn a_session_spending_a_code_starts_once() {
    let (s, _d) = store().await;
    let ev = event("login.success", Some("a1"), None, json!({}));
    two_step_account(&s, &ev, 40).await;
    assert!(
        take(&s, "otp:2000000000004", Throttle::default(), 1, 3)
            .await
            .unwrap()
    );
    let audited = s.audit_range(0, 1000).await.unwrap().len();
    let mut handles = Vec::new();
    for i in 0..8 {
        let s = s.clone();
        let ev = ev.clone();
        handles.push(tokio::spawn(async move {
            let sess = Session {
                id_hash: format!("s{i}"),
                account_id: "a1".into(),
                level: Level::Substantial,
                amr: vec![Amr::Pwd, Amr::Otp, Amr::Mfa],
                auth_time: 10,
                created_at: 10,
                last_seen_at: 10,
                idle_expires_at: 100,
                expires_at: 1000,
                chain: format!("s{i}"),
                user_agent: String::new(),
                ip: String::new(),
                organization: None,
            };
            let resets = ["otp:2000000000004".to_string()];
            let started = s
                .session_start(&sess, None, spending(50, &resets), &ev, 10)
                .await
                .unwrap();
            (i, started)
        }));
    }
    let mut won = Vec::new();
    for h in handles {
        let (i, started) = h.await.unwrap();
        assert_eq!(
            s.session(&format!("s{i}")).await.unwrap().is_some(),
            started
        );
        if started {
            won.push(i);
        }
    }
    assert_eq!(won.len(), 1, "{won:?}");
    assert_eq!(s.audit_range(0, 1000).await.unwrap().len(), audited + 1);
    assert_eq!(s.throttle("otp:2000000000004").await.unwrap().failures, 0);
    assert_eq!(s.totp("a1").await.unwrap().unwrap().last_step, 50);
    // An older step than the one spent starts nothing and leaves the counter as it is.
    assert!(
        take(&s, "otp:2000000000004", Throttle::default(), 1, 11)
            .await
            .unwrap()
    );
    let mut late = s.session(&format!("s{}", won[0])).await.unwrap().unwrap();
    late.id_hash = "late".into();
    let resets = ["otp:2000000000004".to_string()];
    assert!(
        !s.session_start(&late, None, spending(49, &resets), &ev, 12)
            .await
            .unwrap()
    );
    assert!(s.session("late").await.unwrap().is_none());
    assert_eq!(s.throttle("otp:2000000000004").await.unwrap().failures, 1);
}

#[tokio::test]
async fn audit_chain_holds_and_lists_per_account() {
    let (s, _d) = store().await;
    for i in 0..5 {
        let kind = if i % 2 == 0 {
            "login.success"
        } else {
            "two-step.activated"
        };
        s.audit_append(
            &event(kind, Some("a1"), Some("10.0.0.1"), json!({"i": i})),
            None,
            100 + i,
        )
        .await
        .unwrap();
    }
    s.audit_append(
        &event("login.failure", Some("b1"), None, json!({})),
        None,
        200,
    )
    .await
    .unwrap();
    let all = s.audit_range(0, 100).await.unwrap();
    assert_eq!(all.len(), 6);
    assert_eq!(verify_chain(&all), Ok(()));
    let mut tampered = all.clone();
    tampered[2].event.detail = json!({"i": 99});
    assert_eq!(verify_chain(&tampered), Err(3));
    let logins = s.audit_for_account("a1", &["login."], 10).await.unwrap();
    assert_eq!(logins.len(), 3);
    assert!(logins[0].seq > logins[1].seq, "newest first");
    assert_eq!(s.audit_range(4, 100).await.unwrap().len(), 2);
}

/// A refresh is in the chain with its account, but not in the citizen's history (design note
/// 0007): twenty-five of them after a login leave the login in sight.
#[tokio::test]
async fn refreshes_are_audited_but_not_history() {
    let (s, _d) = store().await;
    let issued = event(
        "oidc.tokens-issued",
        Some("a1"),
        None,
        json!({"grant": "g1"}),
    );
    s.audit_append(&issued, None, 100).await.unwrap();
    let refreshed = event(
        npass_core::audit::TOKENS_REFRESHED,
        Some("a1"),
        None,
        json!({"grant": "g1"}),
    );
    for i in 0..25 {
        s.audit_append(&refreshed, None, 200 + i).await.unwrap();
    }
    let history = s.audit_for_account("a1", &["oidc."], 20).await.unwrap();
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!(history[0].event.kind, "oidc.tokens-issued");
    let all = s.audit_range(0, 100).await.unwrap();
    assert_eq!(all.len(), 26);
    assert_eq!(verify_chain(&all), Ok(()));
    let kept = all
        .iter()
        .filter(|r| {
            r.event.kind == npass_core::audit::TOKENS_REFRESHED
                && r.event.account_id.as_deref() == Some("a1")
        })
        .count();
    assert_eq!(kept, 25, "every refresh is recorded with its account");
}

#[tokio::test]
async fn mail_outbox_claims_each_mail_once() {
    let (s, _d) = store().await;
    let ev = event("x", None, None, json!({}));
    s.audit_append(&ev, Some(&mail("m1")), 10).await.unwrap();
    s.audit_append(&ev, Some(&mail("m2")), 11).await.unwrap();
    let first = s.mail_claim(20, 1000).await.unwrap().unwrap();
    assert_eq!(first, mail("m1"));
    let second = s.mail_claim(20, 1000).await.unwrap().unwrap();
    assert_eq!(second.id, "m2");
    assert!(
        s.mail_claim(20, 1000).await.unwrap().is_none(),
        "both leased"
    );
    s.mail_done("m1").await.unwrap();
    s.mail_retry("m2", 5000).await.unwrap();
    assert!(
        s.mail_claim(4999, 1000).await.unwrap().is_none(),
        "not due yet"
    );
    assert_eq!(s.mail_claim(5000, 1000).await.unwrap().unwrap().id, "m2");
    // an expired lease makes it claimable again (the sending node died)
    assert_eq!(s.mail_claim(6001, 1000).await.unwrap().unwrap().id, "m2");
    s.ping(1).await.unwrap();
    s.ping(2).await.unwrap();
}

/// An operation that fails after it wrote, with nobody else in its write batch, leaves nothing
/// of itself, and the next operations commit as usual.
#[tokio::test]
async fn a_failing_operation_alone_leaves_nothing() {
    let (s, _d) = store().await;
    let ev = event("account.register", None, None, json!({}));
    let pending = |id: &str, nid: &str| account(id, nid, AccountStatus::Pending);
    s.create_account(&pending("a1", "N1"), Some(("tok", 1_000)), None, &ev, 1)
        .await
        .unwrap();
    // The account row is written, then the email token collides.
    assert!(
        s.create_account(&pending("a2", "N2"), Some(("tok", 1_000)), None, &ev, 2)
            .await
            .is_err()
    );
    assert!(s.account_by_id("a2").await.unwrap().is_none());
    assert!(s.account_by_national_id("N2").await.unwrap().is_none());
    s.create_account(&pending("a3", "N2"), Some(("tok3", 1_000)), None, &ev, 3)
        .await
        .unwrap();
    assert!(s.account_by_id("a3").await.unwrap().is_some());
    let all = s.audit_range(0, 100).await.unwrap();
    assert_eq!(all.len(), 2, "no audit row of the failed operation");
    assert_eq!(verify_chain(&all), Ok(()));
}

/// Many operations at once (SQLite groups them into one commit): each succeeds or fails on its
/// own, a failed one leaves nothing behind, and the audit chain stays whole.
#[tokio::test]
async fn concurrent_operations_each_commit_or_fail_alone() {
    let (s, _d) = store().await;
    let ev = event("account.register", None, None, json!({}));
    s.create_account(
        &account("first", "N0", AccountStatus::Pending),
        None,
        None,
        &ev,
        1,
    )
    .await
    .unwrap();
    let mut tasks = Vec::new();
    for i in 0..40 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            // Every fifth one reuses a national ID taken already: it must fail alone.
            let nid = if i % 5 == 0 {
                "N0".to_string()
            } else {
                format!("N{i}")
            };
            let a = account(&format!("acc{i}"), &nid, AccountStatus::Pending);
            let ev = event("account.register", Some(&a.id), None, json!({ "i": i }));
            let tok = format!("tok{i}");
            let m = mail(&format!("mail{i}"));
            s.create_account(&a, Some((&tok, 1_000)), Some(&m), &ev, 2)
                .await
        }));
    }
    for (i, t) in tasks.into_iter().enumerate() {
        let r = t.await.unwrap();
        let stored = s.account_by_id(&format!("acc{i}")).await.unwrap();
        if i % 5 == 0 {
            assert_eq!(
                r.unwrap_err(),
                npass_core::Error::Conflict("account-exists")
            );
            assert!(stored.is_none(), "a failed operation left its account");
        } else {
            r.unwrap();
            assert_eq!(stored.unwrap().national_id.value, format!("N{i}"));
            // Its email token committed with it.
            let ev = event("account.email-confirmed", None, None, json!({}));
            assert_eq!(
                s.confirm_email(&format!("tok{i}"), &ev, 3).await.unwrap(),
                format!("acc{i}")
            );
        }
    }
    let all = s.audit_range(0, 1000).await.unwrap();
    // The first account, 32 registrations and 32 confirmations; nothing of the 8 failures.
    assert_eq!(all.len(), 1 + 32 + 32);
    assert_eq!(verify_chain(&all), Ok(()));
    let mut mails = 0;
    while s.mail_claim(100, 60_000).await.unwrap().is_some() {
        mails += 1;
    }
    assert_eq!(mails, 32, "one email per successful registration");
}

#[test]
fn migration_trees_match() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let names = |sub: &str| {
        let mut v: Vec<String> = std::fs::read_dir(dir.join(sub))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names("sqlite"), names("postgres"));
    let embedded: Vec<String> = npass_store::MIGRATIONS
        .iter()
        .map(|m| m.1.to_string())
        .collect();
    assert_eq!(
        names("sqlite"),
        embedded,
        "every migration file is embedded"
    );
    for (_, name, sqlite, postgres) in npass_store::MIGRATIONS {
        assert_eq!(
            schema_of(sqlite),
            schema_of(postgres),
            "{name} makes the same schema on both databases"
        );
    }
}

/// A migration's statements with comments gone and the databases' names for one column type
/// made one (SQLite's `INTEGER`/`BLOB` are PostgreSQL's `BIGINT`/`BYTEA`). A line that must
/// differ follows a `-- dialect:` comment in both trees and is left out.
fn schema_of(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut skip = false;
    for line in sql.lines() {
        let line = line.trim();
        if line.starts_with("-- dialect:") {
            skip = true;
            out.push("<dialect>".to_owned());
            continue;
        }
        if std::mem::take(&mut skip) || line.starts_with("--") || line.is_empty() {
            continue;
        }
        let words: Vec<String> = line
            .split_whitespace()
            .map(|w| {
                let cut = w.trim_end_matches([',', ';', ')']).len();
                let (word, comma) = w.split_at(cut);
                let word = match word {
                    "INTEGER" => "BIGINT",
                    "BLOB" => "BYTEA",
                    other => other,
                };
                format!("{word}{comma}")
            })
            .collect();
        out.push(words.join(" "));
    }
    out
}

/// Cross-device challenges: put, read, settled once before expiry, taken once by their
/// browser, swept after expiry.
#[tokio::test]
async fn challenges() {
    let (s, _d) = store().await;
    let c = |id: &str, expires_at| Challenge {
        id: id.into(),
        kind: ChallengeKind::Esign,
        nonce_hash: "n".into(),
        browser_hash: "b".into(),
        login: "l".into(),
        expires_at,
        state: ChallengeState::Waiting {
            shown: "sealed".into(),
        },
        settled_at: None,
    };
    s.challenge_put(&c("c1", 100)).await.unwrap();
    s.challenge_put(&c("c2", 100)).await.unwrap();
    s.challenge_put(&c("old", 10)).await.unwrap();
    assert_eq!(s.challenge("c1").await.unwrap(), Some(c("c1", 100)));
    let ev = event("esign.verified", None, None, json!({}));
    let verified = ChallengeState::Verified {
        outcome: "{}".into(),
    };
    let refused = ChallengeState::Refused {
        reason: "revoked".into(),
    };
    // Not taken while waiting; settled once, and never after expiry; never settled as taken.
    assert_eq!(s.challenge_take("c1", "b").await.unwrap(), None);
    assert!(s.challenge_settle("c1", &verified, &ev, 50).await.unwrap());
    assert!(!s.challenge_settle("c1", &refused, &ev, 51).await.unwrap());
    assert!(!s.challenge_settle("c2", &verified, &ev, 100).await.unwrap());
    let taken = ChallengeState::Taken {
        outcome: "{}".into(),
    };
    assert!(s.challenge_settle("c2", &taken, &ev, 60).await.is_err());
    let got = s.challenge("c1").await.unwrap().unwrap();
    assert_eq!((got.state, got.settled_at), (verified, Some(50)));
    // Taken once, and only by its browser.
    assert_eq!(s.challenge_take("c1", "other").await.unwrap(), None);
    let got = s.challenge_take("c1", "b").await.unwrap().unwrap();
    assert_eq!((got.state, got.login.as_str()), (taken, "l"));
    assert_eq!(s.challenge_take("c1", "b").await.unwrap(), None);
    assert_eq!(s.challenges_sweep(50).await.unwrap(), 1);
    assert!(s.challenge("old").await.unwrap().is_none());
    assert!(s.challenge("c2").await.unwrap().is_some());
    // One audit row, for the one settlement that happened.
    assert_eq!(s.audit_range(0, 10).await.unwrap().len(), 1);
}

/// Stored login transactions: kept with their factors and settlement, spent once by the
/// session they become (a second session from the same one, or from an expired one, starts
/// nothing and writes nothing), swept after expiry.
#[tokio::test]
async fn stored_login_transactions() {
    use npass_core::login::{Factor, Settlement};
    let (s, _d) = store().await;
    let l = |key: &str, expires_at| StoredLogin {
        key: key.into(),
        browser_hash: "b".into(),
        account_id: Some("a1".into()),
        factors: vec![Factor::Password, Factor::Certificate { hardware: true }],
        settle: Settlement {
            resets: vec!["pwd:x".into()],
            ..Default::default()
        },
        expires_at,
    };
    s.login_put(&l("l1", 100)).await.unwrap();
    s.login_put(&l("l2", 20)).await.unwrap();
    s.login_put(&l("gone", 5)).await.unwrap();
    assert_eq!(s.login("l1").await.unwrap(), Some(l("l1", 100)));
    assert_eq!(s.login("nope").await.unwrap(), None);
    let ev = event("login.success", Some("a1"), None, json!({}));
    let sess = |id: &str| Session {
        id_hash: id.into(),
        account_id: "a1".into(),
        level: Level::High,
        amr: vec![Amr::Sc, Amr::Hwk],
        auth_time: 10,
        created_at: 10,
        last_seen_at: 10,
        idle_expires_at: 100,
        expires_at: 1000,
        chain: id.into(),
        user_agent: String::new(),
        ip: String::new(),
        organization: None,
    };
    let from = |key| Settle {
        login: Some(key),
        ..Settle::default()
    };
    let audited = s.audit_range(0, 100).await.unwrap().len();
    assert!(
        s.session_start(&sess("s1"), None, from("l1"), &ev, 10)
            .await
            .unwrap()
    );
    assert!(
        !s.session_start(&sess("s2"), None, from("l1"), &ev, 11)
            .await
            .unwrap()
    );
    assert!(
        !s.session_start(&sess("s3"), None, from("l2"), &ev, 30)
            .await
            .unwrap()
    );
    assert!(s.login("l1").await.unwrap().is_none());
    assert!(s.session("s2").await.unwrap().is_none());
    assert!(s.session("s3").await.unwrap().is_none());
    assert_eq!(s.audit_range(0, 100).await.unwrap().len(), audited + 1);
    assert_eq!(s.challenges_sweep(10).await.unwrap(), 1);
    assert!(s.login("gone").await.unwrap().is_none());
    assert!(s.login("l2").await.unwrap().is_some());
}

mod oidc {
    use super::*;
    use npass_core::oidc::jwt::SigningKey;
    use npass_core::oidc::*;
    use npass_core::relying::{ClientAuth, EService, OidcClient, Protocol, SigningAlg};

    fn es(id: &str) -> EService {
        EService {
            client_id: id.into(),
            name: "Tax portal".into(),
            min_level: Level::Substantial,
            scopes: vec!["openid".into()],
            national_id_claim: false,
            picture_claim: false,
            pairwise_sector: String::new(),
            disabled: false,
            created_at: 1,
            contexts: Default::default(),
            protocol: Protocol::Oidc(OidcClient {
                secret_hash: Some("h".into()),
                auth: ClientAuth::ClientSecretBasic,
                redirect_uris: vec!["https://tax.example.md/cb".into()],
                post_logout_redirect_uris: vec![],
                backchannel_logout_uri: String::new(),
                require_par: false,
                jwks: None,
                jwks_uri: String::new(),
                id_token_alg: SigningAlg::Rs256,
            }),
        }
    }

    /// A parked authorisation request of client c1, valid until 100.
    fn parked(id: &str) -> AuthRequest {
        AuthRequest {
            id: id.into(),
            client_id: "c1".into(),
            redirect_uri: "https://tax.example.md/cb".into(),
            scope: vec!["openid".into()],
            state: "s".into(),
            nonce: String::new(),
            code_challenge: "x".repeat(43),
            min_level: Level::Low,
            max_age: None,
            prompt: Prompt::default(),
            ui_locales: String::new(),
            hint_sub: None,
            created_at: 1,
            expires_at: 100,
            acting: None,
            chosen_by: None,
            contexts: Default::default(),
        }
    }

    /// A code of client c1 for account a1 (session s1), valid until 100.
    fn auth_code(hash: &str) -> AuthCode {
        AuthCode {
            code_hash: hash.into(),
            client_id: "c1".into(),
            redirect_uri: "https://tax.example.md/cb".into(),
            account_id: "a1".into(),
            scope: vec!["openid".into()],
            nonce: String::new(),
            code_challenge: "x".repeat(43),
            auth_time: 1,
            level: Level::Low,
            amr: vec![Amr::Pwd],
            expires_at: 100,
            session_hash: "s1".into(),
            acting: None,
        }
    }

    /// Starts grant `g` as a login does: a parked request, its code (named `g.id`), redeemed.
    async fn start_grant(
        s: &SqlStore,
        g: &GrantRecord,
        first: &RefreshRecord,
        ev: &npass_core::model::AuditEvent,
        now: i64,
    ) {
        let request = parked(&format!("q-{}", g.id));
        s.auth_request_put(&request).await.unwrap();
        s.code_put(
            &auth_code(&g.id),
            &request.id,
            None,
            std::slice::from_ref(ev),
            now,
        )
        .await
        .unwrap();
        assert!(s.grant_put(g, first, ev, now).await.unwrap());
    }

    fn grant(id: &str, session: &str) -> GrantRecord {
        GrantRecord {
            id: id.into(),
            client_id: "c1".into(),
            account_id: "a1".into(),
            session_hash: session.into(),
            expires_at: 9000,
        }
    }

    fn refresh(hash: &str, family: &str, session: &str) -> RefreshRecord {
        RefreshRecord {
            token_hash: hash.into(),
            family: family.into(),
            client_id: "c1".into(),
            account_id: "a1".into(),
            session_hash: session.into(),
            scope: vec!["openid".into()],
            auth_time: 1,
            level: Level::Low,
            amr: vec![Amr::Pwd],
            nonce: String::new(),
            idle_expires_at: 5000,
            expires_at: 9000,
            acting: None,
        }
    }

    #[tokio::test]
    async fn eservices_keys_requests_and_consents() {
        let (s, _d) = store().await;
        let ev = event("admin.eservice-added", None, None, json!({}));
        s.eservice_create(&es("c1"), &ev, 1).await.unwrap();
        assert!(matches!(
            s.eservice_create(&es("c1"), &ev, 1).await,
            Err(npass_core::Error::Conflict(_))
        ));
        assert_eq!(s.eservice("c1").await.unwrap(), Some(es("c1")));
        let mut changed = es("c1");
        changed.disabled = true;
        s.eservice_update(&changed, &ev, 2).await.unwrap();
        assert!(s.eservice("c1").await.unwrap().unwrap().disabled);
        assert_eq!(
            s.eservice_update(&es("zz"), &ev, 2).await.unwrap_err(),
            npass_core::Error::NotFound
        );
        s.eservice_create(&es("c2"), &ev, 3).await.unwrap();
        assert_eq!(s.eservices().await.unwrap().len(), 2);

        let key = SigningKey {
            kid: "k1".into(),
            alg: npass_core::relying::SigningAlg::Es256,
            sealed_private: vec![1, 2, 3],
            public_jwk: json!({"kty": "EC", "kid": "k1"}),
            created_at: 5,
            retire_at: None,
            certificate: Some(vec![0x30, 0x00]),
        };
        s.signing_key_add(&key, &ev, 5).await.unwrap();
        let keys = s.signing_keys().await.unwrap();
        assert_eq!(
            (keys[0].kid.as_str(), keys[0].sealed_private.as_slice()),
            ("k1", &[1u8, 2, 3][..])
        );
        assert_eq!(keys[0].public_jwk, key.public_jwk);
        assert_eq!(keys[0].certificate, key.certificate);
        // A key without a certificate (made before schema 11) gets one, once.
        let old = SigningKey {
            kid: "k0".into(),
            certificate: None,
            ..key.clone()
        };
        s.signing_key_add(&old, &ev, 5).await.unwrap();
        assert!(s.signing_key_certify("k0", &[0x30, 0x01]).await.unwrap());
        assert!(!s.signing_key_certify("k0", &[0x30, 0x02]).await.unwrap());
        assert!(!s.signing_key_certify("k1", &[0x30, 0x02]).await.unwrap());
        let keys = s.signing_keys().await.unwrap();
        let cert = |kid: &str| {
            keys.iter()
                .find(|k| k.kid == kid)
                .and_then(|k| k.certificate.clone())
        };
        assert_eq!(cert("k0"), Some(vec![0x30, 0x01]));
        assert_eq!(cert("k1"), Some(vec![0x30, 0x00]));

        let req = AuthRequest {
            id: "r1".into(),
            client_id: "c1".into(),
            redirect_uri: "https://tax.example.md/cb".into(),
            scope: vec!["openid".into()],
            state: "s".into(),
            nonce: "n".into(),
            code_challenge: "x".repeat(43),
            min_level: Level::Low,
            max_age: Some(60),
            prompt: Prompt::default(),
            ui_locales: String::new(),
            hint_sub: None,
            created_at: 1,
            expires_at: 100,
            acting: None,
            chosen_by: None,
            contexts: Default::default(),
        };
        s.auth_request_put(&req).await.unwrap();
        assert_eq!(s.auth_request("r1").await.unwrap(), Some(req));
        s.auth_request_delete("r1").await.unwrap();
        assert_eq!(s.auth_request("r1").await.unwrap(), None);

        assert_eq!(s.consent("a1", "c1").await.unwrap(), None);
        let scope = vec!["openid".to_string(), "email".to_string()];
        s.consent_put("a1", "c1", &scope, &ev, 6).await.unwrap();
        s.consent_put("a1", "c1", &scope, &ev, 7).await.unwrap();
        assert_eq!(s.consent("a1", "c1").await.unwrap(), Some(scope));
    }

    /// The audit chain stays whole when an operation that appended to it rolls back, and when
    /// another process (the CLI) appends to the same database between this one's appends.
    #[tokio::test]
    async fn the_audit_chain_holds_across_rollbacks_and_other_writers() {
        let dir = tempfile::tempdir().unwrap();
        let url = npass_store::testdb::fresh_url(dir.path()).await.unwrap();
        let s = SqlStore::connect(&url, 2).await.unwrap();
        let other = SqlStore::connect(&url, 2).await.unwrap();
        let ev = event("oidc.authorized", Some("a1"), None, json!({}));
        let consent = event("oidc.consent", Some("a1"), None, json!({}));
        s.auth_request_put(&parked("q1")).await.unwrap();
        s.code_put(
            &auth_code("c1"),
            "q1",
            Some(&consent),
            std::slice::from_ref(&ev),
            1,
        )
        .await
        .unwrap();
        // The consent's audit row is appended, then the code collides: all of it rolls back.
        s.auth_request_put(&parked("q2")).await.unwrap();
        assert!(
            s.code_put(
                &auth_code("c1"),
                "q2",
                Some(&consent),
                std::slice::from_ref(&ev),
                2
            )
            .await
            .is_err()
        );
        assert!(s.auth_request("q2").await.unwrap().is_some(), "rolled back");
        // This process and the other take turns.
        for (writer, client, at) in [
            (&s, "c1", 3),
            (&other, "c2", 4),
            (&s, "c3", 5),
            (&other, "c4", 6),
            (&s, "c5", 7),
        ] {
            writer
                .consent_put("a1", client, &["openid".into()], &consent, at)
                .await
                .unwrap();
        }
        let all = s.audit_range(0, 100).await.unwrap();
        assert_eq!(
            all.iter().map(|r| (r.seq, r.at)).collect::<Vec<_>>(),
            vec![(1, 1), (2, 1), (3, 3), (4, 4), (5, 5), (6, 6), (7, 7)]
        );
        assert_eq!(verify_chain(&all), Ok(()));
    }

    #[tokio::test]
    async fn codes_once_and_a_replay_revokes_the_grant() {
        let (s, _d) = store().await;
        let ev = event("oidc.authorized", Some("a1"), None, json!({}));
        let code = auth_code("ch");
        s.auth_request_put(&parked("q1")).await.unwrap();
        let consent = event("oidc.consent", Some("a1"), None, json!({}));
        s.code_put(&code, "q1", Some(&consent), std::slice::from_ref(&ev), 1)
            .await
            .unwrap();
        assert_eq!(s.auth_request("q1").await.unwrap(), None, "consumed");
        assert_eq!(
            s.consent("a1", "c1").await.unwrap(),
            Some(vec!["openid".to_string()]),
            "the consent is recorded with the code"
        );
        // One request, one code.
        let mut second = code.clone();
        second.code_hash = "ch2".into();
        assert_eq!(
            s.code_put(&second, "q1", None, std::slice::from_ref(&ev), 1)
                .await
                .unwrap_err(),
            npass_core::Error::NotFound
        );
        assert_eq!(s.code_redeem("ch2", 2).await.unwrap(), Redeemed::Unknown);
        assert_eq!(s.code_redeem("nope", 2).await.unwrap(), Redeemed::Unknown);
        assert_eq!(s.code("ch").await.unwrap(), Some(code.clone()));
        assert_eq!(s.code("nope").await.unwrap(), None);
        // Redeeming a code starts its grant; the same code cannot start another.
        assert!(
            s.grant_put(&grant("ch", "s1"), &refresh("r1", "ch", "s1"), &ev, 3)
                .await
                .unwrap()
        );
        assert_eq!(s.code("ch").await.unwrap(), None, "spent");
        assert!(
            !s.grant_put(&grant("ch", "s1"), &refresh("r1b", "ch", "s1"), &ev, 3)
                .await
                .unwrap()
        );
        assert!(
            s.refresh("r1b", 3).await.unwrap().is_none(),
            "nothing written"
        );
        assert!(
            !s.grant_put(&grant("ch2", "s1"), &refresh("r1c", "ch2", "s1"), &ev, 3)
                .await
                .unwrap(),
            "no code, no grant"
        );
        // A code spent by a failed attempt starts nothing.
        s.auth_request_put(&parked("q3")).await.unwrap();
        s.code_put(&auth_code("ch3"), "q3", None, std::slice::from_ref(&ev), 1)
            .await
            .unwrap();
        assert_eq!(
            s.code_redeem("ch3", 2).await.unwrap(),
            Redeemed::Fresh(Box::new(auth_code("ch3")))
        );
        assert!(
            !s.grant_put(&grant("ch3", "s1"), &refresh("r3", "ch3", "s1"), &ev, 3)
                .await
                .unwrap()
        );
        assert_eq!(
            s.access_grant("ch", "j1", 4).await.unwrap(),
            Some(grant("ch", "s1"))
        );
        assert!(
            s.access_grant("ch", "j1", 9000).await.unwrap().is_none(),
            "expired"
        );
        assert!(s.access_grant("other", "j1", 4).await.unwrap().is_none());
        assert_eq!(s.code_redeem("ch", 5).await.unwrap(), Redeemed::Replayed);
        assert!(
            s.access_grant("ch", "j1", 6).await.unwrap().is_none(),
            "revoked by the replay"
        );
        assert!(s.refresh("r1", 6).await.unwrap().is_none());
        assert!(
            !s.refresh_exchange("r1", "r2", 5000, &ev, 6).await.unwrap(),
            "a revoked grant's token cannot be exchanged"
        );
        assert!(s.refresh("r2", 6).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn refresh_rotation_reuse_and_revocations() {
        let (s, _d) = store().await;
        let ev = event("oidc.tokens-issued", Some("a1"), None, json!({}));
        start_grant(&s, &grant("f1", "s1"), &refresh("r1", "f1", "s1"), &ev, 1).await;
        assert_eq!(
            s.refresh("r1", 2).await.unwrap(),
            Some(refresh("r1", "f1", "s1"))
        );
        assert!(s.refresh("r1", 9000).await.unwrap().is_none(), "expired");
        // An exchange spends the old token once and records the new one.
        assert!(s.refresh_exchange("r1", "r2", 5000, &ev, 2).await.unwrap());
        assert!(s.refresh("r1", 2).await.unwrap().is_none(), "spent");
        assert!(
            !s.refresh_exchange("r1", "rx", 5000, &ev, 2).await.unwrap(),
            "spent once only"
        );
        assert!(
            s.refresh("rx", 2).await.unwrap().is_none(),
            "nothing written"
        );
        assert_eq!(
            s.refresh_rotate("r2", 3).await.unwrap(),
            Rotated::Fresh(Box::new(refresh("r2", "f1", "s1")))
        );
        assert_eq!(s.refresh_rotate("nope", 4).await.unwrap(), Rotated::Unknown);
        // A reuse of a spent token revokes the grant, and with it the access tokens.
        start_grant(&s, &grant("f0", "s0"), &refresh("r0", "f0", "s0"), &ev, 3).await;
        assert!(s.refresh_exchange("r0", "r0b", 5000, &ev, 3).await.unwrap());
        assert!(s.access_grant("f0", "j0", 4).await.unwrap().is_some());
        assert_eq!(s.refresh_rotate("r0", 4).await.unwrap(), Rotated::Reused);
        assert!(
            s.refresh("r0b", 4).await.unwrap().is_none(),
            "the family is revoked"
        );
        assert!(s.access_grant("f0", "j0", 4).await.unwrap().is_none());
        assert_eq!(s.refresh_rotate("r0b", 5).await.unwrap(), Rotated::Reused);

        // One access token revoked on its own; the grant and its other tokens stand.
        start_grant(&s, &grant("f2", "s2"), &refresh("r3", "f2", "s2"), &ev, 5).await;
        s.revoke_access_token("j3", 600, &ev, 6).await.unwrap();
        s.revoke_access_token("j3", 600, &ev, 6).await.unwrap();
        assert!(s.access_grant("f2", "j3", 6).await.unwrap().is_none());
        assert!(s.access_grant("f2", "j3b", 6).await.unwrap().is_some());
        assert!(s.refresh("r3", 6).await.unwrap().is_some());
        s.revoke_family("f2", &ev, 7).await.unwrap();
        assert!(s.refresh("r3", 7).await.unwrap().is_none());
        assert!(s.access_grant("f2", "j3b", 7).await.unwrap().is_none());

        // Logout (a session end with its audit row) revokes the session's grants; an expiry
        // (no audit row) leaves them.
        start_grant(&s, &grant("f3", "s3"), &refresh("r4", "f3", "s3"), &ev, 8).await;
        assert_eq!(
            s.session_clients("s3").await.unwrap(),
            vec!["c1".to_string()]
        );
        s.session_end("s3", None, 9).await.unwrap();
        assert!(s.refresh("r4", 9).await.unwrap().is_some());
        s.session_end("s3", Some(&ev), 10).await.unwrap();
        assert!(s.refresh("r4", 10).await.unwrap().is_none());
        assert!(s.access_grant("f3", "j4", 10).await.unwrap().is_none());
        // Locking an account revokes all of its grants.
        start_grant(&s, &grant("f4", "s4"), &refresh("r5", "f4", "s4"), &ev, 11).await;
        s.sessions_end_for_account("a1", 12).await.unwrap();
        assert!(s.refresh("r5", 12).await.unwrap().is_none());
        // Withdrawing a consent revokes that e-service's grants for the account, no others.
        let mut other = grant("f6", "s6");
        other.client_id = "c2".into();
        start_grant(&s, &grant("f5", "s6"), &refresh("r6", "f5", "s6"), &ev, 13).await;
        start_grant(&s, &other, &refresh("r7", "f6", "s6"), &ev, 13).await;
        let mut clients = s.session_clients("s6").await.unwrap();
        clients.sort();
        assert_eq!(clients, vec!["c1".to_string(), "c2".to_string()]);
        s.consent_put("a1", "c1", &["openid".to_string()], &ev, 13)
            .await
            .unwrap();
        s.consent_withdraw("a1", "c1", &ev, 14).await.unwrap();
        assert!(s.refresh("r6", 14).await.unwrap().is_none());
        assert!(s.refresh("r7", 14).await.unwrap().is_some());
    }

    /// Schema 4 moves token revocation to grants (design note 0005): the refresh tokens an
    /// older npass issued keep working, a spent one still counts as a reuse, and revoked ones
    /// stay dead.
    #[tokio::test]
    async fn grants_carry_over_from_schema_3() {
        let dir = tempfile::tempdir().unwrap();
        let url = npass_store::testdb::fresh_url(dir.path()).await.unwrap();
        let row = |hash: &str, family: &str, used: &str, revoked: &str| {
            let rec = serde_json::to_string(&refresh(hash, family, "s1")).unwrap();
            format!(
                "INSERT INTO refresh_tokens (token_hash, family, client_id, account_id, session_hash, \
                 record, expires_at, used_at, revoked_at) VALUES ('{hash}', '{family}', 'c1', 'a1', \
                 's1', '{rec}', 9000, {used}, {revoked});"
            )
        };
        let setup = [
            row("old-spent", "fa", "2", "NULL"),
            row("old-live", "fa", "NULL", "NULL"),
            row("old-revoked", "fb", "NULL", "3"),
        ]
        .concat();
        npass_store::testdb::at_version(&url, 3, &setup)
            .await
            .unwrap();
        let s = SqlStore::connect(&url, 2).await.unwrap();
        assert_eq!(
            s.refresh("old-live", 4).await.unwrap(),
            Some(refresh("old-live", "fa", "s1"))
        );
        assert!(s.refresh("old-revoked", 4).await.unwrap().is_none());
        assert_eq!(
            s.access_grant("fa", "j", 4).await.unwrap(),
            Some(grant("fa", "s1"))
        );
        assert!(s.access_grant("fb", "j", 4).await.unwrap().is_none());
        assert_eq!(
            s.refresh_rotate("old-spent", 5).await.unwrap(),
            Rotated::Reused
        );
        assert!(s.refresh("old-live", 5).await.unwrap().is_none());
    }

    /// Schema 6 keeps a grant's terms once, with the grant (design note 0006): the refresh
    /// tokens of schema 5 keep working with the terms they had, their idle expiry carries over,
    /// and a spent one still counts as a reuse.
    #[tokio::test]
    async fn refresh_tokens_carry_over_from_schema_5() {
        let dir = tempfile::tempdir().unwrap();
        let url = npass_store::testdb::fresh_url(dir.path()).await.unwrap();
        let row = |hash: &str, family: &str, idle: i64, used: &str| {
            let rec = RefreshRecord {
                idle_expires_at: idle,
                scope: vec!["openid".into(), "email".into()],
                level: Level::Substantial,
                amr: vec![Amr::Pwd, Amr::Otp],
                ..refresh(hash, family, "s1")
            };
            let rec = serde_json::to_string(&rec).unwrap();
            format!(
                "INSERT INTO grant_refresh (token_hash, grant_id, record, expires_at, used_at) \
                 VALUES ('{hash}', '{family}', '{rec}', 9000, {used});"
            )
        };
        let grant_row = |id: &str| {
            format!(
                "INSERT INTO grants (id, client_id, account_id, session_hash, expires_at, \
                 revoked_at) VALUES ('{id}', 'c1', 'a1', 's1', 9000, NULL);"
            )
        };
        let setup = [
            grant_row("fa"),
            row("fa-spent", "fa", 4000, "2"),
            row("fa-live", "fa", 4500, "NULL"),
            grant_row("fb"),
            row("fb-live", "fb", 4200, "NULL"),
        ]
        .concat();
        npass_store::testdb::at_version(&url, 5, &setup)
            .await
            .unwrap();
        let s = SqlStore::connect(&url, 2).await.unwrap();
        let live = s.refresh("fa-live", 3).await.unwrap().unwrap();
        assert_eq!(
            (live.scope.len(), live.level, live.amr.len()),
            (2, Level::Substantial, 2)
        );
        assert_eq!((live.idle_expires_at, live.expires_at), (4500, 9000));
        let ev = event("oidc.tokens-issued", Some("a1"), None, json!({}));
        assert!(
            s.refresh_exchange("fb-live", "fb-new", 6000, &ev, 3)
                .await
                .unwrap()
        );
        let next = s.refresh("fb-new", 3).await.unwrap().unwrap();
        assert_eq!(
            (next.family.as_str(), next.level, next.idle_expires_at),
            ("fb", Level::Substantial, 6000),
            "a new token of a carried grant has its terms"
        );
        assert_eq!(
            s.refresh_rotate("fa-spent", 4).await.unwrap(),
            Rotated::Reused
        );
        assert!(s.refresh("fa-live", 4).await.unwrap().is_none());
        assert!(s.refresh("fb-new", 4).await.unwrap().is_some());
    }

    /// The sweep deletes what has expired, walking only the old end of each time-ordered key,
    /// and keeps anything still valid, whatever its key.
    #[tokio::test]
    async fn the_sweep_deletes_expired_requests_codes_and_grants() {
        let (s, _d) = store().await;
        let ev = event("oidc.tokens-issued", Some("a1"), None, json!({}));
        let t = |ms: i64, rest: &str| format!("{}{rest}", npass_core::rng::time_prefix(ms));
        let request = parked(&t(10, "req"));
        s.auth_request_put(&request).await.unwrap();
        let mut spent = request.clone();
        spent.id = t(10, "spent");
        s.auth_request_put(&spent).await.unwrap();
        let code = auth_code(&t(10, "code"));
        s.code_put(&code, &spent.id, None, std::slice::from_ref(&ev), 10)
            .await
            .unwrap();
        let g = GrantRecord {
            id: t(10, "grant"),
            ..grant("x", "s1")
        };
        start_grant(&s, &g, &refresh(&t(10, "rt"), &g.id, "s1"), &ev, 10).await;
        // A key from before time-ordered keys ('-' sorts below every digit), still valid.
        let legacy = GrantRecord {
            id: "-legacy".into(),
            expires_at: 20_000,
            ..grant("x", "s1")
        };
        let legacy_rt = RefreshRecord {
            idle_expires_at: 20_000,
            expires_at: 20_000,
            ..refresh("-legacy-rt", "-legacy", "s1")
        };
        start_grant(&s, &legacy, &legacy_rt, &ev, 10).await;
        s.revoke_access_token("j1", 50, &ev, 10).await.unwrap();
        let cut = npass_core::rng::time_prefix(60);

        assert_eq!(
            s.oidc_sweep(&cut, &cut, 60).await.unwrap(),
            1,
            "the lapsed revocation"
        );
        assert!(s.auth_request(&request.id).await.unwrap().is_some());
        assert_eq!(
            s.oidc_sweep(&cut, &cut, 200).await.unwrap(),
            4,
            "the request and the three codes (two redeemed by their grants)"
        );
        assert!(s.auth_request(&request.id).await.unwrap().is_none());
        assert_eq!(
            s.code_redeem(&code.code_hash, 200).await.unwrap(),
            Redeemed::Unknown
        );
        assert!(
            s.refresh(&t(10, "rt"), 200).await.unwrap().is_some(),
            "grants live on"
        );
        assert_eq!(
            s.oidc_sweep(&cut, &cut, 10_000).await.unwrap(),
            2,
            "grant and its token"
        );
        assert!(s.access_grant(&g.id, "j", 10_000).await.unwrap().is_none());
        assert!(s.refresh("-legacy-rt", 10_000).await.unwrap().is_some());
        assert_eq!(s.oidc_sweep(&cut, &cut, 10_000).await.unwrap(), 0);
    }
}

fn passkey_of(id: &str, account: &str, count: i64) -> PasskeyRecord {
    PasskeyRecord {
        credential_id: id.into(),
        account_id: account.into(),
        name: "phone".into(),
        passkey: format!("{{\"cred\":\"{id}\"}}"),
        aaguid: "00000000-0000-0000-0000-000000000000".into(),
        attested: false,
        backup_eligible: true,
        backed_up: false,
        sign_count: count,
        created_at: 0,
        last_used_at: None,
        device: false,
    }
}

#[tokio::test]
async fn passkeys_are_the_accounts_own_and_their_counters_only_go_up() {
    let (s, _d) = store().await;
    let ev = event("passkey.added", Some("a1"), None, json!({}));
    s.passkey_add(&passkey_of("c1", "a1", 5), &ev, Some(&mail("m1")), 10)
        .await
        .unwrap();
    s.passkey_add(&passkey_of("c2", "a1", 0), &ev, None, 11)
        .await
        .unwrap();
    s.passkey_add(&passkey_of("k1", "b1", 0), &ev, None, 12)
        .await
        .unwrap();
    // One credential, one account.
    assert_eq!(
        s.passkey_add(&passkey_of("c1", "b1", 0), &ev, None, 13)
            .await
            .unwrap_err(),
        npass_core::Error::Conflict("passkey-exists")
    );
    let mine = s.passkeys_of("a1").await.unwrap();
    assert_eq!(
        mine.iter()
            .map(|p| p.credential_id.as_str())
            .collect::<Vec<_>>(),
        ["c1", "c2"]
    );
    assert_eq!(mine[0].created_at, 10);
    assert!(mine[0].backup_eligible && !mine[0].backed_up);

    // Renaming and removing touch only the account's own.
    assert!(
        !s.passkey_rename("b1", "c1", "stolen", &ev, 20)
            .await
            .unwrap()
    );
    assert!(
        s.passkey_rename("a1", "c1", "laptop", &ev, 21)
            .await
            .unwrap()
    );
    assert_eq!(s.passkey("c1").await.unwrap().unwrap().name, "laptop");
    assert!(!s.passkey_remove("b1", "c2", &ev, None, 22).await.unwrap());
    assert!(s.passkey_remove("a1", "c2", &ev, None, 23).await.unwrap());
    assert!(s.passkey("c2").await.unwrap().is_none());

    // A use moves the counter up; the same or a lower count is refused and changes nothing.
    assert!(s.passkey_use("c1", "{\"v\":2}", 6, true, 30).await.unwrap());
    let p = s.passkey("c1").await.unwrap().unwrap();
    assert_eq!(
        (
            p.sign_count,
            p.backed_up,
            p.last_used_at,
            p.passkey.as_str()
        ),
        (6, true, Some(30), "{\"v\":2}")
    );
    assert!(!s.passkey_use("c1", "{\"v\":3}", 6, true, 31).await.unwrap());
    assert!(!s.passkey_use("c1", "{\"v\":3}", 2, true, 32).await.unwrap());
    assert_eq!(s.passkey("c1").await.unwrap().unwrap().sign_count, 6);
    // An authenticator that keeps no counter stays at zero.
    assert!(s.passkey_use("k1", "{}", 0, false, 33).await.unwrap());
    assert!(s.passkey_use("k1", "{}", 0, false, 34).await.unwrap());
}

#[tokio::test]
async fn an_app_grant_rotates_once_locks_when_idle_and_ends_with_its_device() {
    let (s, _d) = store().await;
    let ev = event("device.enrolled", Some("a1"), None, json!({}));
    let grant = |cred: &str, access: &str, refresh: &str| AppGrant {
        credential_id: cred.into(),
        account_id: "a1".into(),
        access_hash: access.into(),
        access_expires_at: 400,
        refresh_hash: refresh.into(),
        unlocked_at: 100,
        created_at: 100,
    };
    // Only a device may hold a grant.
    s.passkey_add(&passkey_of("plain", "a1", 0), &ev, None, 10)
        .await
        .unwrap();
    assert_eq!(
        s.app_grant_put(&grant("plain", "ax", "rx"), &ev, 100)
            .await
            .unwrap_err(),
        npass_core::Error::NotFound
    );
    let phone = PasskeyRecord {
        device: true,
        ..passkey_of("phone", "a1", 0)
    };
    s.passkey_add(&phone, &ev, None, 11).await.unwrap();
    assert!(s.passkey("phone").await.unwrap().unwrap().device);
    s.app_grant_put(&grant("phone", "a0", "r0"), &ev, 100)
        .await
        .unwrap();
    assert_eq!(
        s.app_grant_by_access("a0")
            .await
            .unwrap()
            .unwrap()
            .account_id,
        "a1"
    );

    let rot = |old: &'static str, new: &'static str, used_after: i64| Rotate {
        refresh_hash: old,
        access_hash: new,
        access_expires_at: 700,
        new_refresh_hash: new,
        used_after,
        unlocked_after: 0,
    };
    let reuse = event("app.refresh-reused", None, None, json!({}));
    // Idle too long (its access token ran out before `used_after`): locked, nothing changes.
    assert_eq!(
        s.app_grant_rotate(&rot("r0", "n1", 401), &reuse, 420)
            .await
            .unwrap(),
        Rotation::Locked
    );
    // Not unlocked recently enough: locked too.
    let stale = Rotate {
        unlocked_after: 101,
        ..rot("r0", "n1", 0)
    };
    assert_eq!(
        s.app_grant_rotate(&stale, &reuse, 420).await.unwrap(),
        Rotation::Locked
    );
    let Rotation::Rotated(g) = s
        .app_grant_rotate(&rot("r0", "n1", 399), &reuse, 420)
        .await
        .unwrap()
    else {
        panic!("rotated")
    };
    assert_eq!((g.access_hash.as_str(), g.access_expires_at), ("n1", 700));
    assert!(s.app_grant_by_access("a0").await.unwrap().is_none());
    assert!(s.app_grant_by_access("n1").await.unwrap().is_some());
    assert_eq!(
        s.app_grant_rotate(&rot("nope", "n2", 0), &reuse, 430)
            .await
            .unwrap(),
        Rotation::Unknown
    );
    // The spent one again: the grant ends, and the trail says whose.
    assert_eq!(
        s.app_grant_rotate(&rot("r0", "n2", 0), &reuse, 440)
            .await
            .unwrap(),
        Rotation::Reused {
            account_id: "a1".into(),
            credential_id: "phone".into()
        }
    );
    assert!(s.app_grant_by_access("n1").await.unwrap().is_none());
    let trail = s.audit_range(0, 100).await.unwrap();
    let last = &trail.last().unwrap().event;
    assert_eq!(
        (last.kind.as_str(), last.account_id.as_deref()),
        ("app.refresh-reused", Some("a1"))
    );
    assert_eq!(last.detail["device"], "phone");

    // Removing the device ends its grant in the same transaction; so does revoking the
    // account's tokens (a lock, a reset), which leaves the device.
    s.app_grant_put(&grant("phone", "a3", "r3"), &ev, 500)
        .await
        .unwrap();
    assert!(
        s.passkey_remove("a1", "phone", &ev, None, 510)
            .await
            .unwrap()
    );
    assert!(s.app_grant_by_access("a3").await.unwrap().is_none());
    assert!(!s.app_grant_end("phone").await.unwrap());
    s.passkey_add(&phone, &ev, None, 520).await.unwrap();
    s.app_grant_put(&grant("phone", "a4", "r4"), &ev, 530)
        .await
        .unwrap();
    s.sessions_end_for_account("a1", 540).await.unwrap();
    assert!(s.app_grant_by_access("a4").await.unwrap().is_none());
    assert!(s.passkey("phone").await.unwrap().is_some());
}

#[tokio::test]
async fn a_webauthn_ceremony_is_taken_once_and_swept_when_expired() {
    let (s, _d) = store().await;
    let ceremony = |key: &str, expires_at| StoredCeremony {
        key: key.into(),
        browser_hash: "b1".into(),
        account_id: Some("a1".into()),
        kind: "register".into(),
        state: "{\"challenge\":\"x\"}".into(),
        expires_at,
    };
    s.ceremony_put(&ceremony("k1", 100)).await.unwrap();
    s.ceremony_put(&ceremony("k2", 100)).await.unwrap();
    s.ceremony_put(&ceremony("k3", 300)).await.unwrap();
    assert_eq!(
        s.ceremony_take("k1").await.unwrap(),
        Some(ceremony("k1", 100))
    );
    assert_eq!(s.ceremony_take("k1").await.unwrap(), None, "used once");
    assert_eq!(s.ceremony_take("nope").await.unwrap(), None);
    // The sweep deletes expired ones (with the other challenges), not live ones.
    assert_eq!(s.challenges_sweep(200).await.unwrap(), 1);
    assert_eq!(s.ceremony_take("k2").await.unwrap(), None);
    assert!(s.ceremony_take("k3").await.unwrap().is_some());
}

#[tokio::test]
async fn old_pacing_counters_are_swept_and_nothing_else() {
    let (s, _d) = store().await;
    for (key, at) in [
        ("ip:192.0.2.1", 10),
        ("ip:192.0.2.2", 500),
        ("reset-mail:2000000000004", 10),
        ("pwd:2000000000004", 10),
        ("iptables", 10),
    ] {
        assert!(take(&s, key, Throttle::default(), 3, at).await.unwrap());
    }
    assert_eq!(
        s.throttles_sweep(&["ip:", "reset-mail:"], 100)
            .await
            .unwrap(),
        2
    );
    assert_eq!(s.throttle("ip:192.0.2.1").await.unwrap().failures, 0);
    assert_eq!(
        s.throttle("ip:192.0.2.2").await.unwrap().failures,
        3,
        "recent"
    );
    assert_eq!(s.throttle("pwd:2000000000004").await.unwrap().failures, 3);
    assert_eq!(
        s.throttle("iptables").await.unwrap().failures,
        3,
        "a prefix, not a pattern"
    );
}

#[tokio::test]
async fn saml_messages_are_seen_once_and_a_logout_runs_is_answered_and_ends_once() {
    use npass_core::ids::ClientId;
    use npass_core::saml::logout::{
        Delivery, LogoutAsk, LogoutNotice, LogoutStage, Outcome, SamlLogout,
    };
    use npass_core::saml::{Participant, SamlRequest};
    let (s, _d) = store().await;
    let ev = event("saml.logout", Some("a1"), None, json!({}));

    // A message ID once per issuer, until it may no longer be used anyway.
    assert!(s.saml_seen_once("sp1", "_m1", 100, 10).await.unwrap());
    assert!(!s.saml_seen_once("sp1", "_m1", 100, 20).await.unwrap());
    assert!(s.saml_seen_once("sp2", "_m1", 100, 20).await.unwrap());

    // A parked request yields one response.
    let req = SamlRequest {
        id: "r1".into(),
        client_id: ClientId::from("es_tax"),
        request_id: "_req1".into(),
        acs_url: "https://tax.example.md/acs".into(),
        relay_state: "back".into(),
        min_level: Level::Low,
        max_level: Level::High,
        force_authn: false,
        is_passive: false,
        created_at: 10,
        expires_at: 600,
        acting: None,
        chosen_by: None,
    };
    s.saml_request_put(&req).await.unwrap();
    assert_eq!(
        s.saml_request("r1").await.unwrap().unwrap().relay_state,
        "back"
    );
    let p = |client: &str, at: i64| Participant {
        chain: "c1".into(),
        client_id: ClientId::from(client),
        name_id: format!("{client}-name"),
        session_index: "idx".into(),
        created_at: at,
    };
    s.saml_answered("r1", &p("es_tax", 20), None, std::slice::from_ref(&ev), 20)
        .await
        .unwrap();
    assert!(matches!(
        s.saml_answered("r1", &p("es_tax", 21), None, std::slice::from_ref(&ev), 21)
            .await,
        Err(npass_core::Error::NotFound)
    ));
    assert!(s.saml_request("r1").await.unwrap().is_none());
    s.saml_request_put(&SamlRequest {
        id: "r2".into(),
        ..req.clone()
    })
    .await
    .unwrap();
    s.saml_answered(
        "r2",
        &p("es_social", 22),
        None,
        std::slice::from_ref(&ev),
        22,
    )
    .await
    .unwrap();
    let who: Vec<String> = s
        .saml_participants("c1")
        .await
        .unwrap()
        .iter()
        .map(|p| p.client_id.to_string())
        .collect();
    assert_eq!(who, vec!["es_tax", "es_social"]);

    // The Tax portal's logout: parked, then run once with a notice for the Social portal.
    let logout = SamlLogout {
        id: "l1".into(),
        initiator: Some(LogoutAsk {
            client_id: ClientId::from("es_tax"),
            request_id: "_lr1".into(),
            name_id: "es_tax-name".into(),
            session_indexes: vec!["idx".into()],
            relay_state: String::new(),
        }),
        then: String::new(),
        created_at: 30,
        expires_at: 630,
    };
    s.saml_logout_put(&logout).await.unwrap();
    assert_eq!(
        s.saml_logout("l1").await.unwrap().unwrap(),
        (logout.clone(), LogoutStage::Asked)
    );
    let notice = |n: i64, client: &str| LogoutNotice {
        request_id: format!("_n{n}"),
        logout_id: "l1".into(),
        client_id: ClientId::from(client),
        position: n,
        outcome: Outcome::Pending,
        service: format!("{client} portal"),
        delivery: Delivery::Redirect {
            url: format!("https://{client}.example.md/slo?SAMLRequest=x"),
        },
        expires_at: 630,
    };
    let notices = [notice(0, "es_social"), notice(1, "es_pension")];
    assert!(
        s.saml_logout_run(&logout, "c1", &notices, &ev, 31)
            .await
            .unwrap()
    );
    assert!(
        !s.saml_logout_run(&logout, "c1", &notices, &ev, 32)
            .await
            .unwrap(),
        "a second run (another tab) changes nothing"
    );
    assert_eq!(
        s.saml_logout("l1").await.unwrap().unwrap().1,
        LogoutStage::Running
    );
    assert!(s.saml_participants("c1").await.unwrap().is_empty());
    assert_eq!(s.saml_logout_notices("l1").await.unwrap(), notices.to_vec());
    assert_eq!(
        s.saml_logout_notice("_n1").await.unwrap().unwrap(),
        notices[1]
    );

    // Each notice is answered once, and only by the service it was sent to.
    assert_eq!(
        s.saml_logout_answer("_n0", &ClientId::from("es_pension"), Outcome::Done)
            .await
            .unwrap(),
        Some(Outcome::Pending)
    );
    assert_eq!(
        s.saml_logout_answer("_n0", &ClientId::from("es_social"), Outcome::Done)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        s.saml_logout_answer("_n0", &ClientId::from("es_social"), Outcome::Failed)
            .await
            .unwrap(),
        Some(Outcome::Done)
    );
    assert!(matches!(
        s.saml_logout_answer("_nx", &ClientId::from("es_social"), Outcome::Done)
            .await,
        Err(npass_core::Error::NotFound)
    ));

    // Finished once: its notices as they ended; then nothing is left of it.
    let ended = s.saml_logout_take("l1").await.unwrap();
    let outcomes: Vec<Outcome> = ended.iter().map(|n| n.outcome).collect();
    assert_eq!(outcomes, vec![Outcome::Done, Outcome::Pending]);
    assert!(matches!(
        s.saml_logout_take("l1").await,
        Err(npass_core::Error::NotFound)
    ));
    assert!(s.saml_logout("l1").await.unwrap().is_none());
    assert!(s.saml_logout_notice("_n0").await.unwrap().is_none());

    // The sweep forgets what expired, and participants of sessions that have ended.
    s.saml_request_put(&SamlRequest {
        id: "r3".into(),
        ..req.clone()
    })
    .await
    .unwrap();
    s.saml_answered("r3", &p("es_tax", 40), None, std::slice::from_ref(&ev), 40)
        .await
        .unwrap();
    s.saml_request_put(&SamlRequest {
        id: "r4".into(),
        ..req
    })
    .await
    .unwrap();
    assert!(s.saml_sweep(41, 700).await.unwrap() >= 2);
    assert!(s.saml_request("r4").await.unwrap().is_none());
    assert!(s.saml_participants("c1").await.unwrap().is_empty());
    assert!(s.saml_seen_once("sp1", "_m1", 900, 800).await.unwrap());
}

#[tokio::test]
async fn roles_are_granted_only_by_an_administrator_and_end_on_time() {
    use npass_core::roles::RoleGrant;
    let (s, _d) = store().await;
    let ev = event("roles", None, None, json!({}));
    s.roles_declare(
        "es_tax",
        &["inspector".to_string(), "clerk".to_string()],
        &ev,
        1,
    )
    .await
    .unwrap();
    // Declaring again keeps what stands.
    s.roles_declare("es_tax", &["clerk".to_string()], &ev, 2)
        .await
        .unwrap();
    assert_eq!(
        s.roles_declared("es_tax").await.unwrap(),
        vec!["clerk", "inspector"]
    );
    assert!(
        s.service_admin_add("es_tax", "boss", None, &ev, 3)
            .await
            .unwrap()
    );
    assert!(
        !s.service_admin_add("es_tax", "boss", None, &ev, 4)
            .await
            .unwrap()
    );
    assert_eq!(s.service_admins("es_tax").await.unwrap(), vec!["boss"]);
    assert_eq!(
        s.services_administered("boss").await.unwrap(),
        vec![npass_core::ids::ClientId::from("es_tax")]
    );
    let grant = |role: &str, to: &str, by: &str, until: Option<i64>| RoleGrant {
        client_id: "es_tax".into(),
        role: role.into(),
        account_id: to.into(),
        granted_by: by.into(),
        expires_at: until,
        created_at: 10,
    };
    let before = s.audit_range(0, 10_000).await.unwrap().len();
    // Not an administrator, or a role not declared: nothing is written, not even the audit.
    assert!(
        !s.role_grant(&grant("clerk", "ana", "ion", None), false, &ev, 10)
            .await
            .unwrap()
    );
    assert!(
        !s.role_grant(&grant("owner", "ana", "boss", None), false, &ev, 10)
            .await
            .unwrap()
    );
    assert_eq!(s.audit_range(0, 10_000).await.unwrap().len(), before);
    assert!(
        s.role_grant(&grant("clerk", "ana", "boss", Some(100)), false, &ev, 10)
            .await
            .unwrap()
    );
    assert!(
        s.role_grant(&grant("inspector", "ana", "boss", None), false, &ev, 10)
            .await
            .unwrap()
    );
    assert_eq!(s.audit_range(0, 10_000).await.unwrap().len(), before + 2);
    assert_eq!(
        s.roles_of("es_tax", "ana", 50).await.unwrap(),
        vec!["clerk", "inspector"]
    );
    // Its end date holds from that instant; the other e-service sees none of them.
    assert_eq!(
        s.roles_of("es_tax", "ana", 100).await.unwrap(),
        vec!["inspector"]
    );
    assert!(s.roles_of("es_other", "ana", 50).await.unwrap().is_empty());
    assert_eq!(s.role_grants("es_tax", 100).await.unwrap().len(), 1);
    // What Ana holds, at every e-service, ended ones left out; Boss holds nothing.
    let held = |at: i64| {
        let s = &s;
        async move {
            s.roles_held("ana", at)
                .await
                .unwrap()
                .into_iter()
                .map(|g| (g.client_id.to_string(), g.role, g.expires_at))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        held(50).await,
        [
            ("es_tax".to_owned(), "clerk".to_owned(), Some(100)),
            ("es_tax".to_owned(), "inspector".to_owned(), None)
        ]
    );
    assert_eq!(
        held(100).await,
        [("es_tax".to_owned(), "inspector".to_owned(), None)]
    );
    assert!(s.roles_held("boss", 50).await.unwrap().is_empty());
    // Granting again renews it.
    assert!(
        s.role_grant(&grant("clerk", "ana", "boss", Some(500)), false, &ev, 20)
            .await
            .unwrap()
    );
    assert_eq!(
        s.roles_of("es_tax", "ana", 100).await.unwrap(),
        vec!["clerk", "inspector"]
    );
    // Withdrawn by an administrator only.
    assert!(
        !s.role_withdraw("es_tax", "clerk", "ana", Some("ion"), &ev, 30)
            .await
            .unwrap()
    );
    assert!(
        s.role_withdraw("es_tax", "clerk", "ana", Some("boss"), &ev, 30)
            .await
            .unwrap()
    );
    assert!(
        !s.role_withdraw("es_tax", "clerk", "ana", Some("boss"), &ev, 31)
            .await
            .unwrap()
    );
    assert_eq!(
        s.roles_of("es_tax", "ana", 40).await.unwrap(),
        vec!["inspector"]
    );
    // An administrator names another; someone who is not one names nobody.
    assert!(
        !s.service_admin_add("es_tax", "ana", Some("ion"), &ev, 45)
            .await
            .unwrap()
    );
    assert!(
        s.service_admin_add("es_tax", "ana", Some("boss"), &ev, 45)
            .await
            .unwrap()
    );
    assert_eq!(
        s.service_admins("es_tax").await.unwrap(),
        vec!["boss", "ana"]
    );
    // An administrator ends another's administration, never their own; someone who is not
    // one ends nothing; the operator ends any. Refusals write no audit.
    let before = s.audit_range(0, 10_000).await.unwrap().len();
    for (who, by) in [("boss", Some("boss")), ("boss", Some("ion")), ("ion", None)] {
        assert!(
            !s.service_admin_remove("es_tax", who, by, &ev, 46)
                .await
                .unwrap(),
            "{who} by {by:?}"
        );
    }
    assert_eq!(s.audit_range(0, 10_000).await.unwrap().len(), before);
    assert!(
        s.service_admin_remove("es_tax", "ana", Some("boss"), &ev, 46)
            .await
            .unwrap()
    );
    assert_eq!(s.service_admins("es_tax").await.unwrap(), vec!["boss"]);
    assert!(
        s.service_admin_remove("es_tax", "boss", None, &ev, 47)
            .await
            .unwrap()
    );
    assert!(s.service_admins("es_tax").await.unwrap().is_empty());
    assert_eq!(s.audit_range(0, 10_000).await.unwrap().len(), before + 2);
    // The operator (the admin API) needs no administrator, only a declared role.
    assert!(
        s.role_grant(&grant("clerk", "ana", "operator", None), true, &ev, 50)
            .await
            .unwrap()
    );
    assert!(
        !s.role_grant(&grant("owner", "ana", "operator", None), true, &ev, 50)
            .await
            .unwrap()
    );
    assert!(
        s.role_withdraw("es_tax", "clerk", "ana", None, &ev, 60)
            .await
            .unwrap()
    );
    assert_eq!(
        s.roles_of("es_tax", "ana", 70).await.unwrap(),
        vec!["inspector"]
    );

    // Retiring a role ends its grants with it, one event for each holder and the operator's;
    // a role not declared is refused, writing nothing; declared again, nobody holds it.
    let before = s.audit_range(0, 10_000).await.unwrap().len();
    let holder = |id: &str| AuditEvent {
        account_id: Some(id.into()),
        ..ev.clone()
    };
    assert!(
        s.role_retire("es_tax", "inspector", &holder, &ev, 80)
            .await
            .unwrap()
    );
    assert!(s.roles_of("es_tax", "ana", 80).await.unwrap().is_empty());
    assert!(s.roles_held("ana", 80).await.unwrap().is_empty());
    assert_eq!(s.roles_declared("es_tax").await.unwrap(), vec!["clerk"]);
    let trail = s.audit_range(0, 10_000).await.unwrap();
    assert_eq!(trail.len(), before + 2);
    assert!(
        trail
            .iter()
            .any(|r| r.event.account_id.as_deref() == Some("ana"))
    );
    assert!(
        !s.role_retire("es_tax", "inspector", &holder, &ev, 81)
            .await
            .unwrap()
    );
    assert_eq!(s.audit_range(0, 10_000).await.unwrap().len(), before + 2);
    s.roles_declare("es_tax", &["inspector".into()], &ev, 82)
        .await
        .unwrap();
    assert!(s.roles_of("es_tax", "ana", 82).await.unwrap().is_empty());
}

#[tokio::test]
async fn organisations_and_their_members_change_only_by_their_administrators() {
    use npass_core::orgs::{MemberKind, Membership, OrgEntry};
    let (s, _d) = store().await;
    let ev = event("orgs", None, None, json!({}));
    let org = OrgEntry {
        id: "NTRMD-1003600012345".into(),
        number: "1003600012345".into(),
        name: "Test SRL".into(),
        source: "operator".into(),
        created_at: 1,
    };
    s.orgs_upsert(std::slice::from_ref(&org), &ev, 1)
        .await
        .unwrap();
    s.orgs_upsert(
        &[OrgEntry {
            name: "Test Renamed SRL".into(),
            ..org.clone()
        }],
        &ev,
        2,
    )
    .await
    .unwrap();
    assert_eq!(
        s.org(&org.id).await.unwrap().unwrap().name,
        "Test Renamed SRL"
    );
    let m = |who: &str, kind: MemberKind, by: &str, until: Option<i64>| Membership {
        org_id: org.id.clone(),
        account_id: who.into(),
        kind,
        roles: vec!["accountant".into()],
        granted_by: by.into(),
        expires_at: until,
        created_at: 10,
    };
    // The operator names the administrator; nobody else names anyone until then.
    assert!(
        !s.org_member_put(
            &m("ana", MemberKind::Representative, "boss", None),
            false,
            &ev,
            10
        )
        .await
        .unwrap()
    );
    assert!(
        s.org_member_put(
            &m("boss", MemberKind::Admin, "operator", None),
            true,
            &ev,
            10
        )
        .await
        .unwrap()
    );
    assert!(
        s.org_member_put(
            &m("ana", MemberKind::Representative, "boss", Some(100)),
            false,
            &ev,
            10
        )
        .await
        .unwrap()
    );
    assert!(
        s.org_member_put(
            &m("dan", MemberKind::Admin, "operator", None),
            true,
            &ev,
            10
        )
        .await
        .unwrap()
    );
    // A representative names nobody; an administrator does not demote another.
    assert!(
        !s.org_member_put(
            &m("ion", MemberKind::Representative, "ana", None),
            false,
            &ev,
            20
        )
        .await
        .unwrap()
    );
    assert!(
        !s.org_member_put(
            &m("dan", MemberKind::Representative, "boss", None),
            false,
            &ev,
            20
        )
        .await
        .unwrap()
    );
    let kinds = |v: Vec<Membership>| {
        v.into_iter()
            .map(|m| (m.account_id.to_string(), m.kind))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        kinds(s.org_members(&org.id, 50).await.unwrap()),
        vec![
            ("boss".into(), MemberKind::Admin),
            ("dan".into(), MemberKind::Admin),
            ("ana".into(), MemberKind::Representative)
        ]
    );
    let ana = s.memberships_of("ana", 50).await.unwrap();
    assert_eq!(ana.len(), 1);
    assert_eq!(ana[0].0.name, "Test Renamed SRL");
    assert_eq!(ana[0].1.roles, vec!["accountant"]);
    // Her end date holds from that instant.
    assert!(s.memberships_of("ana", 100).await.unwrap().is_empty());
    // Removed by an administrator only, and an administrator by the operator only.
    assert!(
        !s.org_member_remove(&org.id, "ana", Some("dan2"), &ev, 60)
            .await
            .unwrap()
    );
    assert!(
        !s.org_member_remove(&org.id, "dan", Some("boss"), &ev, 60)
            .await
            .unwrap()
    );
    assert!(
        s.org_member_remove(&org.id, "ana", Some("boss"), &ev, 60)
            .await
            .unwrap()
    );
    assert!(
        s.org_member_remove(&org.id, "dan", None, &ev, 60)
            .await
            .unwrap()
    );
    assert_eq!(
        kinds(s.org_members(&org.id, 70).await.unwrap()),
        vec![("boss".into(), MemberKind::Admin)]
    );
}

#[tokio::test]
async fn a_mandate_is_accepted_by_its_representative_once_and_ended_by_its_citizens() {
    use npass_core::mandates::{Mandate, MandateState};
    let (s, _d) = store().await;
    let ev = |k: &str| event(k, None, None, json!({}));
    let m = Mandate {
        id: "m1".into(),
        mandator: "ion".into(),
        representative: "ana".into(),
        services: vec!["es_social".into(), "es_tax".into()],
        state: MandateState::Offered,
        expires_at: 1_000,
        created_at: 10,
    };
    let before = s.audit_range(0, 10_000).await.unwrap().len();
    s.mandate_put(&m, &[ev("offered"), ev("offered")], 10)
        .await
        .unwrap();
    assert_eq!(s.audit_range(0, 10_000).await.unwrap().len(), before + 2);
    // The same id twice: refused.
    assert!(s.mandate_put(&m, &[ev("offered")], 11).await.is_err());
    assert_eq!(s.mandate("m1").await.unwrap(), Some(m.clone()));
    // Listed for both citizens, and for nobody else.
    assert_eq!(s.mandates_of("ion", 20).await.unwrap(), vec![m.clone()]);
    assert_eq!(s.mandates_of("ana", 20).await.unwrap(), vec![m.clone()]);
    assert!(s.mandates_of("eve", 20).await.unwrap().is_empty());

    // Accepted only by its representative, once, before it expires; a refusal writes nothing.
    let n = s.audit_range(0, 10_000).await.unwrap().len();
    assert!(
        !s.mandate_accept("m1", "ion", &[ev("accepted")], 30)
            .await
            .unwrap()
    );
    assert!(
        !s.mandate_accept("m1", "ana", &[ev("accepted")], 1_000)
            .await
            .unwrap()
    );
    assert_eq!(s.audit_range(0, 10_000).await.unwrap().len(), n);
    assert!(
        s.mandate_accept("m1", "ana", &[ev("accepted")], 30)
            .await
            .unwrap()
    );
    assert!(
        !s.mandate_accept("m1", "ana", &[ev("accepted")], 31)
            .await
            .unwrap()
    );
    let active = s.mandate("m1").await.unwrap().unwrap();
    assert_eq!(active.state, MandateState::Active);
    assert!(active.covers("es_tax", 999) && !active.covers("es_tax", 1_000));
    assert!(!active.covers("es_health", 40));
    // Expired: no longer listed, at that instant.
    assert!(s.mandates_of("ana", 1_000).await.unwrap().is_empty());

    assert_eq!(s.mandates_sweep(999).await.unwrap(), 0);
    // Ended only by one of its two citizens.
    assert!(
        !s.mandate_end("m1", Some("eve"), &[ev("ended")], 40)
            .await
            .unwrap()
    );
    assert!(
        s.mandate_end("m1", Some("ion"), &[ev("ended")], 40)
            .await
            .unwrap()
    );
    assert!(s.mandate("m1").await.unwrap().is_none());
    assert!(
        !s.mandate_end("m1", Some("ana"), &[ev("ended")], 41)
            .await
            .unwrap()
    );
    // The operator (`None`) ends any mandate; then there is none to end.
    let m2 = Mandate {
        id: "m2".into(),
        ..m.clone()
    };
    s.mandate_put(&m2, &[ev("offered")], 42).await.unwrap();
    assert!(
        s.mandate_end("m2", None, &[ev("ended"), ev("ended")], 43)
            .await
            .unwrap()
    );
    assert!(s.mandate("m2").await.unwrap().is_none());
    assert!(!s.mandate_end("m2", None, &[ev("ended")], 44).await.unwrap());

    // The context chosen per citizen and e-service: one, replaced.
    assert_eq!(s.acting_choice("ana", "es_tax").await.unwrap(), None);
    s.acting_choice_put("ana", "es_tax", "org:NTRMD-1", 50)
        .await
        .unwrap();
    s.acting_choice_put("ana", "es_tax", "myself", 51)
        .await
        .unwrap();
    assert_eq!(
        s.acting_choice("ana", "es_tax").await.unwrap().as_deref(),
        Some("myself")
    );
    assert_eq!(s.acting_choice("ana", "es_social").await.unwrap(), None);
    verify_chain(&s.audit_range(0, 10_000).await.unwrap()).unwrap();
}
