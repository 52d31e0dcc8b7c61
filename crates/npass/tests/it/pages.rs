//! Pages: headers, CSRF, languages, bad requests.

use crate::harness::*;

#[tokio::test]
async fn every_page_carries_the_security_headers() {
    let app = TestApp::start().await;
    let mut b = app.browser();
    for path in [
        "/login",
        "/register",
        "/no-such-page",
        "/account/two-step",
        "/static/npass.css",
    ] {
        let r = b.get(path).await;
        let h = |k: &str| {
            r.headers
                .get(k)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        };
        let csp = h("content-security-policy");
        for part in [
            "frame-ancestors 'none'",
            "object-src 'none'",
            "base-uri 'none'",
            "default-src 'none'",
        ] {
            assert!(csp.contains(part), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(h("x-frame-options"), "DENY", "{path}");
        assert_eq!(h("x-content-type-options"), "nosniff");
        assert_eq!(h("referrer-policy"), "no-referrer");
        assert!(h("strict-transport-security").starts_with("max-age="));
        assert!(!h("x-request-id").is_empty());
        // No third-party resources, no inline script: every script is one of npass's files.
        for tag in r.body.split("<script").skip(1) {
            let tag = tag.split('>').next().unwrap_or("");
            assert!(tag.contains(" src=\"/static/"), "{path}: <script{tag}>");
        }
        assert!(!r.body.contains("<script>"), "{path}");
        assert!(!r.body.contains("src=\"http"), "{path}");
        assert!(!r.body.contains("href=\"//"), "{path}");
    }
    let r = b.get("/no-such-page").await;
    r.status(404).has("The page does not exist.");
    for c in b.get("/login").await.set_cookies() {
        assert!(
            c.starts_with("__Host-") && c.contains("Secure") && c.contains("HttpOnly"),
            "{c}"
        );
    }
}

#[tokio::test]
async fn forms_without_a_valid_csrf_token_change_nothing() {
    let app = TestApp::start().await;
    let mut b = app.browser();
    b.get("/register").await;
    let fields = register_fields(&ION);
    b.post_raw("/register", &fields)
        .await
        .status(403)
        .has("did not come from this site");
    let mut with_bad = vec![("csrf", "forged-token")];
    with_bad.extend_from_slice(&fields);
    b.post_raw("/register", &with_bad).await.status(403);
    // A token from another browser does not fit this one.
    let mut other = app.browser();
    let token = other.get("/register").await.csrf();
    let mut stolen = vec![("csrf", token.as_str())];
    stolen.extend_from_slice(&fields);
    b.post_raw("/register", &stolen).await.status(403);
    // Cross-site POSTs fail even with a token.
    let mut ok = vec![("csrf", b.get("/register").await.csrf())];
    ok.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&ok)
        .finish();
    let rb = b
        .request(reqwest::Method::POST, "/register")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .body(body.clone());
    b.send(rb).await.status(403);
    // So do POSTs whose Origin is another site's, token or not; this site's passes (and the
    // opaque "null" that pages with no-referrer make browsers send).
    for origin in ["https://evil.example", "http://127.0.0.1:1", "not a url"] {
        let rb = b
            .request(reqwest::Method::POST, "/register")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", origin)
            .body(body.clone());
        b.send(rb)
            .await
            .status(403)
            .has("did not come from this site");
    }
    assert!(
        app.core
            .store
            .account_by_national_id(ION.national_id)
            .await
            .unwrap()
            .is_none()
    );
    let rb = b
        .request(reqwest::Method::POST, "/register")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", app.base.as_str())
        .body(body);
    b.send(rb).await.status(200);
    app.mail(ION.email, "/register/confirm?token=").await;
    // Logout too needs the token.
    let mut ion = registered(&app, &ANA).await;
    login(&mut ion, &ANA, "").await.status(303);
    ion.post_raw("/logout", &[]).await.status(403);
    ion.get("/account").await.status(200);
}

#[tokio::test]
async fn oversized_and_malformed_bodies_get_a_clear_answer() {
    let app = TestApp::start().await;
    let mut b = app.browser();
    let csrf = b.get("/login").await.csrf();
    let huge = "a".repeat(100_000);
    b.post_raw(
        "/login",
        &[("csrf", &csrf), ("national_id", &huge), ("password", "x")],
    )
    .await
    .status(413)
    .has("too large");
    let rb = b
        .request(reqwest::Method::POST, "/login")
        .header("content-type", "application/json")
        .body("{}");
    b.send(rb).await.status(415).has("could not be read");
    let rb = b
        .request(reqwest::Method::POST, "/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![0xff, 0xfe, 0x00, 0x41]);
    let r = b.send(rb).await;
    assert!(r.status == 400 || r.status == 403, "{}", r.status);
    // A long password is hashed, not refused for being long, up to the limit; then refused.
    b.post_raw(
        "/login",
        &[
            ("csrf", &csrf),
            ("national_id", ION.national_id),
            ("password", &"p".repeat(5000)),
        ],
    )
    .await
    .status(401);
}

#[tokio::test]
async fn languages_switch_are_remembered_and_unknown_ones_change_nothing() {
    let app = TestApp::start().await;
    let mut b = app.browser();
    b.lang = None;
    b.get("/login")
        .await
        .status(200)
        .has("<html lang=\"ro\">")
        .has("Autentificare")
        .has("Nu am cod de verificare");
    b.lang = Some("ru-RU,ru;q=0.9,en;q=0.5".into());
    b.get("/login").await.has("<html lang=\"ru\">").has("Вход");
    b.lang = Some("fr-FR, en;q=0.8".into());
    b.get("/login").await.has("<html lang=\"en\">");
    // ?lang= wins and is remembered.
    let r = b.get("/login?lang=ro").await;
    assert!(
        r.set_cookies()
            .iter()
            .any(|c| c.starts_with("__Host-npass-lang=ro"))
    );
    b.get("/register")
        .await
        .has("<html lang=\"ro\">")
        .has("Înregistrare");
    // An unknown language: a notice, the page still shown, the choice unchanged.
    let r = b.get("/register?lang=xx").await;
    r.status(200)
        .has("<html lang=\"ro\">")
        .has("Această limbă nu este disponibilă");
    assert!(!r.set_cookies().iter().any(|c| c.contains("npass-lang")));
    b.get("/login?lang=en").await.has("Log in");
    // The language links keep the rest of the query.
    b.get("/login?next=%2Faccount&lang=en")
        .await
        .has("next=")
        .has("lang=ro\" lang=\"ro\"");
}

#[tokio::test]
async fn seed_wording_appears_on_the_romanian_two_step_pages() {
    let app = TestApp::start().await;
    let mut b = registered(&app, &ION).await;
    b.lang = Some("ro".into());
    login(&mut b, &ION, "").await.status(303);
    b.get("/account/two-step")
        .await
        .has("Autentificare în doi pași")
        .has("Setează codul de verificare");
    b.get("/account/two-step/device")
        .await
        .has("Instalați aplicația Authenticator")
        .has("Ce tip de dispozitiv aveți?");
    let scan = b.get("/account/two-step/scan").await;
    scan.has("Adăugați contul npass în aplicația Authenticator")
        .has("Nu puteți scana codul QR?")
        .has("Introduceți codul de verificare")
        .has("Confirmă")
        .has("Anulează");
    let (_, secret) = scan_qr(&mut b).await;
    let done = b
        .post_raw(
            "/account/two-step/confirm",
            &[("csrf", &scan.csrf()), ("code", &app.code(&secret))],
        )
        .await;
    done.has("Codul de verificare a fost adăugat cu succes.");
    b.lang = Some("ru".into());
    b.get("/account/two-step")
        .await
        .has("Двухэтапная аутентификация включена с");
}

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::start().await;
    let mut b = app.browser();
    b.get("/healthz").await.status(200);
    b.get("/readyz").await.status(200).has("ready");
}

#[tokio::test]
async fn the_footer_names_the_assistance_centre_and_leads_to_the_services_own_pages() {
    let app = TestApp::start_with(|c| {
        c.branding.support_name = "Servicii Publice Electronice".into();
        c.branding.support_phone = "022 820 000".into();
        c.branding.support_email = "suport@example.md".into();
        c.branding.terms_url = "https://gov.example.md/termeni".into();
    })
    .await;
    let mut b = app.browser();
    b.lang = Some("ro".into());
    let page = b.get("/login").await;
    page.has("Centrul de asistență")
        .has("Servicii Publice Electronice")
        .has("href=\"tel:022 820 000\"")
        .has("href=\"mailto:suport@example.md\"")
        // The deployment's own terms; npass's built-in pages for the rest.
        .has("href=\"https://gov.example.md/termeni\"")
        .lacks("href=\"/terms\"")
        .has("href=\"/privacy\"")
        .has("href=\"/accessibility\"")
        .has("href=\"/help\"")
        .has("href=\"/integration\"");
    for (path, title) in [
        ("/help", "Ajutor și întrebări frecvente"),
        ("/privacy", "Politica de confidențialitate"),
        ("/accessibility", "Declarația de accesibilitate"),
        ("/terms", "Termeni și condiții"),
        ("/integration", "Procedura de integrare"),
    ] {
        b.get(path).await.status(200).has(title);
    }
    b.get("/integration")
        .await
        .has(&format!("{}/.well-known/openid-configuration", app.base));
    // Without a configured assistance centre, the footer points to the help pages.
    TestApp::start()
        .await
        .browser()
        .get("/login")
        .await
        .has("Answers to the common questions are in the help pages below.")
        .has("href=\"/help\"");
}
