//! Acting for another (design note 0019): a representative logs in for an organisation, a
//! citizen gives a mandate and the representative logs in for them, through the chooser at
//! login; the tokens and assertions say so (`org`, `act`, the mandator as subject, SAML's
//! structured attributes); everything ended, expired or never given is refused at every use.

use npass_core::login::Client;
use npass_core::model::{Level, Session};
use npass_core::national_id::md_check_digit;
use npass_core::oidc::jwt::verify_own;
use serde_json::{Value, json};

use crate::harness::*;
use crate::oidc::{
    CB, Service, allow_if_asked, authorize_path, follow, go, jwks, pkce, post_client, query_of,
    redeem, refresh, service, userinfo,
};
use crate::operator::{npass, run};
use crate::passkeys::{at_substantial, ion_at_substantial};

async fn session_of(app: &TestApp, b: &Browser) -> Session {
    let secret = b.cookies.get("__Host-npass").cloned().unwrap();
    app.core.logins.session(&secret).await.unwrap().unwrap()
}

async fn cli(app: &TestApp, args: &[&str]) -> (i32, Value, String) {
    let mut c = npass(app);
    c.args(args);
    let (code, out, err) = run(c, "").await;
    (code, serde_json::from_str(&out).unwrap_or(Value::Null), err)
}

fn idno(body: &str) -> String {
    format!("{body}{}", md_check_digit(body).unwrap())
}

/// A mandate from `mandator` to `to` (their session and national identifier) at `service` for a
/// day, given and accepted.
async fn accepted_mandate(
    app: &TestApp,
    mandator: &Session,
    to: (&Session, &str),
    service: &str,
) -> npass_core::mandates::Mandate {
    let client = Client::default();
    let services = [service.to_owned()];
    let until = app.now() + 86_400_000;
    let offer = app
        .core
        .mandates
        .offer(mandator, to.1, &services, until, &client);
    let m = offer.await.unwrap();
    app.core
        .mandates
        .accept(to.0, &m.id, &client)
        .await
        .unwrap();
    m
}

/// Posts the chooser's answer `choice` for the page `page`.
async fn choose(b: &mut Browser, page: &Resp, action: &str, choice: &str) -> Resp {
    let req = field_value(&page.body, "req").unwrap();
    b.post_raw(
        action,
        &[("csrf", &page.csrf()), ("req", &req), ("choice", choice)],
    )
    .await
}

/// From the chooser `page`, `choice`, then consent if asked: the code the e-service receives.
async fn code_choosing(b: &mut Browser, page: &Resp, choice: &str) -> String {
    let r = choose(b, page, "/authorize/context", choice).await;
    let r = follow(b, r).await;
    let r = allow_if_asked(b, r).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let loc = r.location();
    assert!(loc.starts_with(CB), "{loc}");
    query_of(&loc)
        .get("code")
        .cloned()
        .unwrap_or_else(|| panic!("no code in {loc}"))
}

/// A request parked at `path` (which asks for a new login): the login page it shows, and the
/// request's id.
async fn park(app: &TestApp, b: &mut Browser, path: &str) -> (Resp, String) {
    // The session must be older than the request for `prompt=login` to ask again.
    app.clock.advance_secs(1);
    let mut page = b.get(path).await;
    if page.status == 303 {
        page = b.get(&page.location()).await;
    }
    let next = page.login_next();
    let id = next.rsplit_once("req=").map(|x| x.1.to_owned()).unwrap();
    (page, id)
}

/// Tokens for `code`, with the ID token's claims verified.
async fn tokens(app: &TestApp, s: &Service, code: &str, p: &crate::oidc::Pkce) -> (Value, Value) {
    let (status, t) = redeem(app, s, code, p).await;
    assert_eq!(status, 200, "{t}");
    let id = verify_own(t["id_token"].as_str().unwrap(), &jwks(app).await, "JWT").unwrap();
    (t, id)
}

