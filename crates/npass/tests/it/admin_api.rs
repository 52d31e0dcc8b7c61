//! The admin JSON API, as automation would use it.

use serde_json::{Value, json};

use crate::harness::*;

pub(crate) async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, Value) {
    let mut rb =
        reqwest::Client::new().request(method, format!("{}/admin/api{path}", app.admin_base));
    if let Some(t) = token {
        rb = rb.header("authorization", format!("Bearer {t}"));
    }
    if let Some(b) = body {
        rb = rb
            .header("content-type", "application/json")
            .body(b.to_owned());
    }
    let res = rb.send().await.unwrap();
    let status = res.status().as_u16();
    (
        status,
        serde_json::from_slice(&res.bytes().await.unwrap()).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn registry_over_the_admin_api() {
    let app = TestApp::start().await;
    let token = std::fs::read_to_string(app.data_dir.join("admin.token")).unwrap();
    let token = token.trim();
    let get = reqwest::Method::GET;
    let post = reqwest::Method::POST;

    assert_eq!(
        call(&app, get.clone(), "/eservices", None, None).await.0,
        401
    );
    assert_eq!(
        call(
            &app,
            get.clone(),
            "/eservices",
            Some("wrong-token-wrong-token-wrong-token"),
            None
        )
        .await
        .0,
        401
    );

    let body = json!({"name": "Tax portal", "redirect_uris": ["https://tax.example.md/cb"], "min_level": "substantial",
                      "scopes": ["openid", "email"]})
    .to_string();
    let (status, created) = call(&app, post.clone(), "/eservices", Some(token), Some(&body)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["client_id"].as_str().unwrap().to_owned();
    assert!(created["client_secret"].as_str().unwrap().len() >= 43);
    assert_eq!(created["min_level"], "substantial");

    let (status, list) = call(&app, get.clone(), "/eservices", Some(token), None).await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(
        list[0].get("client_secret").is_none(),
        "the secret is shown once"
    );
    let (status, one) = call(
        &app,
        get.clone(),
        &format!("/eservices/{id}"),
        Some(token),
        None,
    )
    .await;
    assert_eq!((status, one["name"].as_str()), (200, Some("Tax portal")));
    assert_eq!(
        call(&app, get.clone(), "/eservices/es_nope", Some(token), None)
            .await
            .0,
        404
    );

    let (status, d) = call(
        &app,
        post.clone(),
        &format!("/eservices/{id}/disable"),
        Some(token),
        None,
    )
    .await;
    assert_eq!((status, d["disabled"].as_bool()), (200, Some(true)));
    let (_, e) = call(
        &app,
        post.clone(),
        &format!("/eservices/{id}/enable"),
        Some(token),
        None,
    )
    .await;
    assert_eq!(e["disabled"], false);
    let (status, r) = call(
        &app,
        post.clone(),
        &format!("/eservices/{id}/rotate-secret"),
        Some(token),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_ne!(r["client_secret"], created["client_secret"]);

    // Bad input: a clear answer, nothing registered.
    for bad in [
        "{not json",
        r#"{"name": "X", "redirect_uris": ["http://evil.example/cb"]}"#,
        r#"{"name": "X", "redirect_uris": ["https://x.example/cb"], "surprise": 1}"#,
        r#"{"name": "X", "redirect_uris": ["https://x.example/cb"], "min_level": "extreme"}"#,
        r#"{"name": "", "redirect_uris": ["https://x.example/cb"]}"#,
    ] {
        let (status, err) = call(&app, post.clone(), "/eservices", Some(token), Some(bad)).await;
        assert_eq!(status, 400, "{bad}: {err}");
        assert!(err["error"].is_string() && err["message"].is_string());
    }
    assert_eq!(
        call(&app, get.clone(), "/eservices", Some(token), None)
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let kinds: Vec<String> = app
        .core
        .store
        .audit_range(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.event.kind)
        .collect();
    for k in [
        "admin.eservice-added",
        "admin.eservice-disabled",
        "admin.eservice-enabled",
        "admin.eservice-secret-rotated",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k}");
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_admin_route() {
    let app = TestApp::start().await;
    let (status, doc) = call(&app, reqwest::Method::GET, "/openapi.json", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.0.3");
    let paths = doc["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/eservices", &["get", "post"][..]),
        ("/eservices/{client_id}", &["get"][..]),
        ("/eservices/{client_id}/disable", &["post"][..]),
        ("/eservices/{client_id}/enable", &["post"][..]),
        ("/eservices/{client_id}/rotate-secret", &["post"][..]),
        ("/eservices/{client_id}/roles", &["get", "post"][..]),
        ("/eservices/{client_id}/roles/grants", &["post"][..]),
        ("/eservices/{client_id}/roles/withdraw", &["post"][..]),
        ("/organizations", &["post"][..]),
        ("/organizations/import", &["post"][..]),
        ("/organizations/{idno}", &["get"][..]),
        ("/organizations/{idno}/remove", &["post"][..]),
    ] {
        for m in methods {
            assert!(
                paths.get(path).and_then(|p| p.get(*m)).is_some(),
                "{m} {path}"
            );
        }
    }
    // Every route the web layer serves under /admin/api is in the document.
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../npass-web/src/lib.rs"
    ))
    .unwrap();
    for line in src.lines().filter(|l| l.contains("\"/admin/api/")) {
        let route = line
            .split('"')
            .nth(1)
            .unwrap()
            .trim_start_matches("/admin/api");
        if route == "/openapi.json" {
            continue;
        }
        let documented = route.replace("{action}", "disable");
        assert!(
            paths.contains_key(&documented),
            "{route} is not in openapi.json"
        );
    }
    // An independent validator.
    assert_valid_openapi(&doc.to_string());
}

#[tokio::test]
async fn the_admin_api_is_not_on_the_citizens_listener() {
    let app = TestApp::start().await;
    let token = std::fs::read_to_string(app.data_dir.join("admin.token")).unwrap();
    let http = reqwest::Client::new();
    for path in ["/admin/api/eservices", "/admin/api/openapi.json"] {
        let r = http
            .get(format!("{}{path}", app.base))
            .header("authorization", format!("Bearer {}", token.trim()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{path} on the citizens' listener");
    }
    // Nor are the citizens' pages on the admin listener.
    let r = http
        .get(format!("{}/login", app.admin_base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = http
        .get(format!("{}/admin/api/eservices", app.admin_base))
        .header("authorization", format!("Bearer {}", token.trim()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// Roles through the admin API: declared, administrators named, granted and withdrawn by the
/// operator; what cannot be done is refused with a problem and changes nothing.
#[tokio::test]
async fn roles_are_declared_granted_and_withdrawn_through_the_admin_api() {
    let app = TestApp::start().await;
    let token = std::fs::read_to_string(app.data_dir.join("admin.token")).unwrap();
    let t = Some(token.trim());
    registered(&app, &ION).await;
    registered(&app, &ANA).await;
    let (status, e) = call(
        &app,
        reqwest::Method::POST,
        "/eservices",
        t,
        Some(r#"{"name":"Tax portal","redirect_uris":["https://tax.example.md/cb"],"scopes":["openid","roles"]}"#),
    )
    .await;
    assert_eq!(status, 201, "{e}");
    let base = format!("/eservices/{}/roles", e["client_id"].as_str().unwrap());
    let body = format!(
        r#"{{"declare":["inspector","clerk"],"admins":["{}"]}}"#,
        ION.national_id
    );
    let (status, v) = call(&app, reqwest::Method::POST, &base, t, Some(&body)).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["roles"], serde_json::json!(["clerk", "inspector"]));
    assert_eq!(v["admins"], serde_json::json!([ION.national_id]));

    let grant = format!(r#"{{"national_id":"{}","role":"clerk"}}"#, ANA.national_id);
    let (status, v) = call(
        &app,
        reqwest::Method::POST,
        &format!("{base}/grants"),
        t,
        Some(&grant),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["grants"][0]["national_id"], ANA.national_id);
    assert_eq!(v["grants"][0]["role"], "clerk");
    assert_eq!(v["grants"][0]["granted_by"], "operator");
    assert!(v["grants"][0]["until"].is_null());

    // Refused: an undeclared role, a bad name, someone with no account, an unknown e-service,
    // no token; nothing changed.
    for (path, body, want) in [
        (
            format!("{base}/grants"),
            format!(r#"{{"national_id":"{}","role":"owner"}}"#, ANA.national_id),
            400,
        ),
        (
            base.clone(),
            r#"{"declare":["tax officer"]}"#.to_string(),
            400,
        ),
        (
            format!("{base}/grants"),
            r#"{"national_id":"2002003004015","role":"clerk"}"#.to_string(),
            400,
        ),
        (
            "/eservices/es_nobody/roles/grants".to_string(),
            grant.clone(),
            404,
        ),
    ] {
        let (status, v) = call(&app, reqwest::Method::POST, &path, t, Some(&body)).await;
        assert_eq!(status, want, "{path} {body}: {v}");
    }
    let (status, _) = call(
        &app,
        reqwest::Method::POST,
        &format!("{base}/grants"),
        None,
        Some(&grant),
    )
    .await;
    assert_eq!(status, 401);
    let (_, v) = call(&app, reqwest::Method::GET, &base, t, None).await;
    assert_eq!(v["grants"].as_array().unwrap().len(), 1);
    assert_eq!(v["roles"], serde_json::json!(["clerk", "inspector"]));

    // Withdrawn; withdrawing again finds nothing.
    let (status, v) = call(
        &app,
        reqwest::Method::POST,
        &format!("{base}/withdraw"),
        t,
        Some(&grant),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert!(v["grants"].as_array().unwrap().is_empty());
    let (status, _) = call(
        &app,
        reqwest::Method::POST,
        &format!("{base}/withdraw"),
        t,
        Some(&grant),
    )
    .await;
    assert_eq!(status, 404);

    // A role retired is no longer declared; one not declared is refused.
    let (status, v) = call(
        &app,
        reqwest::Method::POST,
        &base,
        t,
        Some(r#"{"retire":["inspector"]}"#),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["roles"], serde_json::json!(["clerk"]));
    let (status, _) = call(
        &app,
        reqwest::Method::POST,
        &base,
        t,
        Some(r#"{"retire":["inspector"]}"#),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(whose(&app, "admin.roles-retired").await.len(), 1);

    // An administration ends; ending it again finds nothing, and the audit says who did it.
    let remove = format!(r#"{{"remove_admins":["{}"]}}"#, ION.national_id);
    let (status, v) = call(&app, reqwest::Method::POST, &base, t, Some(&remove)).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["admins"], serde_json::json!([]));
    let (status, _) = call(&app, reqwest::Method::POST, &base, t, Some(&remove)).await;
    assert_eq!(status, 404);
    assert_eq!(whose(&app, "roles.admin-removed").await, ["operator"]);
}

/// Organisations through the admin API: added with an administrator, shown, and the national
/// register's CSV imported whole or not at all.
#[tokio::test]
async fn organisations_are_added_shown_and_imported_through_the_admin_api() {
    use npass_core::national_id::md_check_digit;
    let app = TestApp::start().await;
    let token = std::fs::read_to_string(app.data_dir.join("admin.token")).unwrap();
    let t = Some(token.trim());
    registered(&app, &ION).await;
    let idno = |body: &str| format!("{body}{}", md_check_digit(body).unwrap());
    let (a, b) = (idno("100360001234"), idno("100360009876"));
    let body = format!(
        r#"{{"idno":"{a}","name":"Test SRL","admins":["{}"]}}"#,
        ION.national_id
    );
    let (status, v) = call(
        &app,
        reqwest::Method::POST,
        "/organizations",
        t,
        Some(&body),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["id"], format!("NTRMD-{a}"));
    assert_eq!(v["members"][0]["national_id"], ION.national_id);
    assert_eq!(v["members"][0]["kind"], "admin");
    // A wrong check digit, an unknown organisation, no token.
    let (status, _) = call(
        &app,
        reqwest::Method::POST,
        "/organizations",
        t,
        Some(r#"{"idno":"1003600012340","name":"X"}"#),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = call(
        &app,
        reqwest::Method::GET,
        &format!("/organizations/{b}"),
        t,
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = call(
        &app,
        reqwest::Method::GET,
        &format!("/organizations/{a}"),
        None,
        None,
    )
    .await;
    assert_eq!(status, 401);
    // The register's CSV: line 3 is bad, so nothing is imported; then the good file.
    let post_csv = |csv: String| {
        let tok = token.trim().to_owned();
        let url = format!("{}/admin/api/organizations/import", app.admin_base);
        async move {
            let r = reqwest::Client::new()
                .post(url)
                .header("authorization", format!("Bearer {tok}"))
                .header("content-type", "text/csv")
                .body(csv)
                .send()
                .await
                .unwrap();
            (
                r.status().as_u16(),
                serde_json::from_slice::<Value>(&r.bytes().await.unwrap()).unwrap_or(Value::Null),
            )
        }
    };
    let (status, v) = post_csv(format!("idno,name\n{b},Alta SA\n123,Broken\n")).await;
    assert_eq!(status, 400, "{v}");
    let (status, _) = call(
        &app,
        reqwest::Method::GET,
        &format!("/organizations/{b}"),
        t,
        None,
    )
    .await;
    assert_eq!(status, 404, "nothing was imported");
    let (status, v) = post_csv(format!("idno,name\n{b},\"Alta, SA\"\n")).await;
    assert_eq!((status, v["imported"].as_i64()), (200, Some(1)), "{v}");
    let (_, v) = call(
        &app,
        reqwest::Method::GET,
        &format!("/organizations/{b}"),
        t,
        None,
    )
    .await;
    assert_eq!(v["name"], "Alta, SA");
    assert_eq!(v["source"], "register");

    // Ion's administration ends: from that moment he acts for it nowhere; once more, there is
    // nothing to end; someone never a member, or an unknown field, is refused.
    let remove = |idno: &str, body: String| {
        let path = format!("/organizations/{idno}/remove");
        let t = t.map(str::to_owned);
        let app = &app;
        async move { call(app, reqwest::Method::POST, &path, t.as_deref(), Some(&body)).await }
    };
    let ion_body = format!(r#"{{"national_id":"{}"}}"#, ION.national_id);
    let (status, v) = remove(&a, ion_body.clone()).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["members"], serde_json::json!([]));
    assert!(
        app.core
            .orgs
            .of(&crate::passkeys::ion_id(&app).await)
            .await
            .unwrap()
            .is_empty()
    );
    for (idno, body, want) in [
        (&a, ion_body.clone(), 404),
        (&b, ion_body.clone(), 404),
        (&a, r#"{"national_id":"2002003004015"}"#.to_owned(), 400),
        (
            &a,
            r#"{"national_id":"2000000000004","x":1}"#.to_owned(),
            400,
        ),
    ] {
        let (status, v) = remove(idno, body.clone()).await;
        assert_eq!(status, want, "{idno} {body}: {v}");
    }
    assert_eq!(whose(&app, "orgs.admin-removed").await, ["operator"]);
}

#[tokio::test]
async fn what_an_eservice_takes_of_logins_for_others_is_set_through_the_admin_api() {
    let app = TestApp::start().await;
    let token = std::fs::read_to_string(app.data_dir.join("admin.token")).unwrap();
    let t = Some(token.trim());
    let (status, e) = call(
        &app,
        reqwest::Method::POST,
        "/eservices",
        t,
        Some(r#"{"name":"Tax portal","redirect_uris":["https://tax.example.md/cb"],"scopes":["openid"]}"#),
    )
    .await;
    assert_eq!(status, 201, "{e}");
    assert_eq!(
        e["contexts"],
        serde_json::json!({"organizations": false, "mandates": false, "require": null})
    );
    let path = format!("/eservices/{}/contexts", e["client_id"].as_str().unwrap());
    let post = |body: &'static str| call(&app, reqwest::Method::POST, &path, t, Some(body));
    let (status, v) = post(r#"{"organizations":true,"require":"organization"}"#).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["contexts"],
        serde_json::json!({"organizations": true, "mandates": false, "require": "organization"})
    );
    // Refused, nothing changed: a required context it would not take, an unknown one, an
    // unknown field; an unknown e-service; no token.
    for (body, want) in [
        (r#"{"organizations":false}"#, 400),
        (r#"{"require":"person"}"#, 400),
        (r#"{"everyone":true}"#, 400),
    ] {
        let (status, v) = post(body).await;
        assert_eq!(status, want, "{body}: {v}");
    }
    let (status, _) = call(
        &app,
        reqwest::Method::POST,
        "/eservices/es_nobody/contexts",
        t,
        Some("{}"),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = call(&app, reqwest::Method::POST, &path, None, Some("{}")).await;
    assert_eq!(status, 401);
    let (_, shown) = call(
        &app,
        reqwest::Method::GET,
        &format!("/eservices/{}", e["client_id"].as_str().unwrap()),
        t,
        None,
    )
    .await;
    assert_eq!(shown["contexts"]["require"], "organization");
    assert_eq!(shown["contexts"]["organizations"], true);
    // The operator's change is in the audit trail, once (the refusals wrote nothing).
    let trail = app.core.store.audit_range(0, 1000).await.unwrap();
    let changes: Vec<_> = trail
        .iter()
        .filter(|r| r.event.kind == "admin.eservice-contexts")
        .collect();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].event.detail["require"], "organization");
    // Or at registration; refused there too when it does not hold together.
    let (status, e) = call(
        &app,
        reqwest::Method::POST,
        "/eservices",
        t,
        Some(r#"{"name":"Social portal","redirect_uris":["https://social.example.md/cb"],"scopes":["openid"],"contexts":{"mandates":true}}"#),
    )
    .await;
    assert_eq!(status, 201, "{e}");
    assert_eq!(
        e["contexts"],
        serde_json::json!({"organizations": false, "mandates": true, "require": null})
    );
    let (status, e) = call(
        &app,
        reqwest::Method::POST,
        "/eservices",
        t,
        Some(r#"{"name":"Cabinet","redirect_uris":["https://cabinet.example.md/cb"],"scopes":["openid"],"contexts":{"require":"organization"}}"#),
    )
    .await;
    assert_eq!(status, 400, "{e}");
}

/// Who did each act of `kind` in the audit trail, oldest first.
async fn whose(app: &TestApp, kind: &str) -> Vec<String> {
    npass_core::store::AuditStore::audit_range(&app.store, 0, i64::MAX)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.event.kind == kind)
        .map(|r| r.event.detail["by"].as_str().unwrap_or_default().to_owned())
        .collect()
}
