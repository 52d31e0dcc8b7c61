//! E-service roles (design note 0019, issue 19's first slice): the operator declares an
//! e-service's roles and names its administrators with the CLI; an administrator, logged in at
//! substantial and recently, grants and withdraws them; the rules hold against a running npass.

use npass_core::Error;
use npass_core::login::Client;
use npass_core::model::{Level, Session};
use serde_json::Value;

use crate::harness::*;
use crate::oidc::service;
use crate::operator::{npass, run};
use crate::passkeys::ion_at_substantial;

/// The session `b`'s cookie stands for.
async fn session_of(app: &TestApp, b: &Browser) -> Session {
    let secret = b.cookies.get("__Host-npass").cloned().unwrap();
    app.core.logins.session(&secret).await.unwrap().unwrap()
}

async fn roles_cli(app: &TestApp, args: &[&str]) -> (i32, Value, String) {
    let mut c = npass(app);
    c.args(["eservice", "roles"]).args(args);
    let (code, out, err) = run(c, "").await;
    (code, serde_json::from_str(&out).unwrap_or(Value::Null), err)
}

#[tokio::test]
async fn an_administrator_grants_and_withdraws_roles_and_nobody_else_does() {
    let app = TestApp::start().await;
    let tax = service(&app, Level::Low, &["openid"], false).await;
    let (mut ion, _) = ion_at_substantial(&app).await;
    let mut ana = registered(&app, &ANA).await;
    login(&mut ana, &ANA, "").await.status(303);
    let client = Client::default();

    // The operator declares the roles and names Ion the Tax portal's administrator.
    let (code, v, err) = roles_cli(
        &app,
        &[
            &tax.id,
            "--declare",
            "inspector",
            "--declare",
            "clerk",
            "--admin",
            ION.national_id,
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["roles"], serde_json::json!(["clerk", "inspector"]));
    assert_eq!(v["admins"], serde_json::json!([ION.national_id]));
    // A name no token could carry as is, an unknown e-service or citizen: refused, nothing kept.
    let (code, _, err) = roles_cli(&app, &[&tax.id, "--declare", "tax officer"]).await;
    assert_ne!(code, 0);
    assert!(err.contains("role"), "{err}");
    let (code, _, _) = roles_cli(&app, &["es_nobody", "--declare", "clerk"]).await;
    assert_ne!(code, 0);
    let (code, _, _) = roles_cli(&app, &[&tax.id, "--admin", "2002003004015"]).await;
    assert_ne!(code, 0);
    let (_, v, _) = roles_cli(&app, &[&tax.id]).await;
    assert_eq!(v["roles"], serde_json::json!(["clerk", "inspector"]));

    let admin = session_of(&app, &ion).await;
    let citizen = session_of(&app, &ana).await;
    let roles = &app.core.roles;
    // Ion grants Ana a role until tomorrow, another until withdrawn.
    let tomorrow = app.now() + 86_400_000;
    roles
        .grant(
            &admin,
            &tax.id,
            ANA.national_id,
            "clerk",
            Some(tomorrow),
            &client,
        )
        .await
        .unwrap();
    roles
        .grant(&admin, &tax.id, ANA.national_id, "inspector", None, &client)
        .await
        .unwrap();
    let ana_id = citizen.account_id.to_string();
    assert_eq!(
        roles.current(&tax.id, &ana_id).await.unwrap(),
        ["clerk", "inspector"]
    );
    // Ana sees them under My account, each with its last day; Ion, who holds none, sees no
    // such list.
    let last_day = npass_core::clock::format_utc(tomorrow - 1)[..10].to_owned();
    ana.get("/account")
        .await
        .status(200)
        .has("Your roles at services")
        .has(&format!(
            "<strong>Tax portal</strong>: clerk <span class=\"small\">(until {last_day} inclusive)"
        ))
        .has("<strong>Tax portal</strong>: inspector <span class=\"small\">(until withdrawn)");
    ion.get("/account")
        .await
        .status(200)
        .lacks("Your roles at services");

    // Refused, and nothing changes: granting to oneself, a role not declared, an end in the
    // past, by a citizen who does not administer the e-service (Ana, at low), or by the
    // administrator whose login is no longer recent.
    fn refused<T>(r: Result<T, Error>) -> Error {
        match r {
            Err(e) => e,
            Ok(_) => panic!("done, though it should have been refused"),
        }
    }
    assert!(matches!(
        refused(
            roles
                .grant(&admin, &tax.id, ION.national_id, "clerk", None, &client)
                .await
        ),
        Error::Invalid {
            reason: "role-self",
            ..
        }
    ));
    assert!(matches!(
        refused(
            roles
                .grant(&admin, &tax.id, ANA.national_id, "owner", None, &client)
                .await
        ),
        Error::Invalid {
            reason: "role-unknown",
            ..
        }
    ));
    assert!(matches!(
        refused(
            roles
                .grant(
                    &admin,
                    &tax.id,
                    ANA.national_id,
                    "clerk",
                    Some(app.now() - 1),
                    &client
                )
                .await
        ),
        Error::Invalid {
            reason: "role-until-past",
            ..
        }
    ));
    assert!(matches!(
        refused(
            roles
                .grant(&citizen, &tax.id, ION.national_id, "clerk", None, &client)
                .await
        ),
        Error::Forbidden("level")
    ));
    let ana_strong = Session {
        level: Level::Substantial,
        ..citizen.clone()
    };
    assert!(matches!(
        refused(
            roles
                .grant(
                    &ana_strong,
                    &tax.id,
                    ION.national_id,
                    "clerk",
                    None,
                    &client
                )
                .await
        ),
        Error::Forbidden("not-service-admin")
    ));
    assert!(
        roles
            .current(&tax.id, &admin.account_id)
            .await
            .unwrap()
            .is_empty()
    );

    // A role ends on its date, on every node alike; a withdrawn one is gone at once.
    app.clock.advance_secs(86_400);
    assert_eq!(
        roles.current(&tax.id, &ana_id).await.unwrap(),
        ["inspector"]
    );
    let stale = refused(
        roles
            .withdraw(&admin, &tax.id, ANA.national_id, "inspector", &client)
            .await,
    );
    assert!(
        matches!(stale, Error::Forbidden("fresh-login")),
        "{stale:?}"
    );
    let fresh = Session {
        auth_time: app.now(),
        ..admin.clone()
    };
    roles
        .withdraw(&fresh, &tax.id, ANA.national_id, "inspector", &client)
        .await
        .unwrap();
    assert!(roles.current(&tax.id, &ana_id).await.unwrap().is_empty());
    login(&mut ana, &ANA, "").await.status(303);
    ana.get("/account")
        .await
        .status(200)
        .lacks("Your roles at services");
    assert!(matches!(
        refused(
            roles
                .withdraw(&fresh, &tax.id, ANA.national_id, "inspector", &client)
                .await
        ),
        Error::NotFound
    ));

    // Every grant and withdrawal is in Ana's history, with who did it.
    let trail = app
        .core
        .credentials
        .history(&ana_id, &["roles.granted", "roles.withdrawn"], 10)
        .await
        .unwrap();
    assert_eq!(trail.len(), 3);
    assert!(
        trail
            .iter()
            .all(|r| r.event.detail["by"] == admin.account_id.to_string())
    );
}

/// The roles an administrator granted reach the e-service: in the ID token and userinfo under
/// the `roles` scope, in SAML's multi-valued `Role`; a withdrawn role is gone from userinfo at
/// once and from the next token; another e-service never sees them.
#[tokio::test]
async fn tokens_carry_the_roles_standing_when_they_are_issued() {
    use crate::oidc::{code_for, jwks, pkce, redeem, refresh, userinfo};
    use crate::saml::{login_then_consent_as, post_request, posted, real_time, sp, sp_run};
    use npass_core::oidc::jwt::verify_own;
    use serde_json::json;

    let app = TestApp::start().await;
    real_time(&app);
    let tax = service(&app, Level::Low, &["openid", "roles"], false).await;
    let other = service(&app, Level::Low, &["openid", "roles"], false).await;
    let pension = sp(
        &app,
        "pension",
        json!({"display": "Pension office"}),
        &["--attribute", "FirstName", "--attribute", "Role"],
    )
    .await;
    let (ion, _) = ion_at_substantial(&app).await;
    let admin = session_of(&app, &ion).await;
    let client = Client::default();
    let mut ana = registered(&app, &ANA).await;
    for (id, roles) in [
        (tax.id.as_str(), ["inspector", "clerk"]),
        (pension.client_id.as_str(), ["reviewer", "clerk"]),
    ] {
        let (code, _, err) = roles_cli(
            &app,
            &[
                id,
                "--declare",
                roles[0],
                "--declare",
                roles[1],
                "--admin",
                ION.national_id,
            ],
        )
        .await;
        assert_eq!(code, 0, "{err}");
        for r in roles {
            app.core
                .roles
                .grant(&admin, id, ANA.national_id, r, None, &client)
                .await
                .unwrap();
        }
    }

    // OpenID Connect: the ID token and userinfo list the Tax portal's roles.
    login(&mut ana, &ANA, "").await.status(303);
    let p = pkce();
    let code = code_for(&app, &mut ana, &tax, &p, &[("scope", "openid roles")]).await;
    let (status, t) = redeem(&app, &tax, &code, &p).await;
    assert_eq!(status, 200, "{t}");
    let keys = jwks(&app).await;
    let id = verify_own(t["id_token"].as_str().unwrap(), &keys, "JWT").unwrap();
    assert_eq!(id["roles"], json!(["clerk", "inspector"]));
    let at = t["access_token"].as_str().unwrap();
    assert_eq!(
        userinfo(&app, at).await.1["roles"],
        json!(["clerk", "inspector"])
    );
    // Another e-service gets its own roles (none), never the Tax portal's.
    let p2 = pkce();
    let code = code_for(&app, &mut ana, &other, &p2, &[("scope", "openid roles")]).await;
    let (_, t2) = redeem(&app, &other, &code, &p2).await;
    let id2 = verify_own(t2["id_token"].as_str().unwrap(), &keys, "JWT").unwrap();
    assert_eq!(id2["roles"], json!([]));
    // Without the scope, no roles at all.
    let p3 = pkce();
    let code = code_for(&app, &mut ana, &tax, &p3, &[("scope", "openid")]).await;
    let (_, t3) = redeem(&app, &tax, &code, &p3).await;
    let id3 = verify_own(t3["id_token"].as_str().unwrap(), &keys, "JWT").unwrap();
    assert!(id3.get("roles").is_none(), "{id3}");

    // Withdrawn: userinfo says so with the same access token, and so does the next ID token.
    app.core
        .roles
        .withdraw(&admin, &tax.id, ANA.national_id, "inspector", &client)
        .await
        .unwrap();
    assert_eq!(userinfo(&app, at).await.1["roles"], json!(["clerk"]));
    let (status, t4) = refresh(&app, &tax, t["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{t4}");
    let id4 = verify_own(t4["id_token"].as_str().unwrap(), &keys, "JWT").unwrap();
    assert_eq!(id4["roles"], json!(["clerk"]));

    // SAML: one Role attribute with each of the Pension office's roles, validated by
    // python3-saml (which refuses an attribute name given twice).
    let mut b = app.browser();
    let req = sp_run(&pension.state, &["request-post", "0", "0"]).await;
    let r = post_request(&mut b, req["SAMLRequest"].as_str().unwrap(), "").await;
    let at_login = b.get(&r.location()).await;
    let r = login_then_consent_as(&mut b, at_login, &ANA, &pension.name).await;
    let (response, _) = posted(&r);
    let v = sp_run(
        &pension.state,
        &["response", req["id"].as_str().unwrap(), &response],
    )
    .await;
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["attributes"]["Role"], json!(["clerk", "reviewer"]));
    assert_eq!(v["attributes"]["FirstName"], json!(["Ana"]));
}

/// From the Service administration page: an administrator names another, who then sees the
/// page; naming oneself again or someone without an account is refused at the field; a
/// citizen who administers nothing names nobody.
#[tokio::test]
async fn administrators_name_administrators_from_the_page() {
    let app = TestApp::start().await;
    let tax = service(&app, Level::Low, &["openid", "roles"], false).await;
    let (mut ion, _) = ion_at_substantial(&app).await;
    let mut ana = registered(&app, &ANA).await;
    login(&mut ana, &ANA, "").await.status(303);
    let (code, _, err) = roles_cli(
        &app,
        &[&tax.id, "--declare", "clerk", "--admin", ION.national_id],
    )
    .await;
    assert_eq!(code, 0, "{err}");

    // Ana administers nothing: her page says so and her form changes nothing.
    ana.get("/account/services/admin")
        .await
        .status(200)
        .has("You do not administer any service.");
    let r = ana
        .submit(
            "/account/services/admin",
            "/account/services/admin/admins",
            &[("client_id", &tax.id), ("national_id", ANA.national_id)],
        )
        .await;
    assert_ne!(r.status, 303, "{}", r.body);
    assert_eq!(
        roles_cli(&app, &[&tax.id]).await.1["admins"],
        serde_json::json!([ION.national_id])
    );

    // Ion's page names the service and offers to add an administrator.
    ion.get("/account")
        .await
        .status(200)
        .has("Service administration");
    let page = ion.get("/account/services/admin").await;
    page.status(200)
        .has("Tax portal")
        .has("Add the administrator");
    for (who, says) in [
        (ION.national_id, "already administers"),
        ("2002003004015", "identification number"),
    ] {
        let r = ion
            .submit(
                "/account/services/admin",
                "/account/services/admin/admins",
                &[("client_id", &tax.id), ("national_id", who)],
            )
            .await;
        r.status(400).has(says);
    }
    let r = ion
        .submit(
            "/account/services/admin",
            "/account/services/admin/admins",
            &[("client_id", &tax.id), ("national_id", ANA.national_id)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    ion.get(&r.location())
        .await
        .has("The administrator was added.");
    let mut admins: Vec<String> =
        serde_json::from_value(roles_cli(&app, &[&tax.id]).await.1["admins"].clone()).unwrap();
    admins.sort();
    assert_eq!(admins, [ION.national_id, ANA.national_id]);
    // Now Ana sees it (her grants still need her code, which she does not have).
    ana.get("/account/services/admin")
        .await
        .status(200)
        .has("Tax portal")
        .has("log in with your password and verification code");

    // Removing an administrator: Ion is offered to remove Ana, never himself; a forged
    // removal of himself is refused at the field, Ana's (at low) by the level; nothing changes.
    let admins_now = || async {
        let mut v: Vec<String> =
            serde_json::from_value(roles_cli(&app, &[&tax.id]).await.1["admins"].clone()).unwrap();
        v.sort();
        v
    };
    ion.get("/account/services/admin")
        .await
        .status(200)
        .has("Remove Ana Rusu as administrator")
        .lacks("Remove Ion Popescu as administrator");
    let remove = |who: &'static str| {
        [
            ("client_id", tax.id.clone()),
            ("national_id", who.to_owned()),
        ]
    };
    let fields = remove(ION.national_id);
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    ion.submit(
        "/account/services/admin",
        "/account/services/admin/admins/remove",
        &fields,
    )
    .await
    .status(400)
    .has("You cannot remove yourself");
    ana.submit(
        "/account/services/admin",
        "/account/services/admin/admins/remove",
        &fields,
    )
    .await
    .status(400)
    .has("verification code");
    assert_eq!(admins_now().await, [ION.national_id, ANA.national_id]);
    // Ion removes Ana: her page says she administers nothing, her history says so.
    let fields = remove(ANA.national_id);
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = ion
        .submit(
            "/account/services/admin",
            "/account/services/admin/admins/remove",
            &fields,
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    ion.get(&r.location())
        .await
        .has("The administrator was removed.");
    assert_eq!(admins_now().await, [ION.national_id]);
    ana.get("/account/services/admin")
        .await
        .status(200)
        .has("You do not administer any service.");
    ana.get("/account")
        .await
        .has("You are no longer an administrator of a service");
    // Again: she is not one, nothing to remove.
    let r = ion
        .submit(
            "/account/services/admin",
            "/account/services/admin/admins/remove",
            &fields,
        )
        .await;
    assert_ne!(r.status, 303, "{}", r.body);
    // The operator ends Ion's; once more, there is none to end.
    let (code, v, err) = roles_cli(&app, &[&tax.id, "--remove-admin", ION.national_id]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["admins"], serde_json::json!([]));
    let (code, _, _) = roles_cli(&app, &[&tax.id, "--remove-admin", ION.national_id]).await;
    assert_ne!(code, 0);
}

/// Organisations (the next slice of design note 0019): the operator registers one and names its
/// administrator, or imports the national register's CSV (one bad line imports nothing); the
/// administrator names a representative with roles and an end; the rules hold.
#[tokio::test]
async fn organisations_are_registered_and_their_administrators_name_representatives() {
    use npass_core::national_id::md_check_digit;
    let app = TestApp::start().await;
    let (ion, _) = ion_at_substantial(&app).await;
    let mut ana = registered(&app, &ANA).await;
    login(&mut ana, &ANA, "").await.status(303);
    let idno = |body: &str| format!("{body}{}", md_check_digit(body).unwrap());
    let (org, other) = (idno("100360001234"), idno("100360009876"));
    let cli = |args: Vec<String>| {
        let mut c = npass(&app);
        c.arg("org").args(args);
        c
    };
    let (code, out, err) = run(
        cli(vec![
            "add".into(),
            "--idno".into(),
            org.clone(),
            "--name".into(),
            "Test SRL".into(),
            "--admin".into(),
            ION.national_id.into(),
        ]),
        "",
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["id"], format!("NTRMD-{org}"));
    assert_eq!(v["members"][0]["kind"], "admin");
    // A wrong check digit is refused.
    let (code, _, err) = run(
        cli(vec![
            "add".into(),
            "--idno".into(),
            "1003600012340".into(),
            "--name".into(),
            "X".into(),
        ]),
        "",
    )
    .await;
    assert_ne!(code, 0);
    assert!(err.contains("IDNO"), "{err}");
    // The register's CSV: a bad line 3 imports nothing; the good file imports both.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, format!("idno,name\n{other},Alta SA\n1234,Broken\n")).unwrap();
    let (code, _, err) = run(cli(vec!["import".into(), bad.display().to_string()]), "").await;
    assert_ne!(code, 0);
    assert!(err.contains("Line 3"), "{err}");
    let (code, _, _) = run(cli(vec!["show".into(), other.clone()]), "").await;
    assert_ne!(code, 0, "nothing was imported");
    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        format!("idno,name\n{other},\"Alta, SA\"\n{org},Test SRL\n"),
    )
    .unwrap();
    let (code, out, err) = run(cli(vec!["import".into(), good.display().to_string()]), "").await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"imported\": 2"), "{out}");

    // Ion (administrator, substantial, recent) names Ana representative until tomorrow.
    let admin = session_of(&app, &ion).await;
    let citizen = session_of(&app, &ana).await;
    let orgs = &app.core.orgs;
    let client = Client::default();
    let tomorrow = app.now() + 86_400_000;
    let roles = vec!["accountant".to_string()];
    orgs.name_representative(
        &admin,
        &org,
        ANA.national_id,
        &roles,
        Some(tomorrow),
        &client,
    )
    .await
    .unwrap();
    let mine = orgs.of(&citizen.account_id).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].0.name, "Test SRL");
    assert_eq!(mine[0].1.roles, roles);
    // Refused: naming oneself; Ana (a representative, and at low) naming anyone; Ion for an
    // organisation he does not administer.
    assert!(matches!(
        orgs.name_representative(&admin, &org, ION.national_id, &roles, None, &client)
            .await,
        Err(Error::Invalid {
            reason: "org-self",
            ..
        })
    ));
    assert!(matches!(
        orgs.name_representative(&citizen, &org, ION.national_id, &roles, None, &client)
            .await,
        Err(Error::Forbidden("level"))
    ));
    let ana_strong = Session {
        level: Level::Substantial,
        ..citizen.clone()
    };
    assert!(matches!(
        orgs.name_representative(&ana_strong, &org, ION.national_id, &roles, None, &client)
            .await,
        Err(Error::Forbidden("not-org-admin"))
    ));
    assert!(matches!(
        orgs.name_representative(&admin, &other, ANA.national_id, &roles, None, &client)
            .await,
        Err(Error::Forbidden("not-org-admin"))
    ));
    // The end date holds from that instant; a withdrawal at once.
    app.clock.advance_secs(86_400);
    assert!(orgs.of(&citizen.account_id).await.unwrap().is_empty());
    let fresh = Session {
        auth_time: app.now(),
        ..admin.clone()
    };
    orgs.name_representative(&fresh, &org, ANA.national_id, &roles, None, &client)
        .await
        .unwrap();
    assert_eq!(orgs.of(&citizen.account_id).await.unwrap().len(), 1);
    orgs.withdraw(&fresh, &org, ANA.national_id, &client)
        .await
        .unwrap();
    assert!(orgs.of(&citizen.account_id).await.unwrap().is_empty());
    let trail = app
        .core
        .credentials
        .history(&citizen.account_id, &["orgs."], 10)
        .await
        .unwrap();
    assert_eq!(trail.len(), 3);

    // The operator ends Ana's representation and Ion's administration (`npass org remove`):
    // from that moment they act for it nowhere; once more, there is nothing to end.
    orgs.name_representative(&fresh, &org, ANA.national_id, &roles, None, &client)
        .await
        .unwrap();
    let remove = |who: &str| {
        cli(vec![
            "remove".into(),
            "--idno".into(),
            org.clone(),
            "--national-id".into(),
            who.into(),
        ])
    };
    for who in [ANA.national_id, ION.national_id] {
        let (code, _, err) = run(remove(who), "").await;
        assert_eq!(code, 0, "{err}");
    }
    let (code, out, _) = run(cli(vec!["show".into(), org.clone()]), "").await;
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["members"], serde_json::json!([]));
    assert!(orgs.of(&citizen.account_id).await.unwrap().is_empty());
    assert!(orgs.of(&admin.account_id).await.unwrap().is_empty());
    let (code, _, _) = run(remove(ION.national_id), "").await;
    assert_ne!(code, 0);
    let kinds = |trail: Vec<npass_core::model::AuditRecord>| {
        trail.into_iter().map(|r| r.event.kind).collect::<Vec<_>>()
    };
    let history = app
        .core
        .credentials
        .history(&admin.account_id, &["orgs."], 1);
    assert_eq!(kinds(history.await.unwrap()), ["orgs.admin-removed"]);
    let history = app
        .core
        .credentials
        .history(&citizen.account_id, &["orgs."], 1);
    assert_eq!(
        kinds(history.await.unwrap()),
        ["orgs.representative-withdrawn"]
    );
}