/// The `sub` `b`'s citizen has at `s` when logging in for themselves.
async fn own_sub(app: &TestApp, b: &mut Browser, s: &Service) -> String {
    let p = pkce();
    let r = go(b, &authorize_path(s, &p, &[("scope", "openid")])).await;
    let code = if r.status == 200 && r.body.contains("name=\"choice\"") {
        code_choosing(b, &r, "myself").await
    } else {
        let r = allow_if_asked(b, r).await;
        query_of(&r.location()).get("code").cloned().unwrap()
    };
    let (_, id) = tokens(app, s, &code, &p).await;
    assert!(id.get("act").is_none(), "{id}");
    id["sub"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_representative_logs_in_for_the_organisation_until_it_is_withdrawn() {
    let app = TestApp::start().await;
    let tax = service(&app, Level::Low, &["openid", "profile"], false).await;
    let plain = service(&app, Level::Low, &["openid"], false).await;
    // The operator lets the Tax portal take logins for organisations; a required context it
    // does not take is refused and changes nothing.
    let (code, v, err) = cli(
        &app,
        &["eservice", "contexts", &tax.id, "--organizations", "true"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["contexts"]["organizations"], true);
    let (code, _, err) = cli(
        &app,
        &["eservice", "contexts", &tax.id, "--require", "mandator"],
    )
    .await;
    assert_ne!(code, 0);
    assert!(err.contains("require"), "{err}");
    assert!(
        app.core
            .registry
            .eservice(&tax.id)
            .await
            .unwrap()
            .contexts
            .require
            .is_none()
    );

    let (ion, ion_secret) = ion_at_substantial(&app).await;
    let admin = session_of(&app, &ion).await;
    let (org, other) = (idno("100360001234"), idno("100360009876"));
    for (n, name, admin_of) in [(&org, "Moldcarton SRL", true), (&other, "Alta SA", false)] {
        let mut args = vec!["org", "add", "--idno", n, "--name", name];
        if admin_of {
            args.extend(["--admin", ION.national_id]);
        }
        let (code, _, err) = cli(&app, &args).await;
        assert_eq!(code, 0, "{err}");
    }
    let mut ana = registered(&app, &ANA).await;
    login(&mut ana, &ANA, "").await.status(303);
    let client = Client::default();
    app.core
        .orgs
        .name_representative(
            &admin,
            &org,
            ANA.national_id,
            &["accountant".into()],
            None,
            &client,
        )
        .await
        .unwrap();
    let ana_sub = own_sub(&app, &mut ana, &tax).await;

    // Ana's login at the Tax portal asks whom for: herself or the organisation she represents.
    let p = pkce();
    let page = go(&mut ana, &authorize_path(&tax, &p, &[])).await;
    page.status(200)
        .has("Whom are you logging in for?")
        .has("Moldcarton SRL")
        .has("accountant")
        .has("For myself")
        .lacks("Alta SA");
    // Forged answers: an organisation she does not represent, a made-up mandate, nonsense.
    // Refused, and the request still waits for her choice.
    for forged in [
        format!("org:NTRMD-{other}"),
        "mandate:0123456789".into(),
        "org:".into(),
        "everyone".into(),
    ] {
        choose(&mut ana, &page, "/authorize/context", &forged)
            .await
            .status(403)
            .has("Nothing was changed");
    }
    let req = field_value(&page.body, "req").unwrap();
    ana.get(&format!("/authorize/continue?req={req}"))
        .await
        .status(200)
        .has("Whom are you logging in for?");

    // For the organisation: the tokens name it, with her role in it, and her in `act`.
    let code = code_choosing(&mut ana, &page, &format!("org:NTRMD-{org}")).await;
    let (t, id) = tokens(&app, &tax, &code, &p).await;
    let want_org = json!({"id": format!("NTRMD-{org}"), "number": org, "name": "Moldcarton SRL",
                          "roles": ["accountant"]});
    assert_eq!(id["org"], want_org);
    assert_eq!(id["act"], json!({"sub": ana_sub}));
    assert_eq!(id["sub"], ana_sub.as_str());
    let at = t["access_token"].as_str().unwrap().to_owned();
    // The access token says it too: every token made for someone else names who acted.
    let at_claims = verify_own(&at, &jwks(&app).await, "at+jwt").unwrap();
    assert_eq!(at_claims["act"], json!({"sub": ana_sub}));
    let (status, info) = userinfo(&app, &at).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["org"], want_org);
    assert_eq!(info["act"]["sub"], ana_sub.as_str());
    assert_eq!(info["given_name"], "Ana");
    // Her history says for whom she logged in.
    ana.get("/account").await.has("for Moldcarton SRL");

    // Remembered: the next chooser has the organisation ticked, and prompt=none uses it.
    let p2 = pkce();
    go(&mut ana, &authorize_path(&tax, &p2, &[]))
        .await
        .status(200)
        .has(&format!("value=\"org:NTRMD-{org}\" checked"));
    let p3 = pkce();
    let r = go(&mut ana, &authorize_path(&tax, &p3, &[("prompt", "none")])).await;
    let silent = query_of(&r.location()).get("code").cloned().unwrap();
    let (_, id3) = tokens(&app, &tax, &silent, &p3).await;
    assert_eq!(id3["org"]["id"], format!("NTRMD-{org}"));

    // A code made before the withdrawal, inside the same session: redeemed after it, refused.
    let p4 = pkce();
    let page4 = go(&mut ana, &authorize_path(&tax, &p4, &[])).await;
    let late = code_choosing(&mut ana, &page4, &format!("org:NTRMD-{org}")).await;
    let fresh = Session {
        auth_time: app.now(),
        ..admin.clone()
    };
    app.core
        .orgs
        .withdraw(&fresh, &org, ANA.national_id, &client)
        .await
        .unwrap();
    let (status, e) = redeem(&app, &tax, &late, &p4).await;
    assert_eq!(
        (status, e["error"].as_str()),
        (400, Some("invalid_grant")),
        "{e}"
    );
    // The tokens given before no longer speak for the organisation.
    let (status, e) = userinfo(&app, &at).await;
    assert_eq!(status, 401, "{e}");
    let (status, e) = refresh(&app, &tax, t["refresh_token"].as_str().unwrap()).await;
    assert_eq!(
        (status, e["error"].as_str()),
        (400, Some("invalid_grant")),
        "{e}"
    );
    // prompt=none cannot fall back on the remembered organisation either: no chooser is
    // left (she represents nothing), so the login is for herself.
    let p5 = pkce();
    let r = go(&mut ana, &authorize_path(&tax, &p5, &[("prompt", "none")])).await;
    let own = query_of(&r.location()).get("code").cloned().unwrap();
    let (_, id5) = tokens(&app, &tax, &own, &p5).await;
    assert!(
        id5.get("org").is_none() && id5.get("act").is_none(),
        "{id5}"
    );

    // An e-service that takes no organisation logins never shows the chooser, and a forged
    // choice for its request is refused.
    app.core
        .orgs
        .name_representative(&fresh, &org, ANA.national_id, &[], None, &client)
        .await
        .unwrap();
    let p6 = pkce();
    let r = go(&mut ana, &authorize_path(&plain, &p6, &[])).await;
    let r = allow_if_asked(&mut ana, r).await;
    assert!(r.location().starts_with(CB), "{}", r.body);
    let p7 = pkce();
    let (parked, req7) = park(
        &app,
        &mut ana,
        &authorize_path(&plain, &p7, &[("prompt", "login")]),
    )
    .await;
    let f = ana
        .post_raw(
            "/authorize/context",
            &[
                ("csrf", &parked.csrf()),
                ("req", &req7),
                ("choice", &format!("org:NTRMD-{org}")),
            ],
        )
        .await;
    f.status(403);

    // Every act is in the trail with its real actor: Ana's logins name the organisation.
    let ana_id = session_of(&app, &ana).await.account_id;
    let trail = app
        .core
        .credentials
        .history(&ana_id, &["oidc.authorized"], 20)
        .await
        .unwrap();
    assert!(
        trail
            .iter()
            .any(|r| r.event.detail["acting"]["org"] == format!("NTRMD-{org}")),
        "{trail:?}"
    );

    // A choice is its chooser's: Ana picks the organisation on a request, logs out, and Ion
    // (who administers it) logs in on the same browser to finish that request — he is asked
    // anew, never handed her choice.
    let p8 = pkce();
    let page8 = go(
        &mut ana,
        &authorize_path(&tax, &p8, &[("prompt", "consent")]),
    )
    .await;
    // (Named again without roles: the chooser says so, no empty list.)
    page8.has("For this organisation.").lacks("Your roles:");
    let consent8 = choose(
        &mut ana,
        &page8,
        "/authorize/context",
        &format!("org:NTRMD-{org}"),
    )
    .await;
    consent8.status(200).has("value=\"allow\"");
    let req8 = field_value(&consent8.body, "req").unwrap();
    ana.submit("/account", "/logout", &[]).await.status(303);
    app.clock.advance_secs(30);
    login(&mut ana, &ION, &app.code(&ion_secret))
        .await
        .status(303);
    ana.get(&format!("/authorize/continue?req={req8}"))
        .await
        .status(200)
        .has("Whom are you logging in for?")
        .lacks("value=\"allow\"");
}

#[tokio::test]
async fn a_citizen_gives_a_mandate_and_the_representative_logs_in_for_them() {
    let app = TestApp::start().await;
    let (sink, told) = crate::oidc::backchannel_sink().await;
    let social = crate::oidc::add(
        &app,
        npass_core::oidc::flow::NewEService {
            name: "Social portal".into(),
            redirect_uris: vec![CB.into()],
            scopes: vec!["openid".into(), "profile".into(), "roles".into()],
            backchannel_logout_uri: sink,
            ..Default::default()
        },
    )
    .await;
    let tax = service(&app, Level::Low, &["openid", "profile"], false).await;
    let (code, _, err) = cli(
        &app,
        &["eservice", "contexts", &social.id, "--mandates", "true"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    // Ion gives the mandate, Ana holds it; both with the verification code.
    let (mut ion, _) = ion_at_substantial(&app).await;
    let (mut ana, _) = at_substantial(&app, &ANA).await;
    let ion_sub = own_sub(&app, &mut ion, &social).await;
    let ana_sub = own_sub(&app, &mut ana, &social).await;
    let ana_tax_sub = own_sub(&app, &mut ana, &tax).await;

    let day =
        |days: i64| npass_core::clock::format_utc(app.now() + days * 86_400_000)[..10].to_owned();
    let page = ion.get("/account/mandates").await;
    page.status(200)
        .has("Give a mandate")
        .has(&social.id)
        .lacks(&tax.id);
    // Refused at the field, nothing given: to himself, at an e-service that takes no
    // delegated logins, without an e-service, ending in the past or after more than a year.
    for (who, svc, until, says) in [
        (ION.national_id, social.id.as_str(), day(30), "to yourself"),
        (
            ANA.national_id,
            tax.id.as_str(),
            day(30),
            "Choose at least one",
        ),
        (ANA.national_id, "", day(30), "Choose at least one"),
        (
            ANA.national_id,
            social.id.as_str(),
            day(-2),
            "in the future",
        ),
        (
            ANA.national_id,
            social.id.as_str(),
            day(400),
            "at most a year",
        ),
        (
            ANA.national_id,
            social.id.as_str(),
            "soon".into(),
            "as a date",
        ),
        (
            "2002003004015",
            social.id.as_str(),
            day(30),
            "identification number",
        ),
    ] {
        let mut fields = vec![("national_id", who), ("until", until.as_str())];
        if !svc.is_empty() {
            fields.push(("service", svc));
        }
        let r = ion
            .submit("/account/mandates", "/account/mandates", &fields)
            .await;
        r.status(400).has(says);
    }
    assert!(
        app.core
            .mandates
            .of(&session_of(&app, &ion).await.account_id)
            .await
            .unwrap()
            .1
            .is_empty()
    );
    let until = day(30);
    let r = ion
        .submit(
            "/account/mandates",
            "/account/mandates",
            &[
                ("national_id", ANA.national_id),
                ("service", &social.id),
                ("until", &until),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    ion.get(&r.location())
        .await
        .has("The mandate was given")
        .has("Ana Rusu")
        .has("waiting for them to accept");

    // Offered, not accepted: no login for Ion yet.
    let p0 = pkce();
    let r = go(&mut ana, &authorize_path(&social, &p0, &[])).await;
    assert!(!r.body.contains("name=\"choice\""), "{}", r.body);
    // Ana accepts from her page.
    let mine = ana.get("/account/mandates").await;
    mine.status(200)
        .has("Ion Popescu")
        .has("waiting for you to accept");
    let id = field_value(&mine.body, "id").unwrap();
    let r = ana
        .submit(
            "/account/mandates",
            "/account/mandates/accept",
            &[("id", &id)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    ana.get(&r.location()).await.has("The mandate was accepted");

    // Ana logs in at the Social portal for Ion: the subject is Ion's, she is `act`.
    let p = pkce();
    // Ion holds a role there; Ana asks for roles too: a mandator's roles are never lent.
    let (code, _, err) = cli(
        &app,
        &[
            "eservice",
            "roles",
            &social.id,
            "--declare",
            "clerk",
            "--grant",
            &format!("{}=clerk", ION.national_id),
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let page = go(
        &mut ana,
        &authorize_path(&social, &p, &[("scope", "openid profile roles")]),
    )
    .await;
    page.status(200).has("Ion Popescu").has("For myself");
    let code = code_choosing(&mut ana, &page, &format!("mandate:{id}")).await;
    let (t, idt) = tokens(&app, &social, &code, &p).await;
    assert_eq!(idt["sub"], ion_sub.as_str());
    assert_eq!(idt["act"], json!({"sub": ana_sub}));
    assert!(
        idt.get("org").is_none() && idt.get("roles").is_none(),
        "{idt}"
    );
    let at = t["access_token"].as_str().unwrap().to_owned();
    let at_claims = verify_own(&at, &jwks(&app).await, "at+jwt").unwrap();
    assert_eq!(
        (&at_claims["sub"], &at_claims["act"]),
        (&json!(ion_sub), &json!({"sub": ana_sub}))
    );
    // Introspection says whom both tokens are about, and who acts.
    let rt = t["refresh_token"].as_str().unwrap().to_owned();
    for token in [&at, &rt] {
        let (_, i) = post_client(&app, "/introspect", &social, &[("token", token)]).await;
        assert_eq!(i["active"], true, "{i}");
        assert_eq!(
            (&i["sub"], &i["act"]["sub"]),
            (&json!(ion_sub), &json!(ana_sub))
        );
    }
    let (status, info) = userinfo(&app, &at).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["sub"], ion_sub.as_str());
    assert_eq!(info["given_name"], "Ion");
    assert!(info.get("roles").is_none(), "{info}");
    assert_eq!(info["act"]["sub"], ana_sub.as_str());
    // Ion's history says who acted for him, where.
    let ion_id = session_of(&app, &ion).await.account_id;
    let ana_id = session_of(&app, &ana).await.account_id;
    let used = app
        .core
        .credentials
        .history(&ion_id, &["mandates.used"], 5)
        .await
        .unwrap();
    assert_eq!(used.len(), 1);
    assert_eq!(used[0].event.detail["by"], ana_id.to_string());
    ion.get("/account")
        .await
        .has("Someone logged in for you with your mandate");
    ana.get("/account")
        .await
        .has("for another person, with their mandate");

    // An e-service that requires an organisation offers nothing else, mandates included,
    // even when it takes them.
    for (require, offered) in [("organization", false), ("none", true)] {
        let (code, _, err) = cli(
            &app,
            &[
                "eservice",
                "contexts",
                &social.id,
                "--organizations",
                "true",
                "--require",
                require,
            ],
        )
        .await;
        assert_eq!(code, 0, "{err}");
        let page = go(&mut ana, &authorize_path(&social, &pkce(), &[])).await;
        page.status(200);
        assert_eq!(page.body.contains("Ion Popescu"), offered, "{require}");
        assert_eq!(
            page.body
                .contains("accepts only logins for an organisation"),
            !offered
        );
    }

    // The Tax portal takes no delegated logins: no chooser, no `act`, and a forged choice
    // for its request is refused.
    let p2 = pkce();
    let r = go(&mut ana, &authorize_path(&tax, &p2, &[])).await;
    let r = allow_if_asked(&mut ana, r).await;
    let c2 = query_of(&r.location()).get("code").cloned().unwrap();
    let (_, id2) = tokens(&app, &tax, &c2, &p2).await;
    assert_eq!(id2["sub"], ana_tax_sub.as_str());
    assert!(id2.get("act").is_none(), "{id2}");
    let p3 = pkce();
    let (parked, req3) = park(
        &app,
        &mut ana,
        &authorize_path(&tax, &p3, &[("prompt", "login")]),
    )
    .await;
    ana.post_raw(
        "/authorize/context",
        &[
            ("csrf", &parked.csrf()),
            ("req", &req3),
            ("choice", &format!("mandate:{id}")),
        ],
    )
    .await
    .status(403);

    // Ion ends it: the tokens stop speaking for him at once, on every node; no more choice at
    // login. (Ending needs the form's CSRF token like every change: without it, nothing ends.)
    let peer = app.peer_with(|c| c.public_url = app.base.clone()).await;
    assert_eq!(userinfo(&peer, &at).await.0, 200);
    let page = ion.get("/account/mandates").await;
    let id_field = field_value(&page.body, "id").unwrap();
    ion.post_raw("/account/mandates/end", &[("id", &id_field)])
        .await
        .status(403);
    assert_eq!(
        userinfo(&app, &at).await.0,
        200,
        "not ended without the token"
    );
    let r = ion
        .submit(
            "/account/mandates",
            "/account/mandates/end",
            &[("id", &field_value(&page.body, "id").unwrap())],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let (status, _) = userinfo(&app, &at).await;
    assert_eq!(status, 401);
    assert_eq!(userinfo(&peer, &at).await.0, 401, "the other node agrees");
    for token in [&at, &rt] {
        let (_, i) = post_client(&app, "/introspect", &social, &[("token", token)]).await;
        assert_eq!(i, json!({"active": false}));
    }
    let (status, e) = refresh(&app, &social, t["refresh_token"].as_str().unwrap()).await;
    assert_eq!(
        (status, e["error"].as_str()),
        (400, Some("invalid_grant")),
        "{e}"
    );
    let p4 = pkce();
    let r = go(&mut ana, &authorize_path(&social, &p4, &[])).await;
    assert!(!r.body.contains("name=\"choice\""), "{}", r.body);
    let ended = app
        .core
        .credentials
        .history(&ana_id, &["mandates.ended"], 5)
        .await
        .unwrap();
    assert_eq!(ended[0].event.detail["by"], ion_id.to_string());

    // A mandate for half an hour works now and not after: expired, it is neither offered nor
    // taken when forged.
    let ion_s = Session {
        auth_time: app.now(),
        ..session_of(&app, &ion).await
    };
    let ana_s = Session {
        auth_time: app.now(),
        ..session_of(&app, &ana).await
    };
    let client = Client::default();
    let m = app
        .core
        .mandates
        .offer(
            &ion_s,
            ANA.national_id,
            std::slice::from_ref(&social.id),
            app.now() + 30 * 60_000,
            &client,
        )
        .await
        .unwrap();
    app.core
        .mandates
        .accept(&ana_s, &m.id, &client)
        .await
        .unwrap();
    let p5 = pkce();
    go(&mut ana, &authorize_path(&social, &p5, &[]))
        .await
        .status(200)
        .has("Ion Popescu");
    app.clock.advance_secs(40 * 60);
    let p6 = pkce();
    let (parked, req6) = park(
        &app,
        &mut ana,
        &authorize_path(&social, &p6, &[("prompt", "login")]),
    )
    .await;
    ana.post_raw(
        "/authorize/context",
        &[
            ("csrf", &parked.csrf()),
            ("req", &req6),
            ("choice", &format!("mandate:{}", m.id)),
        ],
    )
    .await
    .status(403);

    // A citizen has at most 50 mandates running: the 51st is refused until one ends.
    let ion_now = Session {
        auth_time: app.now(),
        ..session_of(&app, &ion).await
    };
    let until = app.now() + 86_400_000;
    for _ in 0..npass_core::mandates::MANDATE_MAX_GIVEN {
        app.core
            .mandates
            .offer(
                &ion_now,
                ANA.national_id,
                std::slice::from_ref(&social.id),
                until,
                &client,
            )
            .await
            .unwrap();
    }
    let refused = app
        .core
        .mandates
        .offer(
            &ion_now,
            ANA.national_id,
            std::slice::from_ref(&social.id),
            until,
            &client,
        )
        .await;
    assert!(
        matches!(
            refused,
            Err(npass_core::Error::Invalid {
                reason: "mandate-too-many",
                ..
            })
        ),
        "{refused:?}"
    );

    // Ana logs out: the Social portal, which takes delegated logins, is told by `sid` alone (a
    // `sub` might be hers or a mandator's).
    ana.submit("/account", "/logout", &[]).await.status(303);
    let bodies = crate::oidc::delivered(&told, 1).await;
    let token = form_urlencoded::parse(bodies[0].as_bytes())
        .find(|(k, _)| k == "logout_token")
        .unwrap()
        .1
        .into_owned();
    let lt = verify_own(&token, &jwks(&app).await, "logout+jwt").unwrap();
    assert_eq!(lt["sid"], idt["sid"]);
    assert!(lt.get("sub").is_none(), "{lt}");
}

/// A SAML login at `sp` in `b` (logged in already) for the organisation `org`, chosen on the
/// chooser, which offers no "for myself": the request, and the consent page that follows.
async fn for_org(sp: &crate::saml::Sp, b: &mut Browser, org: &str) -> (Value, Resp) {
    use crate::saml::{post_request, sp_run};
    let req = sp_run(&sp.state, &["request-post", "0", "0"]).await;
    let r = post_request(b, req["SAMLRequest"].as_str().unwrap(), "").await;
    let page = b.get(&r.location()).await;
    page.status(200).has("Moldcarton SRL").lacks("For myself");
    let consent = choose(b, &page, "/login/saml/context", &format!("org:NTRMD-{org}")).await;
    consent.status(200).has("value=\"allow\"");
    (req, consent)
}

/// Agrees on the consent page and has the SP read what it is posted.
async fn allow_and_read(
    sp: &crate::saml::Sp,
    b: &mut Browser,
    consent: &Resp,
    req: &Value,
) -> Value {
    let r = crate::saml::decide(b, consent, "allow").await;
    sp_reads(sp, &r, req).await
}

/// What the SP reads of the response the page `posting` posts to it, for the request `req`.
async fn sp_reads(sp: &crate::saml::Sp, posting: &Resp, req: &Value) -> Value {
    let (response, _) = crate::saml::posted(posting);
    let id = req["id"].as_str().unwrap();
    crate::saml::sp_run(&sp.state, &["response", id, &response]).await
}

/// SAML: a service taking organisation logins gets MPass's IDNO/CompanyName for the chosen
/// organisation plus the structured attributes; a representation withdrawn between the choice
/// and the answer gets `RequestDenied`, never an assertion for the person.
#[tokio::test]
async fn saml_services_read_the_organisation_context() {
    use crate::saml::{login_as, post_request, real_time, sp, sp_run};
    let app = TestApp::start().await;
    real_time(&app);
    let cabinet = sp(
        &app,
        "cabinet",
        json!({"display": "Business cabinet"}),
        &[
            "--attribute",
            "FirstName",
            "--attribute",
            "IDNO",
            "--attribute",
            "CompanyName",
        ],
    )
    .await;
    let (code, _, err) = cli(
        &app,
        &[
            "eservice",
            "contexts",
            &cabinet.client_id,
            "--organizations",
            "true",
            "--require",
            "organization",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let (ion, _) = ion_at_substantial(&app).await;
    let admin = Session {
        auth_time: app.now(),
        ..session_of(&app, &ion).await
    };
    let org = idno("100360001234");
    let (code, _, err) = cli(
        &app,
        &["org", "add", "--idno", &org, "--name", "Moldcarton SRL"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = cli(
        &app,
        &[
            "org",
            "add",
            "--idno",
            &org,
            "--name",
            "Moldcarton SRL",
            "--admin",
            ION.national_id,
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let client = Client::default();

    // Ana represents nobody yet: the service requires an organisation, so she can only go back.
    let mut ana = registered(&app, &ANA).await;
    let req = sp_run(&cabinet.state, &["request-post", "0", "0"]).await;
    let r = post_request(&mut ana, req["SAMLRequest"].as_str().unwrap(), "").await;
    let at_login = ana.get(&r.location()).await;
    let r = login_as(&mut ana, at_login, &ANA).await;
    let page = ana.get(&r.location()).await;
    page.status(200)
        .has("accepts only logins for an organisation")
        .lacks("name=\"choice\"");
    // "For myself" forged: refused.
    choose(&mut ana, &page, "/login/saml/context", "myself")
        .await
        .status(403);

    // Named a representative, she chooses the organisation; withdrawn before she agrees to
    // share her details, the service gets RequestDenied, never an assertion for her.
    let name = || async {
        app.core
            .orgs
            .name_representative(
                &admin,
                &org,
                ANA.national_id,
                &["signatory".into()],
                None,
                &client,
            )
            .await
            .unwrap();
    };
    name().await;
    let (req, consent) = for_org(&cabinet, &mut ana, &org).await;
    app.core
        .orgs
        .withdraw(&admin, &org, ANA.national_id, &client)
        .await
        .unwrap();
    let v = allow_and_read(&cabinet, &mut ana, &consent, &req).await;
    assert_eq!(v["valid"], false, "{v}");
    assert!(v.to_string().contains("RequestDenied"), "{v}");

    // Named again, she logs in for it: MPass's attributes and the structured ones.
    name().await;
    let (req, consent) = for_org(&cabinet, &mut ana, &org).await;
    let v = allow_and_read(&cabinet, &mut ana, &consent, &req).await;
    assert_eq!(v["valid"], true, "{v}");
    let a = &v["attributes"];
    assert_eq!(a["IDNO"], json!([org]));
    assert_eq!(a["CompanyName"], json!(["Moldcarton SRL"]));
    assert_eq!(
        a["npass:OrganizationIdentifier"],
        json!([format!("NTRMD-{org}")])
    );
    assert_eq!(a["npass:OrganizationRole"], json!(["signatory"]));
    assert_eq!(a["npass:ActingPerson"].as_array().map(Vec::len), Some(1));
    assert_eq!(a["FirstName"], json!(["Ana"]));
}

/// One SAML login at `sp` in `b` (logged in already): `choice` answered on the chooser when
/// given, consent given if asked; what the SP reads of the response.
async fn saml_round(sp: &crate::saml::Sp, b: &mut Browser, choice: Option<&str>) -> Value {
    use crate::saml::{decide, post_request, sp_run};
    let req = sp_run(&sp.state, &["request-post", "0", "0"]).await;
    let r = post_request(b, req["SAMLRequest"].as_str().unwrap(), "").await;
    let mut page = b.get(&r.location()).await;
    if let Some(c) = choice {
        page.status(200).has("Whom are you logging in for?");
        page = choose(b, &page, "/login/saml/context", c).await;
    }
    if page.body.contains("value=\"allow\"") {
        page = decide(b, &page, "allow").await;
    }
    sp_reads(sp, &page, &req).await
}

/// SAML: a delegated login's assertion is about the mandator (NameID, attributes), with the
/// representative as `npass:ActingPerson`; a login for oneself carries no such attribute.
#[tokio::test]
async fn a_saml_service_taking_mandates_gets_the_mandator_as_subject() {
    use crate::saml::{real_time, sp};
    let app = TestApp::start().await;
    real_time(&app);
    let pension = sp(
        &app,
        "pension",
        json!({"display": "Pension office"}),
        &["--attribute", "FirstName", "--mandates"],
    )
    .await;
    // Registered taking mandates (the flags of `npass eservice add`).
    assert!(
        app.core
            .registry
            .eservice(&pension.client_id)
            .await
            .unwrap()
            .contexts
            .mandates
    );
    let (mut ion, _) = ion_at_substantial(&app).await;
    let (mut ana, _) = at_substantial(&app, &ANA).await;
    let ion_own = saml_round(&pension, &mut ion, None).await;
    let ana_own = saml_round(&pension, &mut ana, None).await;
    assert_eq!(ana_own["valid"], true, "{ana_own}");
    assert!(ana_own["attributes"].get("npass:ActingPerson").is_none());

    let fresh = |s: Session| Session {
        auth_time: app.now(),
        ..s
    };
    let m = accepted_mandate(
        &app,
        &fresh(session_of(&app, &ion).await),
        (&fresh(session_of(&app, &ana).await), ANA.national_id),
        &pension.client_id,
    )
    .await;
    let v = saml_round(&pension, &mut ana, Some(&format!("mandate:{}", m.id))).await;
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["nameid"], ion_own["nameid"]);
    assert_eq!(v["attributes"]["FirstName"], json!(["Ion"]));
    assert_eq!(
        v["attributes"]["npass:ActingPerson"],
        json!([ana_own["nameid"]])
    );
}

/// Deleting an account ends, in its transaction, what was granted to it and the mandates it
/// gave or held: the representative no longer sees the mandate nor is offered it at login, their
/// history says it ended and by whom, and no role, administration, membership, mandate or
/// remembered choice of the account is left in the store.
#[tokio::test]
async fn deleting_an_account_ends_its_roles_memberships_and_mandates() {
    use npass_core::store::{MandateStore, OrgStore, RoleStore};
    let app = TestApp::start().await;
    let social = service(&app, Level::Low, &["openid"], false).await;
    let client = Client::default();
    let org = idno("100360001234");
    let (mut ion, _) = ion_at_substantial(&app).await;
    let (mut ana, _) = at_substantial(&app, &ANA).await;
    for args in [
        vec![
            "eservice",
            "contexts",
            &social.id,
            "--mandates",
            "true",
            "--organizations",
            "true",
        ],
        vec![
            "eservice",
            "roles",
            &social.id,
            "--declare",
            "clerk",
            "--admin",
            ANA.national_id,
        ],
        vec![
            "org",
            "add",
            "--idno",
            &org,
            "--name",
            "Moldcarton SRL",
            "--admin",
            ANA.national_id,
        ],
    ] {
        let (code, _, err) = cli(&app, &args).await;
        assert_eq!(code, 0, "{args:?}: {err}");
    }
    let (ion_s, ana_s) = (session_of(&app, &ion).await, session_of(&app, &ana).await);
    let ana_id = ana_s.account_id.to_string();
    // Ion administers nothing: the operator grants Ana the role, Ana gives Ion a mandate.
    app.core
        .roles
        .grant_by_operator(&social.id, ANA.national_id, "clerk", None, &client)
        .await
        .unwrap();
    let m = accepted_mandate(&app, &ana_s, (&ion_s, ION.national_id), &social.id).await;
    // Ana logs in at the Social portal for her organisation (remembered); Ion is offered Ana.
    let page = go(&mut ana, &authorize_path(&social, &pkce(), &[])).await;
    code_choosing(&mut ana, &page, &format!("org:NTRMD-{org}")).await;
    assert!(
        app.store
            .acting_choice(&ana_id, &social.id)
            .await
            .unwrap()
            .is_some()
    );
    go(&mut ion, &authorize_path(&social, &pkce(), &[]))
        .await
        .status(200)
        .has("Whom are you logging in for?")
        .has("Ana Rusu");

    let r = ana.submit("/account/delete", "/account/delete", &[]).await;
    assert_eq!(r.location(), "/login?done=deleted");

    let now = app.now();
    assert!(app.store.roles_held(&ana_id, now).await.unwrap().is_empty());
    assert!(
        app.store
            .service_admins(&social.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        app.store
            .memberships_of(&ana_id, now)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        app.store
            .org_members(&format!("NTRMD-{org}"), now)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(app.store.mandate(&m.id).await.unwrap().is_none());
    assert!(
        app.store
            .mandates_of(&ion_s.account_id, now)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        app.store
            .acting_choice(&ana_id, &social.id)
            .await
            .unwrap()
            .is_none()
    );
    // Ion: nobody to act for, and his history says the mandate ended, by whom.
    ion.get("/account/mandates")
        .await
        .status(200)
        .lacks("Ana Rusu");
    let r = go(&mut ion, &authorize_path(&social, &pkce(), &[])).await;
    assert!(
        !r.body.contains("Whom are you logging in for?"),
        "{}",
        r.body
    );
    let trail = app
        .core
        .credentials
        .history(&ion_s.account_id, &["mandates.ended"], 5)
        .await
        .unwrap();
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0].event.detail["mandate"], m.id.as_str());
    assert_eq!(trail[0].event.detail["by"], ana_id.as_str());
    ion.get("/account")
        .await
        .status(200)
        .has("A mandate was ended");
}

/// The assistance centre lists a citizen's mandates and ends one (the CLI and the admin API):
/// from that moment the representative cannot act for the mandator, and both citizens'
/// histories say who ended it. A mandate not that citizen's, or ended already, is refused.
#[tokio::test]
async fn the_operator_lists_and_ends_a_citizens_mandates() {
    use crate::admin_api::call;
    use reqwest::Method;
    let app = TestApp::start().await;
    // The operator's CLI reads the system clock: the mandates are made on it too.
    crate::saml::real_time(&app);
    let social = service(&app, Level::Low, &["openid"], false).await;
    let (code, _, err) = cli(
        &app,
        &["eservice", "contexts", &social.id, "--mandates", "true"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let (mut ion, _) = ion_at_substantial(&app).await;
    let (mut ana, _) = at_substantial(&app, &ANA).await;
    let (ion_s, ana_s) = (session_of(&app, &ion).await, session_of(&app, &ana).await);
    let first = accepted_mandate(&app, &ana_s, (&ion_s, ION.national_id), &social.id).await;
    let second = accepted_mandate(&app, &ion_s, (&ana_s, ANA.national_id), &social.id).await;
    go(&mut ion, &authorize_path(&social, &pkce(), &[]))
        .await
        .status(200)
        .has("Whom are you logging in for?");

    // The CLI lists both directions; an id not Ana's is refused, changing nothing.
    let (code, v, err) = cli(&app, &["citizen", "mandates", ANA.national_id]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["acting_for_them"][0]["id"], first.id.as_str());
    assert_eq!(v["acting_for_them"][0]["national_id"], ION.national_id);
    assert_eq!(v["acts_for"][0]["id"], second.id.as_str());
    assert_eq!(v["acts_for"][0]["state"], "active");
    let (code, _, _) = cli(
        &app,
        &["citizen", "mandates", ANA.national_id, "--end", "nope"],
    )
    .await;
    assert_ne!(code, 0);
    let (code, _, _) = cli(&app, &["citizen", "mandates", "2002003004015"]).await;
    assert_ne!(code, 0);

    // The admin API lists Ion's and ends the one he holds; again, or without the token: no.
    let token = std::fs::read_to_string(app.data_dir.join("admin.token")).unwrap();
    let t = Some(token.trim());
    let ions = format!("/citizens/{}/mandates", ION.national_id);
    let (status, v) = call(&app, Method::GET, &ions, t, None).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["acts_for"][0]["id"], first.id.as_str());
    assert_eq!(v["acting_for_them"][0]["id"], second.id.as_str());
    let end = |id: &str| format!("/mandates/{id}/end");
    let (status, v) = call(&app, Method::POST, &end(&first.id), t, None).await;
    assert_eq!(status, 200, "{v}");
    let (status, _) = call(&app, Method::POST, &end(&first.id), t, None).await;
    assert_eq!(status, 404);
    let (status, _) = call(&app, Method::POST, &end(&second.id), None, None).await;
    assert_eq!(status, 401);

    // Ion may act for nobody now; both histories say the assistance centre ended it.
    let r = go(&mut ion, &authorize_path(&social, &pkce(), &[])).await;
    assert!(
        !r.body.contains("Whom are you logging in for?"),
        "{}",
        r.body
    );
    for b in [&mut ion, &mut ana] {
        b.get("/account")
            .await
            .status(200)
            .has("A mandate was ended (by the assistance centre)");
    }
    // The CLI ends the other; nothing is left.
    let (code, v, err) = cli(
        &app,
        &["citizen", "mandates", ANA.national_id, "--end", &second.id],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["acts_for"], json!([]));
    assert_eq!(v["acting_for_them"], json!([]));
}
