//! A citizen's own account: a forgotten password reset by an emailed link, a changed password,
//! and the sessions of other browsers (design note 0011), driven over HTTP as a browser would.

use crate::harness::*;
use crate::oidc::{
    assert_revoked, backchannel_sink, delivered, fresh_tokens, logged_in, with_backchannel,
};

const NEW_PASSWORD: &str = "a quiet morning by the Nistru river";

/// The reset link emailed to `p` (the newest one when `nth` is `None`): its path on npass.
async fn reset_link(app: &TestApp, p: &Person) -> String {
    let mail = app.mail(p.email, "/password/reset?token=").await;
    let link = mail
        .lines()
        .find(|l| l.contains("/password/reset?token="))
        .unwrap()
        .trim()
        .to_owned();
    link.strip_prefix(&app.base).unwrap().to_owned()
}

/// Asks for a link for `national_id` from a browser of its own; the page it answers with.
async fn ask_for_link(app: &TestApp, national_id: &str) -> Resp {
    app.browser()
        .submit(
            "/password/forgot",
            "/password/forgot",
            &[("national_id", national_id)],
        )
        .await
}

/// The reset page's form, posted with `password` twice.
async fn reset_with(b: &mut Browser, link: &str, password: &str) -> Resp {
    let page = b.get(link).await;
    page.status(200).has("Choose a new password");
    let token = field_value(&page.body, "token").unwrap();
    b.post_raw(
        "/password/reset",
        &[
            ("csrf", &page.csrf()),
            ("token", &token),
            ("password", password),
            ("password_confirm", password),
        ],
    )
    .await
}

/// A page without what differs between any two answers (the CSRF token).
fn without_csrf(body: &str) -> String {
    body.split("name=\"csrf\" value=\"")
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                part.to_owned()
            } else {
                part.split_once('"').map(|x| x.1).unwrap_or("").to_owned()
            }
        })
        .collect()
}

#[tokio::test]
async fn a_forgotten_password_is_reset_once_by_the_emailed_link_and_never_skips_the_second_factor()
{
    let app = TestApp::start().await;
    let s = crate::oidc::service(&app, npass_core::model::Level::Low, &[], false).await;
    let mut old = logged_in(&app, &ION).await;
    let (secret, _) = activate_two_step(&app, &mut old).await;
    let tokens = fresh_tokens(&app, &mut old, &s).await;

    // The login page leads there; any spelling of the identifier works.
    app.browser()
        .get("/login")
        .await
        .has("href=\"/password/forgot\"");
    let sent = ask_for_link(&app, "2000 0000 0000 4").await;
    sent.status(200).has("Check your email");
    let link = reset_link(&app, &ION).await;
    let mail = app.mail(ION.email, "/password/reset?token=").await;
    assert!(mail.contains("within 30 minutes"), "{mail}");

    // Opening the link spends nothing (mail scanners open links); a weak password changes
    // nothing either.
    let mut b = app.browser();
    b.get(&link).await.status(200);
    reset_with(&mut b, &link, "password123")
        .await
        .status(400)
        .has("There is a problem")
        .has("href=\"#password\"");
    let r = reset_with(&mut b, &link, NEW_PASSWORD).await;
    assert_eq!(
        (r.status, r.location()),
        (303, "/login?done=password-reset".to_string())
    );
    assert!(
        !r.set_cookies()
            .iter()
            .any(|c| c.starts_with("__Host-npass=")),
        "a reset opens no session"
    );
    b.get("/account").await.status(303);
    b.get(&r.location())
        .await
        .has("Your new password is saved and every session was signed out.");

    // Once only.
    b.get(&link)
        .await
        .status(410)
        .has("This link no longer works");
    let mut again = app.browser();
    let page = again.get("/password/forgot").await;
    let token = link.split("token=").nth(1).unwrap();
    again
        .post_raw(
            "/password/reset",
            &[
                ("csrf", &page.csrf()),
                ("token", token),
                ("password", "yet another long passphrase here"),
                ("password_confirm", "yet another long passphrase here"),
            ],
        )
        .await
        .status(410);

    // Every session and every token of the account ended; the citizen was told.
    old.get("/account").await.status(303);
    assert_revoked(&app, &s, &tokens).await;
    app.mail(ION.email, "Your npass password was changed").await;

    // The new password still needs the code; with it, the citizen is in at level substantial.
    let renewed = Person {
        password: NEW_PASSWORD,
        ..ION
    };
    let mut c = app.browser();
    login(&mut c, &ION, &app.code(&secret)).await.status(401);
    let no_code = login(&mut c, &renewed, "").await;
    assert_ne!(no_code.status, 303, "the password alone is not enough");
    app.clock.advance_secs(30);
    login(&mut c, &renewed, &app.code(&secret))
        .await
        .status(303);
    c.get("/account")
        .await
        .status(200)
        .has("Password reset with an emailed link")
        .has("substantial");
}

