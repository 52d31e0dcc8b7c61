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
    let (ion, _) = ion_at_substantial(&app).await;
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