/// The operator's CLI grants and withdraws declared roles (`NATIONAL_ID=ROLE`), as the admin
/// API does; a malformed or undeclared one is refused.
#[tokio::test]
async fn the_operators_cli_grants_and_withdraws_declared_roles() {
    let app = TestApp::start().await;
    let tax = service(&app, Level::Low, &["openid", "roles"], false).await;
    registered(&app, &ANA).await;
    let grant = format!("{}=clerk", ANA.national_id);
    let (code, v, err) = roles_cli(&app, &[&tax.id, "--declare", "clerk", "--grant", &grant]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["grants"][0]["national_id"], ANA.national_id);
    assert_eq!(v["grants"][0]["role"], "clerk");
    for bad in [
        ANA.national_id.to_string(),
        format!("{}=owner", ANA.national_id),
    ] {
        let (code, _, err) = roles_cli(&app, &[&tax.id, "--grant", &bad]).await;
        assert_ne!(code, 0, "{bad}");
        assert!(!err.is_empty());
    }
    let (code, v, err) = roles_cli(&app, &[&tax.id, "--withdraw", &grant]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["grants"], serde_json::json!([]));

    // A retired role is no longer declared, and Ana, who held it, loses it at once: gone from
    // her roles at the service and from My account, and her history says so. A role not
    // declared is refused, changing nothing.
    let (code, _, err) =
        roles_cli(&app, &[&tax.id, "--declare", "auditor", "--grant", &grant]).await;
    assert_eq!(code, 0, "{err}");
    let ana_id = crate::journeys::account_id(&app, ANA.national_id).await;
    assert_eq!(
        app.core.roles.current(&tax.id, &ana_id).await.unwrap(),
        ["clerk"]
    );
    let (code, v, err) = roles_cli(&app, &[&tax.id, "--retire", "clerk"]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["roles"], serde_json::json!(["auditor"]));
    assert_eq!(v["grants"], serde_json::json!([]));
    assert!(
        app.core
            .roles
            .current(&tax.id, &ana_id)
            .await
            .unwrap()
            .is_empty()
    );
    let trail = app
        .core
        .credentials
        .history(&ana_id, &["roles.withdrawn"], 5)
        .await
        .unwrap();
    assert_eq!(trail[0].event.detail["retired"], true);
    assert_eq!(trail[0].event.detail["role"], "clerk");
    let (code, _, err) = roles_cli(&app, &[&tax.id, "--retire", "clerk"]).await;
    assert_ne!(code, 0);
    assert!(err.contains("role"), "{err}");
    assert_eq!(
        roles_cli(&app, &[&tax.id]).await.1["roles"],
        serde_json::json!(["auditor"])
    );
}