#[tokio::test]
async fn reset_requests_answer_alike_are_throttled_and_their_links_expire() {
    let app = TestApp::start().await;
    registered(&app, &ION).await;
    // Ana registers but never confirms her address: her account is pending.
    app.browser()
        .submit("/register", "/register", &register_fields(&ANA))
        .await
        .status(200);
    app.mail(ANA.email, "/register/confirm?token=").await;

    // An account, a pending account and no account at all get the same page.
    let known = ask_for_link(&app, ION.national_id).await;
    let pending = ask_for_link(&app, ANA.national_id).await;
    let unknown = ask_for_link(&app, "2003004005008").await;
    for r in [&known, &pending, &unknown] {
        r.status(200);
    }
    assert_eq!(without_csrf(&known.body), without_csrf(&pending.body));
    assert_eq!(without_csrf(&known.body), without_csrf(&unknown.body));
    let first = reset_link(&app, &ION).await;
    assert_eq!(app.mail_count(ANA.email), 1, "only her confirmation link");

    // A mistyped identifier is told what is wrong.
    ask_for_link(&app, "2000000000005")
        .await
        .status(400)
        .has("check digit");

    // A second request within five minutes sends nothing more.
    ask_for_link(&app, ION.national_id).await.status(200);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.mail_count(ION.email), 2, "confirmation and one link");

    // The link lives 30 minutes.
    app.clock.advance_secs(31 * 60);
    let mut b = app.browser();
    b.get(&first).await.status(410);
    let page = b.get("/password/forgot").await;
    b.post_raw(
        "/password/reset",
        &[
            ("csrf", &page.csrf()),
            ("token", first.split("token=").nth(1).unwrap()),
            ("password", NEW_PASSWORD),
            ("password_confirm", NEW_PASSWORD),
        ],
    )
    .await
    .status(410);
    login(&mut app.browser(), &ION, "").await.status(303);

    // Later requests send a new link, which works; the old one still does not.
    ask_for_link(&app, ION.national_id).await.status(200);
    let mut second = None;
    for _ in 0..100 {
        if app.mail_count(ION.email) == 3 {
            second = Some(());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(second.is_some(), "a new link after the interval");
    let links: Vec<String> = std::fs::read_dir(&app.outbox)
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
        .map(|raw| decode_mail(&raw))
        .filter(|t| t.contains(&format!("To: {}", ION.email)))
        .filter_map(|t| {
            t.lines()
                .find(|l| l.contains("/password/reset?token="))
                .map(|l| l.trim().strip_prefix(&app.base).unwrap().to_owned())
        })
        .collect();
    let newest = links.into_iter().find(|l| *l != first).unwrap();
    reset_with(&mut app.browser(), &newest, NEW_PASSWORD)
        .await
        .status(303);

    // One address may ask only so often, whatever the identifiers.
    let mut statuses = Vec::new();
    for _ in 0..25 {
        statuses.push(ask_for_link(&app, "2003004005008").await.status);
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(statuses.iter().filter(|s| **s == 200).count() <= 20);
}

#[tokio::test]
async fn changing_the_password_asks_for_the_current_one_after_a_while_and_ends_other_sessions() {
    let app = TestApp::start().await;
    let mut here = logged_in(&app, &ION).await;
    let mut there = app.browser();
    login(&mut there, &ION, "").await.status(303);

    // Fresh from the login: no current password asked. A while later: asked.
    here.get("/account").await.has("href=\"/account/password\"");
    here.get("/account/password")
        .await
        .status(200)
        .lacks("name=\"current_password\"");
    app.clock.advance_secs(16 * 60);
    let page = here.get("/account/password").await;
    page.status(200).has("name=\"current_password\"");

    let wrong = here
        .submit(
            "/account/password",
            "/account/password",
            &[
                ("current_password", "not the password at all"),
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    wrong
        .status(400)
        .has("The current password is not correct.")
        .has("href=\"#current_password\"")
        .has("aria-invalid=\"true\"");
    let r = here
        .submit(
            "/account/password",
            "/account/password",
            &[
                ("current_password", ION.password),
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        (r.status, r.location()),
        (303, "/account?done=password-changed".to_string())
    );
    here.get(&r.location())
        .await
        .status(200)
        .has("Your new password is saved.")
        .has("Password changed");
    there.get("/account").await.status(303);
    app.mail(ION.email, "Your npass password was changed").await;
    login(&mut app.browser(), &ION, "").await.status(401);
    let renewed = Person {
        password: NEW_PASSWORD,
        ..ION
    };
    login(&mut app.browser(), &renewed, "").await.status(303);
}

const CHROME_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                              (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const FIREFOX_ANDROID: &str =
    "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0";

/// The `session` field of the sign-out form that follows `device`'s name on the page.
fn session_key_of(page: &str, device: &str) -> String {
    let at = page
        .find(device)
        .unwrap_or_else(|| panic!("{device} not on the page:\n{page}"));
    field_value(&page[at..], "session").unwrap()
}

#[tokio::test]
async fn citizens_see_their_sessions_and_sign_out_the_others() {
    let app = TestApp::start().await;
    let (bc_uri, got) = backchannel_sink().await;
    let s = with_backchannel(&app, "Tax portal", bc_uri).await;
    registered(&app, &ION).await;
    let mut here = app.browser();
    here.user_agent = Some(CHROME_WINDOWS.into());
    login(&mut here, &ION, "").await.status(303);
    let mut phone = app.browser();
    phone.user_agent = Some(FIREFOX_ANDROID.into());
    login(&mut phone, &ION, "").await.status(303);
    let mut third = app.browser();
    login(&mut third, &ION, "").await.status(303);
    let third_tokens = fresh_tokens(&app, &mut third, &s).await;

    here.get("/account").await.has("href=\"/account/sessions\"");
    let page = here.get("/account/sessions").await;
    page.status(200)
        .has("Chrome on Windows")
        .has("this browser")
        .has("Firefox on Android")
        .has("Unknown browser")
        .has("127.0.0.1")
        // In the deployment's time zone (Europe/Chisinau by default), not UTC.
        .has("2025-11-23 02:00 EET");
    assert_eq!(
        page.body
            .matches("action=\"/account/sessions/end\"")
            .count(),
        2
    );

    // Another citizen cannot end Ion's sessions, even knowing a session's key.
    let phone_key = session_key_of(&page.body, "Firefox on Android");
    let mut ana = logged_in(&app, &ANA).await;
    let r = ana
        .submit(
            "/account/sessions",
            "/account/sessions/end",
            &[("session", &phone_key)],
        )
        .await;
    assert_eq!(r.location(), "/account/sessions?done=session-gone");
    phone.get("/account").await.status(200);

    // Ion signs the phone out.
    let r = here
        .submit(
            "/account/sessions",
            "/account/sessions/end",
            &[("session", &phone_key)],
        )
        .await;
    assert_eq!(r.location(), "/account/sessions?done=session-ended");
    here.get(&r.location())
        .await
        .has("That session was signed out.")
        .lacks("Firefox on Android");
    phone.get("/account").await.status(303);
    third.get("/account").await.status(200);

    // Everywhere else: the third browser ends too, and its e-service is told.
    let r = here
        .submit("/account/sessions", "/account/sessions/end-others", &[])
        .await;
    assert_eq!(r.location(), "/account/sessions?done=sessions-ended");
    third.get("/account").await.status(303);
    here.get("/account").await.status(200);
    assert_revoked(&app, &s, &third_tokens).await;
    let told = delivered(&got, 1).await;
    assert!(told[0].contains("logout_token="), "{told:?}");
    let page = here.get("/account/sessions").await;
    assert_eq!(
        page.body
            .matches("action=\"/account/sessions/end\"")
            .count(),
        0
    );
    here.get("/account")
        .await
        .has("A session was signed out from My account");
}

#[tokio::test]
async fn a_citizen_without_two_step_is_shown_how_to_reach_the_level_and_goes_on_to_the_service() {
    let app = TestApp::start().await;
    let s = crate::oidc::service(
        &app,
        npass_core::model::Level::Substantial,
        &["openid"],
        false,
    )
    .await;
    let mut b = logged_in(&app, &ION).await;
    let p = crate::oidc::pkce();
    let page = b.get(&crate::oidc::authorize_path(&s, &p, &[])).await;
    page.status(200)
        .has("Tax portal needs the level of assurance")
        .has("I don&#39;t have a verification code")
        .lacks("Log in with your password and the verification code");
    let next = format!(
        "/authorize/continue?req={}",
        field_value(&page.body, "req").unwrap()
    );
    let setup = format!("/account/two-step?next={}", npass_web::web::enc(&next));
    page.has(&setup.replace('&', "&#38;"));

    // Setting the code remembers the way back; the done page leads on to a login with it.
    let intro = b.get(&setup).await;
    intro.status(200);
    assert!(
        intro
            .set_cookies()
            .iter()
            .any(|c| c.starts_with("__Host-npass-return=") && c.contains("HttpOnly"))
    );
    b.get("/account/two-step/device?device=android")
        .await
        .status(200);
    let scan = b.get("/account/two-step/scan").await;
    scan.status(200).has("href=\"otpauth://totp/");
    let (_, secret) = scan_qr(&mut b).await;
    let done = b
        .post_raw(
            "/account/two-step/confirm",
            &[("csrf", &scan.csrf()), ("code", &app.code(&secret))],
        )
        .await;
    let go_on = format!("/login?reauth=1&next={}", npass_web::web::enc(&next));
    done.status(200)
        .has("Log in with the code and continue")
        .has(&go_on.replace('&', "&#38;"));
    assert!(
        done.set_cookies()
            .iter()
            .any(|c| c.starts_with("__Host-npass-return=") && c.contains("Max-Age=0"))
    );

    // The login with the new code reaches the level and goes on to the e-service.
    app.clock.advance_secs(30);
    let form = b.get(&go_on).await;
    let r = b
        .post_raw(
            "/login",
            &[
                ("csrf", &form.csrf()),
                ("national_id", ION.national_id),
                ("password", ION.password),
                ("code", &app.code(&secret)),
                ("next", &next),
            ],
        )
        .await;
    assert_eq!((r.status, r.location()), (303, next.clone()));
    b.get(&next).await.status(200).has("Share your details");
}

#[tokio::test]
async fn contact_details_and_the_email_address_change_and_the_old_address_is_told() {
    let app = TestApp::start().await;
    let mut b = logged_in(&app, &ION).await;
    b.get("/account").await.has("href=\"/account/profile\"");
    b.get("/account/profile").await.status(200).has(ION.email);

    // Phone and language.
    let r = b
        .submit(
            "/account/profile",
            "/account/profile",
            &[("phone", "069 999 888"), ("language", "ro")],
        )
        .await;
    assert_eq!(r.location(), "/account?done=contact-changed");
    b.get(&r.location())
        .await
        .has("Your contact details are saved.")
        .has("+37369999888");
    b.submit(
        "/account/profile",
        "/account/profile",
        &[("phone", "123"), ("language", "ro")],
    )
    .await
    .status(400)
    .has("Enter a phone number that exists");
    let a = app.core.admin.find_citizen(ION.national_id).await.unwrap();
    assert_eq!(
        (a.profile.phone.as_str(), a.profile.language.as_str()),
        ("+37369999888", "ro")
    );

    // A new address: a link to it, a warning to the old one (in the citizen's language now).
    b.submit(
        "/account/profile",
        "/account/email",
        &[("email", ION.email)],
    )
    .await
    .status(400)
    .has("This is already your email address.");
    const NEW: &str = "ion.nou@example.md";
    b.submit("/account/profile", "/account/email", &[("email", NEW)])
        .await
        .status(200)
        .has("We sent a link to ion.nou@example.md");
    app.mail(ION.email, "ion.nou@example.md").await;
    let mail = app.mail(NEW, "/account/email/confirm?token=").await;
    let link = mail
        .lines()
        .find(|l| l.contains("/account/email/confirm?token="))
        .unwrap()
        .trim()
        .strip_prefix(&app.base)
        .unwrap()
        .to_owned();
    assert_eq!(
        app.core
            .admin
            .find_citizen(ION.national_id)
            .await
            .unwrap()
            .profile
            .email,
        ION.email,
        "nothing changes before the link is used"
    );
    let page = b.get(&link).await;
    page.status(200).has(NEW);
    let token = field_value(&page.body, "token").unwrap();
    let r = b
        .post_raw(
            "/account/email/confirm",
            &[("csrf", &page.csrf()), ("token", &token)],
        )
        .await;
    assert_eq!(r.location(), "/account?done=email-changed");
    b.get("/account").await.has(NEW);
    app.mail(ION.email, "ion.nou@example.md;").await;
    b.get(&link).await.status(410);

    // Changing the address needs a recent login.
    app.clock.advance_secs(16 * 60);
    let r = b
        .submit(
            "/account/profile",
            "/account/email",
            &[("email", "x@example.md")],
        )
        .await;
    r.status(303);
    assert_eq!(r.location(), "/login?next=/account&reauth=1");
}

#[tokio::test]
async fn deleting_the_account_ends_everything_tells_the_e_services_and_frees_the_identifier() {
    let app = TestApp::start().await;
    let (bc_uri, got) = backchannel_sink().await;
    let s = with_backchannel(&app, "Tax portal", bc_uri).await;
    let mut b = logged_in(&app, &ION).await;
    let tokens = fresh_tokens(&app, &mut b, &s).await;
    let mut other = app.browser();
    login(&mut other, &ION, "").await.status(303);

    b.get("/account").await.has("href=\"/account/delete\"");
    b.get("/account/delete")
        .await
        .status(200)
        .has("Deleting your account cannot be undone.");
    let r = b.submit("/account/delete", "/account/delete", &[]).await;
    assert_eq!(r.location(), "/login?done=deleted");
    assert!(
        r.set_cookies()
            .iter()
            .any(|c| c.starts_with("__Host-npass=") && c.contains("Max-Age=0"))
    );
    b.get(&r.location()).await.has("Your account was deleted.");
    other.get("/account").await.status(303);
    assert_revoked(&app, &s, &tokens).await;
    assert!(delivered(&got, 1).await[0].contains("logout_token="));
    app.mail(ION.email, "Your npass account was deleted").await;
    login(&mut app.browser(), &ION, "").await.status(401);
    assert!(app.core.admin.find_citizen(ION.national_id).await.is_err());
    // The trail keeps that it happened, without the profile.
    let trail = app.core.store.audit_range(0, 1000).await.unwrap();
    let deleted = trail
        .iter()
        .find(|r| r.event.kind == "account.deleted")
        .unwrap();
    assert!(!deleted.event.detail.to_string().contains("Popescu"));

    // The identifier registers again like a new one.
    let before = crate::registration::confirmation_paths(&app, ION.email);
    let mut again = app.browser();
    again
        .submit("/register", "/register", &register_fields(&ION))
        .await
        .status(200);
    let link = crate::registration::new_confirmation(&app, ION.email, &before).await;
    let r = crate::registration::confirm_by(&mut again, &link).await;
    assert_eq!(r.location(), "/login?done=confirmed");
    login(&mut app.browser(), &ION, "").await.status(303);

    // Deleting needs a recent login.
    let mut late = logged_in(&app, &ANA).await;
    app.clock.advance_secs(16 * 60);
    let r = late.get("/account/delete").await;
    r.status(303);
    assert!(r.location().contains("reauth=1"));
}

#[tokio::test]
async fn sessions_say_where_they_were_started_by_the_operators_address_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let places = dir.path().join("places.csv");
    std::fs::write(
        &places,
        "# ranges of the test network\n127.0.0.0/8,Localhost\n127.0.0.0/24,Chișinău\n",
    )
    .unwrap();
    let app = TestApp::start_with(|c| c.session.places_file = Some(places.clone())).await;
    let mut b = logged_in(&app, &ION).await;
    b.get("/account/sessions")
        .await
        .status(200)
        .has("Chișinău (127.0.0.1)");
    assert!(npass_web::parse_places("10.0.0.0/33,Nowhere").is_err());
    assert!(npass_web::parse_places("10.0.0.0/8").is_err());
}

#[tokio::test]
async fn the_new_forms_refuse_a_post_without_this_browsers_token_and_change_nothing() {
    let app = TestApp::start().await;
    let mut b = logged_in(&app, &ION).await;
    let mut other = logged_in(&app, &ANA).await;
    let foreign = other.get("/account").await.csrf();
    for (path, fields) in [
        ("/account/delete", vec![]),
        ("/account/sessions/end-others", vec![]),
        ("/account/email", vec![("email", "evil@example.md")]),
        (
            "/account/password",
            vec![
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        ),
        (
            "/account/profile",
            vec![("phone", "069 000 111"), ("language", "ru")],
        ),
        ("/password/forgot", vec![("national_id", ION.national_id)]),
        ("/register/resend", vec![("national_id", ION.national_id)]),
    ] {
        b.post_raw(path, &fields).await.status(403);
        let mut with_foreign = vec![("csrf", foreign.as_str())];
        with_foreign.extend_from_slice(&fields);
        b.post_raw(path, &with_foreign).await.status(403);
    }
    // Still logged in, the account as it was, and no mail but the confirmation.
    let page = b.get("/account").await;
    page.status(200).has(ION.email);
    let a = app.core.admin.find_citizen(ION.national_id).await.unwrap();
    assert_eq!(
        (a.profile.phone.as_str(), a.profile.language.as_str()),
        ("+37369123456", "en")
    );
    login(&mut app.browser(), &ION, "").await.status(303);
    assert_eq!(app.mail_count(ION.email), 1);
}
