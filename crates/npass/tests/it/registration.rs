//! Registration: every bad input gets a clear localised answer and changes nothing.

use crate::harness::*;

async fn count_accounts(app: &TestApp) -> usize {
    app.core
        .store
        .audit_range(0, 10_000)
        .await
        .unwrap()
        .iter()
        .filter(|r| r.event.kind == "account.register")
        .count()
}

async fn try_register(app: &TestApp, b: &mut Browser, changes: &[(&'static str, &str)]) -> Resp {
    let mut fields: Vec<(&str, String)> = register_fields(&ION)
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect();
    for (k, v) in changes {
        if let Some(f) = fields.iter_mut().find(|(n, _)| n == k) {
            f.1 = v.to_string();
        }
    }
    let csrf = b.get("/register").await.csrf();
    let mut all = vec![("csrf", csrf)];
    all.extend(fields);
    let refs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let _ = app;
    b.post_raw("/register", &refs).await
}

#[tokio::test]
async fn identifiers_are_checked_in_every_scheme() {
    let app = TestApp::start_with(|c| {
        c.identity.schemes = vec!["md-idnp".into(), "mu-nic".into(), "passport".into()]
    })
    .await;
    let mut b = app.browser();
    let cases: &[(&str, &str)] = &[
        ("2000000000005", "its check digit does not match"),
        ("200000000000", "has the wrong length"),
        ("20000000000044", "has the wrong length"),
        ("", "Enter your national identification number."),
        // mu-nic: wrong check character, a date that does not exist, wrong length
        ("J0101900123450", "its check digit does not match"),
        ("J01019001234", "has the wrong length"),
        // passport: unknown country, too long a number, stray characters
        ("QQQ1234567", "issuing country code is not known"),
        ("MDA1234567890", "has the wrong length"),
        ("MDA_123456", "contains characters it cannot have"),
    ];
    for (nid, message) in cases {
        let r = try_register(&app, &mut b, &[("national_id", nid)]).await;
        r.status(400).has(message).has("aria-invalid=\"true\"");
    }
    // 31 February, with a correct check character.
    let feb31 = format!(
        "J310290012345{}",
        npass_core::national_id::mu_check_char("J310290012345").unwrap()
    );
    try_register(&app, &mut b, &[("national_id", &feb31)])
        .await
        .status(400)
        .has("inside the identification number does not exist");
    assert_eq!(count_accounts(&app).await, 0);
    // The Romanian page says it in Romanian.
    b.lang = Some("ro".into());
    try_register(&app, &mut b, &[("national_id", "2000000000005")])
        .await
        .status(400)
        .has("cifra de control nu corespunde");
    b.lang = Some("ru".into());
    try_register(&app, &mut b, &[("national_id", "2000000000005")])
        .await
        .status(400)
        .has("не совпадает контрольная цифра");
    // A valid NIC and passport register.
    let body = "J010190012345";
    let check = npass_core::national_id::mu_check_char(body).unwrap();
    b.lang = Some("en".into());
    try_register(&app, &mut b, &[("national_id", &format!("{body}{check}"))])
        .await
        .status(200)
        .has("Check your email");
    try_register(&app, &mut b, &[("national_id", "mda-ab123456")])
        .await
        .status(200);
    assert!(
        app.core
            .store
            .account_by_national_id("MDA:AB123456")
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn one_account_per_identifier_in_any_spelling_and_the_form_does_not_tell() {
    let app = TestApp::start().await;
    registered(&app, &ION).await;
    let mut b = app.browser();
    // A new identifier's answer, for comparison.
    let fresh = try_register(
        &app,
        &mut b,
        &[
            ("national_id", "1002600001006"),
            ("email", "new@example.md"),
        ],
    )
    .await;
    fresh.status(200);
    let strip = |r: &Resp| {
        r.body
            .replace(r.headers["x-request-id"].to_str().unwrap(), "")
            .replace("new@example.md", "@")
            .replace("other@example.md", "@")
    };
    for spelling in [
        "2000000000004",
        " 2000-0000-00004 ",
        "２０００００００００００４",
    ] {
        let r = try_register(
            &app,
            &mut b,
            &[("national_id", spelling), ("email", "other@example.md")],
        )
        .await;
        r.status(200).lacks("already exists");
        assert_eq!(
            strip(&r),
            strip(&fresh),
            "the same page as for a new account"
        );
    }
    assert_eq!(count_accounts(&app).await, 2);
    assert_eq!(app.mail_count("other@example.md"), 0);
    // The owner is told, once an hour however often it is tried.
    let told = app
        .mail(
            ION.email,
            "Someone tried to register with your identification number",
        )
        .await;
    assert!(told.contains("nothing was created"), "{told}");
    let owner_mails = app.mail_count(ION.email);
    app.clock.advance_secs(3601);
    try_register(&app, &mut b, &[("email", "other@example.md")])
        .await
        .status(200);
    for _ in 0..100 {
        if app.mail_count(ION.email) > owner_mails {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(app.mail_count(ION.email), owner_mails + 1);
    // The account itself is as it was.
    let a = app
        .core
        .store
        .account_by_national_id(ION.national_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.profile.email, ION.email);
}

#[tokio::test]
async fn passwords_follow_the_rules_and_say_why() {
    let app = TestApp::start().await;
    let mut b = app.browser();
    let cases: &[(&str, &str, &str)] = &[
        (
            "short pass",
            "short pass",
            "too short: use at least 15 characters",
        ),
        ("", "", "Enter a password."),
        (
            "123456789qwerty",
            "123456789qwerty",
            "among the most commonly used",
        ),
        (
            "1QAZ2WSX3EDC4RFV",
            "1QAZ2WSX3EDC4RFV",
            "among the most commonly used",
        ),
        (
            "Popescu2000000000004",
            "Popescu2000000000004",
            "built from your name",
        ),
        (
            "npass npass npass!",
            "npass npass npass!",
            "built from your name",
        ),
        (
            "cerul de deasupra Chisinaului",
            "cerul de deasupra Chisinaului!",
            "The two passwords are not the same.",
        ),
        // Guessable at any length: the blocklist's long entries are few, the patterns many.
        (
            "password1234567",
            "password1234567",
            "it is mostly a common password, word or name",
        ),
        (
            "passwordpassword",
            "passwordpassword",
            "among the most commonly used",
        ),
        (
            "kettlekettlekettle",
            "kettlekettlekettle",
            "easy to guess: it repeats itself",
        ),
        ("1234567890123456", "1234567890123456", "easy to guess"),
        ("qwertyuiopasdfgh", "qwertyuiopasdfgh", "easy to guess"),
        (
            "aaaaaaaaaaaaaaaaaaaa",
            "aaaaaaaaaaaaaaaaaaaa",
            "it repeats itself",
        ),
        (
            "abcdefghijklmnopqr",
            "abcdefghijklmnopqr",
            "it is mostly a sequence",
        ),
        ("sunshine1234567890", "sunshine1234567890", "easy to guess"),
        // In breach corpora, though no pattern gives it away.
        (
            "StairwayToHeaven",
            "StairwayToHeaven",
            "among the most commonly used",
        ),
    ];
    for (p, c, message) in cases {
        let r = try_register(&app, &mut b, &[("password", p), ("password_confirm", c)]).await;
        r.status(400).has(message);
        // The other fields keep their values; passwords are never echoed.
        r.has("value=\"Popescu\"").lacks(&format!("value=\"{p}\""));
    }
    // Unicode passphrases are fine, and NFKC-equal spellings confirm each other.
    let r = try_register(
        &app,
        &mut b,
        &[
            ("password", "ｃｅｒｕｌ albastru și senin"),
            ("password_confirm", "cerul albastru și senin"),
        ],
    )
    .await;
    r.status(200);
    assert_eq!(count_accounts(&app).await, 1);
}

#[tokio::test]
async fn other_fields_are_checked_together() {
    let app = TestApp::start().await;
    let mut b = app.browser();
    let r = try_register(
        &app,
        &mut b,
        &[
            ("given_name", ""),
            ("birth_date", "1990-02-30"),
            ("email", "not-an-email"),
            ("phone", "12"),
        ],
    )
    .await;
    r.status(400)
        .has("This field is mandatory.")
        .has("Enter a real date as YYYY-MM-DD")
        .has("Enter an email address like name@example.md.")
        .has("Enter a phone number that exists");
    // Digits are not letters; the message says what is allowed.
    try_register(&app, &mut b, &[("family_name", "Popescu2")])
        .await
        .status(400)
        .has("Use letters, spaces, apostrophes and hyphens only")
        .has("href=\"#family_name\"");
    try_register(&app, &mut b, &[("birth_date", "2030-01-01")])
        .await
        .status(400)
        .has("must be in the past");
    assert_eq!(count_accounts(&app).await, 0);
}

#[tokio::test]
async fn confirmation_links_work_once_and_expire() {
    let app = TestApp::start().await;
    let mut b = app.browser();
    b.submit("/register", "/register", &register_fields(&ION))
        .await
        .status(200);
    let mail = app.mail(ION.email, "/register/confirm?token=").await;
    assert!(mail.contains("Subject: Confirm your email address"));
    // Before confirming, the right password still does not log in.
    login(&mut b, &ION, "")
        .await
        .status(403)
        .has("Confirm your email address first");

    let token = mail
        .split("token=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let page = b.get(&format!("/register/confirm?token={token}")).await;
    let csrf = page.csrf();
    b.post_raw("/register/confirm", &[("csrf", &csrf), ("token", "forged")])
        .await
        .status(404)
        .has("not valid or was already used");
    b.post_raw("/register/confirm", &[("csrf", &csrf), ("token", &token)])
        .await
        .status(303);
    b.post_raw("/register/confirm", &[("csrf", &csrf), ("token", &token)])
        .await
        .status(404);
    login(&mut b, &ION, "").await.status(303);

    // A link older than 24 hours has expired.
    b = app.browser();
    b.submit("/register", "/register", &register_fields(&ANA))
        .await
        .status(200);
    let mail = app.mail(ANA.email, "/register/confirm?token=").await;
    let token = mail
        .split("token=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    app.clock.advance_secs(24 * 3600 + 1);
    b.submit(
        "/register/confirm?token=x",
        "/register/confirm",
        &[("token", &token)],
    )
    .await
    .status(410)
    .has("has expired");
}

#[tokio::test]
async fn a_national_phone_number_is_stored_in_international_form() {
    let app = TestApp::start().await;
    let mut b = app.browser();
    let mut fields = register_fields(&ION);
    for f in &mut fields {
        if f.0 == "phone" {
            f.1 = "069 123 456";
        }
    }
    b.submit("/register", "/register", &fields)
        .await
        .status(200);
    let mail = app.mail(ION.email, "/register/confirm?token=").await;
    assert!(mail.contains("/register/confirm?token="));
    let account = app.core.admin.find_citizen(ION.national_id).await.unwrap();
    assert_eq!(account.profile.phone, "+37369123456");
}

/// The confirmation links emailed to `to`, as paths on npass, oldest first.
pub(crate) fn confirmation_paths(app: &TestApp, to: &str) -> Vec<String> {
    let mut found: Vec<(std::path::PathBuf, String)> = std::fs::read_dir(&app.outbox)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| {
                    let text = decode_mail(&std::fs::read_to_string(e.path()).ok()?);
                    (text.contains(&format!("To: {to}"))).then_some(())?;
                    let line = text
                        .lines()
                        .find(|l| l.contains("/register/confirm?token="))?;
                    Some((e.path(), line.trim().to_owned()))
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
        .into_iter()
        .map(|(_, l)| l.strip_prefix(&app.base).unwrap().to_owned())
        .collect()
}

/// Waits for a confirmation link to `to` that is not among `before`.
pub(crate) async fn new_confirmation(app: &TestApp, to: &str, before: &[String]) -> String {
    for _ in 0..200 {
        if let Some(l) = confirmation_paths(app, to)
            .into_iter()
            .find(|l| !before.contains(l))
        {
            return l;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no new confirmation link to {to}");
}

/// Follows a confirmation link and presses its button; the answer.
pub(crate) async fn confirm_by(b: &mut Browser, path: &str) -> Resp {
    let page = b.get(path).await;
    let token = field_value(&page.body, "token").unwrap();
    b.post_raw(
        "/register/confirm",
        &[("csrf", &page.csrf()), ("token", &token)],
    )
    .await
}

#[tokio::test]
async fn an_unconfirmed_registration_can_be_resent_replaced_and_expires() {
    let app = TestApp::start().await;
    // Someone registers Ion's number with their own address and never confirms.
    let squatter = Person {
        email: "squatter@example.md",
        password: "somebody else entirely here",
        ..ION
    };
    let mut b = app.browser();
    let first = b
        .submit("/register", "/register", &register_fields(&squatter))
        .await;
    first.status(200).has("Check your email");
    app.mail(squatter.email, "/register/confirm?token=").await;

    // Ion registers: the same page, and his own link, which makes the account his.
    let mut ion = app.browser();
    let second = ion
        .submit("/register", "/register", &register_fields(&ION))
        .await;
    second.status(200).has("Check your email");
    app.mail(ION.email, "/register/confirm?token=").await;
    let r = confirm_by(&mut ion, &confirmation_paths(&app, ION.email)[0]).await;
    assert_eq!(r.location(), "/login?done=confirmed");
    login(&mut ion, &ION, "").await.status(303);
    login(&mut app.browser(), &squatter, "").await.status(401);
    confirm_by(&mut b, &confirmation_paths(&app, squatter.email)[0])
        .await
        .status(404);
    assert_eq!(app.mail_count(ION.email), 1, "no 'someone tried' mail");

    // Ana's link: sent again on request (to the address she gave), once in five minutes.
    let mut ana = app.browser();
    ana.submit("/register", "/register", &register_fields(&ANA))
        .await
        .status(200)
        .has("href=\"/register/resend\"");
    app.mail(ANA.email, "/register/confirm?token=").await;
    let page = ana.get("/register/resend").await;
    page.status(200).has("Send the confirmation link again");
    for _ in 0..2 {
        ana.submit(
            "/register/resend",
            "/register/resend",
            &[("national_id", ANA.national_id)],
        )
        .await
        .status(200)
        .has("we have sent a new link");
    }
    ana.submit(
        "/register/resend",
        "/register/resend",
        &[("national_id", "2003004005008")],
    )
    .await
    .status(200)
    .has("we have sent a new link");
    for _ in 0..100 {
        if confirmation_paths(&app, ANA.email).len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(confirmation_paths(&app, ANA.email).len(), 2);

    // A week unconfirmed: the registration goes, and the number can be registered again.
    app.clock.advance_secs(7 * 24 * 3600 + 1);
    assert_eq!(
        app.core.registrations.purge_unconfirmed().await.unwrap(),
        1,
        "Ana's; Ion's is confirmed"
    );
    for link in confirmation_paths(&app, ANA.email) {
        confirm_by(&mut ana, &link).await.status(404);
    }
    let before = confirmation_paths(&app, ANA.email);
    app.browser()
        .submit("/register", "/register", &register_fields(&ANA))
        .await
        .status(200);
    let link = new_confirmation(&app, ANA.email, &before).await;
    let r = confirm_by(&mut app.browser(), &link).await;
    assert_eq!(r.location(), "/login?done=confirmed");
}

#[tokio::test]
async fn registering_from_an_e_service_comes_back_to_it() {
    let app = TestApp::start().await;
    let s = crate::oidc::service(&app, npass_core::model::Level::Low, &["openid"], false).await;
    let mut b = app.browser();
    let p = crate::oidc::pkce();
    let form = b.get(&crate::oidc::authorize_path(&s, &p, &[])).await;
    let next = form.login_next();
    // The login form's "Create an account" keeps the e-service's request.
    let href = format!("/register?next={}", npass_web::web::enc(&next));
    form.has(&href.replace('&', "&#38;"));
    let page = b.get(&href).await;
    page.status(200);
    assert_eq!(field_value(&page.body, "next").unwrap(), next);
    let mut fields = register_fields(&ION);
    fields.push(("next", next.as_str()));
    b.submit(&href, "/register", &fields).await.status(200);
    // The link leads on to it after the confirmation …
    app.mail(ION.email, "/register/confirm?token=").await;
    let link = confirmation_paths(&app, ION.email).remove(0);
    assert!(link.contains("&next="), "{link}");
    let confirm = b.get(&link).await;
    let r = b
        .post_raw(
            "/register/confirm",
            &[
                ("csrf", &confirm.csrf()),
                ("token", &field_value(&confirm.body, "token").unwrap()),
                ("next", &field_value(&confirm.body, "next").unwrap()),
            ],
        )
        .await;
    assert_eq!(
        r.location(),
        format!("/login?done=confirmed&next={}", npass_web::web::enc(&next))
    );
    // … and the login after it.
    let login_page = b.get(&r.location()).await;
    login_page.has("Your email address is confirmed");
    assert_eq!(field_value(&login_page.body, "next").unwrap(), next);
    let r = b
        .post_raw(
            "/login",
            &[
                ("csrf", &login_page.csrf()),
                ("national_id", ION.national_id),
                ("password", ION.password),
                ("next", &next),
            ],
        )
        .await;
    assert_eq!((r.status, r.location()), (303, next.clone()));
    // The parked request goes on to the e-service's consent.
    b.get(&next).await.status(200).has("Tax portal");

    // A `next` that leaves npass is dropped everywhere.
    let page = b.get("/register?next=https%3A%2F%2Fevil.example%2F").await;
    assert!(!page.body.contains("evil.example"));
}
