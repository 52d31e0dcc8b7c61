//! The OpenID Connect provider, driven as an e-service and a browser would.

use data_encoding::{BASE64, BASE64URL_NOPAD};
use npass_core::login::Client;
use npass_core::model::Level;
use npass_core::oidc::flow::NewEService;
use npass_core::oidc::jwt::{SigningKey, verify_own};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::harness::*;

pub(crate) const CB: &str = "https://tax.example.md/callback";

pub struct Service {
    pub id: String,
    pub secret: String,
}

pub async fn service(app: &TestApp, min: Level, scopes: &[&str], national_id: bool) -> Service {
    let n = NewEService {
        name: "Tax portal".into(),
        redirect_uris: vec![CB.into(), "http://127.0.0.1:9999/cb".into()],
        min_level: Some(min),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        national_id_claim: national_id,
        ..Default::default()
    };
    add(app, n).await
}

/// Registers `n` (with a client secret).
pub async fn add(app: &TestApp, n: NewEService) -> Service {
    let (e, secret) = app
        .core
        .registry
        .add_eservice(n, &Client::default())
        .await
        .unwrap();
    Service {
        id: e.client_id.into(),
        secret: secret.unwrap(),
    }
}

/// A Tax portal at `CB` that takes back-channel logout at `uri`.
pub(crate) async fn with_backchannel(app: &TestApp, name: &str, uri: String) -> Service {
    let n = NewEService {
        name: name.into(),
        redirect_uris: vec![CB.into()],
        backchannel_logout_uri: uri,
        ..Default::default()
    };
    add(app, n).await
}

/// Waits (a bounded while) until the back-channel sink holds `n` requests; their bodies.
pub(crate) async fn delivered(
    got: &std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    n: usize,
) -> Vec<String> {
    for _ in 0..200 {
        if got.lock().unwrap().len() >= n {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    got.lock().unwrap().clone()
}

/// Answers the consent page, when that is where the browser is, with "allow"; follows on.
pub(crate) async fn allow_if_asked(b: &mut Browser, r: Resp) -> Resp {
    if r.status == 200 && r.body.contains("name=\"decision\"") {
        let req = field_value(&r.body, "req").unwrap();
        let c = b
            .post_raw(
                "/authorize/consent",
                &[("csrf", &r.csrf()), ("req", &req), ("decision", "allow")],
            )
            .await;
        follow(b, c).await
    } else {
        r
    }
}

pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

pub fn pkce() -> Pkce {
    let verifier = npass_core::rng::token(&npass_core::rng::OsRng);
    let challenge = BASE64URL_NOPAD.encode(&Sha256::digest(verifier.as_bytes()));
    Pkce {
        verifier,
        challenge,
    }
}

pub(crate) fn authorize_path(s: &Service, p: &Pkce, extra: &[(&str, &str)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("response_type", "code")
        .append_pair("client_id", &s.id)
        .append_pair("redirect_uri", CB)
        .append_pair("scope", "openid profile email")
        .append_pair("state", "st-123")
        .append_pair("nonce", "n-456")
        .append_pair("code_challenge", &p.challenge)
        .append_pair("code_challenge_method", "S256");
    let mut path = format!("/authorize?{}", q.finish());
    for (k, v) in extra {
        // replace or add
        let pairs: Vec<(String, String)> =
            form_urlencoded::parse(path.split_once('?').unwrap().1.as_bytes())
                .into_owned()
                .filter(|(pk, _)| pk != k)
                .collect();
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (pk, pv) in &pairs {
            q.append_pair(pk, pv);
        }
        if !v.is_empty() {
            q.append_pair(k, v);
        }
        path = format!("/authorize?{}", q.finish());
    }
    path
}

pub(crate) fn query_of(url: &str) -> std::collections::HashMap<String, String> {
    let q = url.split_once('?').map(|x| x.1).unwrap_or("");
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

/// Follows the browser through /authorize until it is sent back to the e-service (or to a
/// page it must act on). Returns the last response.
pub(crate) async fn follow(b: &mut Browser, mut r: Resp) -> Resp {
    for _ in 0..10 {
        let loc = r.location();
        if r.status != 303
            || loc.starts_with("https://")
            || loc.starts_with("http://")
            || loc.starts_with("/login")
        {
            return r;
        }
        r = b.get(&loc).await;
    }
    r
}

pub(crate) async fn go(b: &mut Browser, path: &str) -> Resp {
    let r = b.get(path).await;
    follow(b, r).await
}

/// A logged-in browser through authorize → (consent) → code.
pub(crate) async fn code_for(
    app: &TestApp,
    b: &mut Browser,
    s: &Service,
    p: &Pkce,
    extra: &[(&str, &str)],
) -> String {
    let r = go(b, &authorize_path(s, p, extra)).await;
    let r = allow_if_asked(b, r).await;
    let _ = app;
    assert_eq!(r.status, 303, "{}", r.body);
    let loc = r.location();
    assert!(loc.starts_with(CB), "{loc}");
    let q = query_of(&loc);
    assert_eq!(q.get("state").map(String::as_str), Some("st-123"));
    assert_eq!(q.get("iss"), Some(&app.base), "RFC 9207 iss");
    q.get("code")
        .cloned()
        .unwrap_or_else(|| panic!("no code in {loc}"))
}

async fn token(app: &TestApp, s: &Service, secret: &str, fields: &[(&str, &str)]) -> (u16, Value) {
    let client = reqwest::Client::new();
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let res = client
        .post(format!("{}/token", app.base))
        .header(
            "authorization",
            format!(
                "Basic {}",
                BASE64.encode(format!("{}:{}", s.id, secret).as_bytes())
            ),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (
        status,
        serde_json::from_slice(&res.bytes().await.unwrap()).unwrap_or(Value::Null),
    )
}

pub(crate) async fn redeem(app: &TestApp, s: &Service, code: &str, p: &Pkce) -> (u16, Value) {
    token(
        app,
        s,
        &s.secret,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CB),
            ("code_verifier", &p.verifier),
        ],
    )
    .await
}

pub(crate) async fn userinfo(app: &TestApp, at: &str) -> (u16, Value) {
    let res = reqwest::Client::new()
        .get(format!("{}/userinfo", app.base))
        .header("authorization", format!("Bearer {at}"))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (
        status,
        serde_json::from_slice(&res.bytes().await.unwrap()).unwrap_or(Value::Null),
    )
}

pub(crate) async fn jwks(app: &TestApp) -> Vec<SigningKey> {
    let v: Value = serde_json::from_slice(
        &reqwest::get(format!("{}/jwks", app.base))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| SigningKey {
            kid: k["kid"].as_str().unwrap().into(),
            alg: npass_core::relying::SigningAlg::parse(k["alg"].as_str().unwrap()).unwrap(),
            sealed_private: vec![],
            public_jwk: k.clone(),
            created_at: 0,
            retire_at: None,
            certificate: None,
        })
        .collect()
}

pub(crate) async fn logged_in(app: &TestApp, p: &Person) -> Browser {
    let mut b = registered(app, p).await;
    login(&mut b, p, "").await.status(303);
    b
}

#[tokio::test]
async fn discovery_and_jwks() {
    let app = TestApp::start().await;
    let d: Value = serde_json::from_slice(
        &reqwest::get(format!("{}/.well-known/openid-configuration", app.base))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(d["issuer"], app.base.as_str());
    assert_eq!(
        d["authorization_endpoint"],
        format!("{}/authorize", app.base)
    );
    assert_eq!(
        d["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(d["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(
        d["id_token_signing_alg_values_supported"],
        serde_json::json!(["ES256", "RS256"])
    );
    assert_eq!(d["authorization_response_iss_parameter_supported"], true);
    // Discovery lists what the introspection and revocation endpoints really accept.
    for ep in ["introspection", "revocation", "token"] {
        assert_eq!(
            d[format!("{ep}_endpoint_auth_methods_supported")],
            serde_json::json!(["client_secret_basic", "private_key_jwt"]),
            "{ep}"
        );
    }
    assert_eq!(d["response_modes_supported"], serde_json::json!(["query"]));
    // First start makes the ES256 key (OpenID Connect's default) and the RS256 one (SAML's).
    let keys = jwks(&app).await;
    assert_eq!(keys.len(), 2);
    let kty: Vec<&str> = keys
        .iter()
        .map(|k| k.public_jwk["kty"].as_str().unwrap())
        .collect();
    assert!(kty.contains(&"EC") && kty.contains(&"RSA"), "{kty:?}");
    assert!(
        keys.iter().all(|k| k.public_jwk.get("d").is_none()),
        "no private part in the JWKS"
    );
    // Documents a shared cache may keep, and answers to e-services, set no browser cookie (a
    // cache would hand the same one to everybody); pages still do.
    let client = reqwest::Client::new();
    for (method, path) in [
        ("GET", "/.well-known/openid-configuration"),
        ("GET", "/jwks"),
        ("POST", "/token"),
        ("GET", "/userinfo"),
    ] {
        let res = client
            .request(method.parse().unwrap(), format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert!(
            res.headers().get("set-cookie").is_none(),
            "{path} answered {} with a cookie",
            res.status()
        );
        assert!(res.headers().get("x-request-id").is_some(), "{path}");
    }
    let page = client
        .get(format!("{}/login", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("__Host-npass-pre=")),
        "the login page binds its form to the browser"
    );
}

#[tokio::test]
async fn code_flow_with_pkce_consent_tokens_and_userinfo() {
    let app = TestApp::start().await;
    let s = service(&app, Level::Low, &["openid", "profile", "email"], false).await;
    let mut b = registered(&app, &ION).await;
    let p = pkce();
    // Not logged in: the request is parked and the login form answers it, no redirect.
    let page = go(&mut b, &authorize_path(&s, &p, &[])).await;
    let next = page.login_next();
    assert!(next.starts_with("/authorize/continue?req="), "{next}");
    // Switching language leads to the login page for the same parked request.
    let to_ro = format!("/login?next={}&#38;lang=ro", npass_web::web::enc(&next));
    page.has(&to_ro).lacks("/authorize?response_type");
    app.browser()
        .get(&to_ro.replace("&#38;", "&"))
        .await
        .status(200)
        .has("Autentificare");
    let r = b
        .post_raw(
            "/login",
            &[
                ("csrf", &page.csrf()),
                ("national_id", ION.national_id),
                ("password", ION.password),
                ("next", &next),
            ],
        )
        .await;
    assert_eq!((r.status, r.location()), (303, next.clone()));
    // The consent page names the service and the data, in the citizen's language.
    let consent = b.get(&next).await;
    consent
        .status(200)
        .has("Tax portal")
        .has("Your name and date of birth")
        .has("Your email address");
    let req = field_value(&consent.body, "req").unwrap();
    let back = b
        .post_raw(
            "/authorize/consent",
            &[
                ("csrf", &consent.csrf()),
                ("req", &req),
                ("decision", "allow"),
            ],
        )
        .await;
    let back = follow(&mut b, back).await;
    let q = query_of(&back.location());
    assert_eq!(q["state"], "st-123");
    assert_eq!(q["iss"], app.base);
    let (status, tokens) = redeem(&app, &s, &q["code"], &p).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "openid profile email");

    let keys = jwks(&app).await;
    let id = verify_own(tokens["id_token"].as_str().unwrap(), &keys, "JWT")
        .expect("ID token verifies with the JWKS");
    assert_eq!(id["iss"], app.base.as_str());
    assert_eq!(id["aud"], s.id.as_str());
    assert_eq!(id["nonce"], "n-456");
    assert_eq!(id["acr"], "http://eidas.europa.eu/LoA/low");
    assert_eq!(id["amr"], serde_json::json!(["pwd"]));
    assert_eq!(id["auth_time"], T0 / 1000);
    assert_eq!(id["identity_assurance"], "self-asserted");
    assert!(id["exp"].as_i64().unwrap() > T0 / 1000);
    assert!(id.get("national_id").is_none());
    let at = tokens["access_token"].as_str().unwrap();
    assert!(
        verify_own(at, &keys, "at+jwt").is_some(),
        "access token is an RFC 9068 at+jwt"
    );
    assert!(
        verify_own(at, &keys, "JWT").is_none(),
        "distinct typ for access tokens"
    );

    let (status, info) = userinfo(&app, at).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["sub"], id["sub"]);
    assert_eq!(info["given_name"], "Ion");
    assert_eq!(info["family_name"], "Popescu");
    assert_eq!(info["email"], ION.email);
    assert!(info.get("national_id").is_none());

    // Consent is remembered: the next login to this service goes straight back with a code.
    let p2 = pkce();
    let code = code_for(&app, &mut b, &s, &p2, &[]).await;
    assert_eq!(redeem(&app, &s, &code, &p2).await.0, 200);
    // The citizen's history names the service and the data released.
    b.get("/account")
        .await
        .has("Details shared with a service")
        .has("Tax portal")
        .has("your name, your date of birth, your language, your email address")
        .lacks("given_name");
}

#[tokio::test]
async fn unknown_clients_and_unregistered_redirects_are_never_redirected_to() {
    let app = TestApp::start().await;
    let s = service(&app, Level::Low, &[], false).await;
    let mut b = app.browser();
    let p = pkce();
    let r = b
        .get(&authorize_path(
            &Service {
                id: "es_nope".into(),
                secret: String::new(),
            },
            &p,
            &[],
        ))
        .await;
    r.status(400).has("not registered with npass");
    assert!(r.location().is_empty());
    for bad in [
        "https://tax.example.md/callback/",
        "https://tax.example.md/callback?x=1",
        "https://TAX.example.md/callback",
        "https://tax.example.md:443/callback",
        "https://evil.example/callback",
        "http://127.0.0.1:9998/cb",
        "",
    ] {
        let r = b
            .get(&authorize_path(&s, &p, &[("redirect_uri", bad)]))
            .await;
        r.status(400).has("return address that is not registered");
        assert!(r.location().is_empty(), "{bad}");
    }
}

#[tokio::test]
async fn bad_requests_go_back_with_the_standard_errors() {
    let app = TestApp::start().await;
    let s = service(&app, Level::Low, &[], false).await;
    let mut b = app.browser();
    let p = pkce();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("code_challenge", "")], "invalid_request"),
        (&[("code_challenge_method", "plain")], "invalid_request"),
        (&[("code_challenge_method", "")], "invalid_request"),
        (&[("code_challenge", "short")], "invalid_request"),
        (&[("response_type", "token")], "unsupported_response_type"),
        (
            &[("response_type", "code id_token")],
            "unsupported_response_type",
        ),
        (&[("scope", "profile email")], "invalid_scope"),
        (&[("prompt", "none login")], "invalid_request"),
        (&[("max_age", "-5")], "invalid_request"),
        (
            &[("request", "eyJhbGciOiJub25lIn0.e30.")],
            "request_not_supported",
        ),
        // Only pushed requests' URNs are ours; any other request_uri is not supported.
        (
            &[("request_uri", "https://tax.example.md/req.jwt")],
            "request_uri_not_supported",
        ),
        // Only query responses exist: another mode is refused, not silently ignored.
        (&[("response_mode", "fragment")], "invalid_request"),
        (&[("response_mode", "form_post")], "invalid_request"),
        (&[("id_token_hint", "not.a.token")], "invalid_request"),
    ];
    for (extra, error) in cases {
        let r = b.get(&authorize_path(&s, &p, extra)).await;
        assert_eq!(r.status, 303, "{extra:?}");
        let q = query_of(&r.location());
        assert!(r.location().starts_with(CB));
        assert_eq!(
            q.get("error").map(String::as_str),
            Some(*error),
            "{extra:?}"
        );
        assert_eq!(q["state"], "st-123");
        assert_eq!(q["iss"], app.base);
    }
    // prompt=none without a session: login_required, silently.
    let r = go(&mut b, &authorize_path(&s, &p, &[("prompt", "none")])).await;
    assert_eq!(query_of(&r.location())["error"], "login_required");
}

#[tokio::test]
async fn codes_are_single_use_short_lived_and_bound_to_client_redirect_and_verifier() {
    let app = TestApp::start().await;
    let s = service(&app, Level::Low, &[], false).await;
    let other = service(&app, Level::Low, &[], false).await;
    let mut b = logged_in(&app, &ION).await;

    // Reuse: the second redemption fails and revokes the first one's tokens.
    let p = pkce();
    let code = code_for(&app, &mut b, &s, &p, &[]).await;
    let (status, t) = redeem(&app, &s, &code, &p).await;
    assert_eq!(status, 200);
    let at = t["access_token"].as_str().unwrap().to_owned();
    assert_eq!(userinfo(&app, &at).await.0, 200);
    let (status, e) = redeem(&app, &s, &code, &p).await;
    assert_eq!((status, e["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(
        userinfo(&app, &at).await.0,
        401,
        "tokens from a replayed code are revoked"
    );

    // Expired after 60 s.
    let p = pkce();
    let code = code_for(&app, &mut b, &s, &p, &[]).await;
    app.clock.advance_secs(61);
    assert_eq!(
        redeem(&app, &s, &code, &p).await.1["error"],
        "invalid_grant"
    );

    // Wrong verifier, missing verifier, wrong redirect_uri, another client.
    let p = pkce();
    let code = code_for(&app, &mut b, &s, &p, &[]).await;
    let wrong = pkce();
    assert_eq!(
        redeem(&app, &s, &code, &wrong).await.1["error"],
        "invalid_grant"
    );
    assert_eq!(
        redeem(&app, &s, &code, &p).await.1["error"],
        "invalid_grant",
        "a failed attempt spends the code"
    );
    let p = pkce();
    let code = code_for(&app, &mut b, &s, &p, &[]).await;
    let r = token(
        &app,
        &s,
        &s.secret,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
        ],
    )
    .await;
    assert_eq!(r.1["error"], "invalid_grant", "a verifier is required");
    let p = pkce();
    let code = code_for(&app, &mut b, &s, &p, &[]).await;
    let r = token(
        &app,
        &s,
        &s.secret,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:9999/cb"),
            ("code_verifier", &p.verifier),
        ],
    )
    .await;
    assert_eq!(r.1["error"], "invalid_grant");
    let p = pkce();
    let code = code_for(&app, &mut b, &s, &p, &[]).await;
    assert_eq!(
        redeem(&app, &other, &code, &p).await.1["error"],
        "invalid_grant"
    );

    // Client authentication.
    let p = pkce();
    let code = code_for(&app, &mut b, &s, &p, &[]).await;
    let (status, e) = token(
        &app,
        &s,
        "not-the-secret",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
            ("code_verifier", &p.verifier),
        ],
    )
    .await;
    assert_eq!((status, e["error"].as_str()), (401, Some("invalid_client")));
    // The failed attempt did not spend the code.
    assert_eq!(redeem(&app, &s, &code, &p).await.0, 200);
    let (status, e) = token(
        &app,
        &s,
        &s.secret,
        &[
            ("grant_type", "password"),
            ("username", "x"),
            ("password", "y"),
        ],
    )
    .await;
    assert_eq!(
        (status, e["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
    // Forged tokens get nothing.
    assert_eq!(
        userinfo(&app, "eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.e30.")
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn levels_step_up_and_are_never_overclaimed() {
    let app = TestApp::start().await;
    let strict = service(&app, Level::Substantial, &[], false).await;
    let mut b = registered(&app, &ANA).await;
    login(&mut b, &ANA, "").await.status(303);
    let (secret, _) = activate_two_step(&app, &mut b).await;
    app.clock.advance_secs(30);
    // Log in afresh with the password only: level low.
    let mut low = app.browser();
    login(&mut low, &ANA, "").await.status(401); // two-step is on: the code is needed now
    // The two-step browser's session is still low (it logged in before activation).
    let p = pkce();
    let r = go(&mut b, &authorize_path(&strict, &p, &[])).await;
    r.login_next();
    r.has("A stronger login is needed")
        .has("Tax portal needs the level of assurance &#34;substantial&#34;; you are logged in at &#34;low&#34;.")
        .has("Log in with your password and the verification code")
        .lacks("I don&#39;t have a verification code");
    // prompt=none cannot step up silently.
    let r = go(&mut b, &authorize_path(&strict, &p, &[("prompt", "none")])).await;
    assert_eq!(query_of(&r.location())["error"], "login_required");
    // With the code: substantial, and the tokens say so.
    let r = go(&mut b, &authorize_path(&strict, &p, &[])).await;
    let next = r.login_next();
    let code = app.code(&secret);
    let r = b
        .post_raw(
            "/login",
            &[
                ("csrf", &r.csrf()),
                ("national_id", ANA.national_id),
                ("password", ANA.password),
                ("code", &code),
                ("next", &next),
            ],
        )
        .await;
    assert_eq!(r.location(), next);
    let c = b.get(&next).await;
    let req = field_value(&c.body, "req").unwrap();
    let back = {
        let r = b
            .post_raw(
                "/authorize/consent",
                &[("csrf", &c.csrf()), ("req", &req), ("decision", "allow")],
            )
            .await;
        follow(&mut b, r).await
    };
    let (_, t) = redeem(&app, &strict, &query_of(&back.location())["code"], &p).await;
    let id = verify_own(t["id_token"].as_str().unwrap(), &jwks(&app).await, "JWT").unwrap();
    assert_eq!(id["acr"], "http://eidas.europa.eu/LoA/substantial");
    assert_eq!(id["amr"], serde_json::json!(["pwd", "otp", "mfa"]));

    // acr_values asking for high: npass cannot reach it by password and code, so it asks again
    // and never issues a code claiming high.
    let p = pkce();
    let r = go(
        &mut b,
        &authorize_path(
            &strict,
            &p,
            &[("acr_values", "http://eidas.europa.eu/LoA/high")],
        ),
    )
    .await;
    r.status(200)
        .has("This level needs an electronic signature.")
        .has("cannot be reached with the ways of logging in offered here")
        .lacks("action=\"/login\"");
    // Declining goes back to the e-service with the standard error, and no code.
    let req = field_value(&r.body, "req").unwrap();
    let back = b
        .post_raw(
            "/authorize/consent",
            &[("csrf", &r.csrf()), ("req", &req), ("decision", "deny")],
        )
        .await;
    let q = query_of(&back.location());
    assert_eq!(q["error"], "access_denied");
    assert!(!q.contains_key("code"));
    // max_age: a login older than asked is redone.
    app.clock.advance_secs(120);
    let p = pkce();
    let r = go(&mut b, &authorize_path(&strict, &p, &[("max_age", "60")])).await;
    r.login_next();
    r.has("The e-service asks you to log in again");
}

#[tokio::test]
async fn consent_can_be_refused_subjects_are_pairwise_and_the_national_id_needs_entitlement() {
    let app = TestApp::start().await;
    let a = service(
        &app,
        Level::Low,
        &["openid", "profile", "national_id"],
        false,
    )
    .await;
    let entitled = service(&app, Level::Low, &["openid", "national_id"], true).await;
    let mut b = logged_in(&app, &ION).await;

    // Refusal goes back as access_denied and records nothing.
    let p = pkce();
    let r = go(&mut b, &authorize_path(&a, &p, &[])).await;
    let req = field_value(&r.body, "req").unwrap();
    let back = b
        .post_raw(
            "/authorize/consent",
            &[("csrf", &r.csrf()), ("req", &req), ("decision", "deny")],
        )
        .await;
    assert_eq!(query_of(&back.location())["error"], "access_denied");

    let p = pkce();
    let code = code_for(
        &app,
        &mut b,
        &a,
        &p,
        &[("scope", "openid profile national_id")],
    )
    .await;
    let (_, t) = redeem(&app, &a, &code, &p).await;
    let (_, info_a) = userinfo(&app, t["access_token"].as_str().unwrap()).await;
    assert!(
        info_a.get("national_id").is_none(),
        "not entitled: {info_a}"
    );

    let p = pkce();
    let code = code_for(
        &app,
        &mut b,
        &entitled,
        &p,
        &[("scope", "openid national_id")],
    )
    .await;
    let (_, t) = redeem(&app, &entitled, &code, &p).await;
    let (_, info_e) = userinfo(&app, t["access_token"].as_str().unwrap()).await;
    assert_eq!(info_e["national_id"], ION.national_id);
    assert_eq!(info_e["national_id_scheme"], "md-idnp");
    assert_ne!(
        info_a["sub"], info_e["sub"],
        "pairwise subjects differ between e-services"
    );
    assert_ne!(info_a["sub"], ION.national_id);
}

pub(crate) async fn post_client(
    app: &TestApp,
    path: &str,
    s: &Service,
    fields: &[(&str, &str)],
) -> (u16, Value) {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let res = reqwest::Client::new()
        .post(format!("{}{path}", app.base))
        .header(
            "authorization",
            format!(
                "Basic {}",
                BASE64.encode(format!("{}:{}", s.id, s.secret).as_bytes())
            ),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (
        status,
        serde_json::from_slice(&res.bytes().await.unwrap()).unwrap_or(Value::Null),
    )
}

pub(crate) async fn fresh_tokens(app: &TestApp, b: &mut Browser, s: &Service) -> Value {
    let p = pkce();
    let code = code_for(app, b, s, &p, &[]).await;
    let (status, t) = redeem(app, s, &code, &p).await;
    assert_eq!(status, 200, "{t}");
    t
}

/// The refresh grant for `refresh_token`: (status, body).
pub(crate) async fn refresh(app: &TestApp, s: &Service, refresh_token: &str) -> (u16, Value) {
    post_client(
        app,
        "/token",
        s,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

/// Neither the access token nor the refresh token of `t` works any more.
pub(crate) async fn assert_revoked(app: &TestApp, s: &Service, t: &Value) {
    assert_eq!(
        userinfo(app, t["access_token"].as_str().unwrap()).await.0,
        401
    );
    let (_, e) = refresh(app, s, t["refresh_token"].as_str().unwrap()).await;
    assert_eq!(e["error"], "invalid_grant");
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reuse_revokes_the_whole_grant() {
    let app = TestApp::start().await;
    let s = service(&app, Level::Low, &[], false).await;
    let other = service(&app, Level::Low, &[], false).await;
    let mut b = logged_in(&app, &ION).await;
    let t1 = fresh_tokens(&app, &mut b, &s).await;
    let r1 = t1["refresh_token"].as_str().unwrap().to_owned();
    // The periodic sweep leaves live grants alone.
    app.core.federation.oidc_sweep().await.unwrap();

    // Another client cannot use it, and trying does not burn it.
    let (status, e) = post_client(
        &app,
        "/token",
        &other,
        &[("grant_type", "refresh_token"), ("refresh_token", &r1)],
    )
    .await;
    assert_eq!((status, e["error"].as_str()), (400, Some("invalid_grant")));
    // Asking for more scope than granted is refused.
    let (_, e) = post_client(
        &app,
        "/token",
        &s,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &r1),
            ("scope", "openid phone"),
        ],
    )
    .await;
    assert_eq!(e["error"], "invalid_scope");

    let (status, t2) = refresh(&app, &s, &r1).await;
    assert_eq!(status, 200, "{t2}");
    let r2 = t2["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(r1, r2, "rotated");
    let at2 = t2["access_token"].as_str().unwrap().to_owned();
    assert_eq!(userinfo(&app, &at2).await.0, 200);
    let id2 = verify_own(t2["id_token"].as_str().unwrap(), &jwks(&app).await, "JWT").unwrap();
    assert_eq!(
        id2["auth_time"],
        T0 / 1000,
        "a refresh keeps the original login time"
    );

    // Reusing the first one revokes everything in the grant, the newest tokens included.
    let (_, e) = refresh(&app, &s, &r1).await;
    assert_eq!(e["error"], "invalid_grant");
    let (_, e) = refresh(&app, &s, &r2).await;
    assert_eq!(e["error"], "invalid_grant");
    assert_eq!(userinfo(&app, &at2).await.0, 401);
    let trail = app.core.store.audit_range(0, 10_000).await.unwrap();
    assert!(trail.iter().any(|r| r.event.kind == "oidc.refresh-reused"));
    // Once the grant's lifetime is over, the sweep deletes it and its refresh tokens.
    app.clock.advance_secs(31 * 24 * 60 * 60);
    assert!(app.core.federation.oidc_sweep().await.unwrap() >= 3);
    assert_eq!(app.core.federation.oidc_sweep().await.unwrap(), 0);
}

/// An e-service that keeps a citizen signed in refreshes often: each refresh is in the audit
/// trail with the citizen and the grant, but the citizen's history still shows the login and
/// the release it made (design note 0007), not a page of refreshes.
#[tokio::test]
async fn refreshes_are_recorded_without_drowning_the_history() {
    let app = TestApp::start().await;
    let s = service(&app, Level::Low, &[], false).await;
    let mut b = logged_in(&app, &ION).await;
    let mut t = fresh_tokens(&app, &mut b, &s).await;
    for _ in 0..25 {
        let (status, next) = refresh(&app, &s, t["refresh_token"].as_str().unwrap()).await;
        assert_eq!(status, 200, "{next}");
        t = next;
    }
    let trail = app.core.store.audit_range(0, 10_000).await.unwrap();
    let issued: Vec<_> = trail
        .iter()
        .filter(|r| r.event.kind == "oidc.tokens-issued")
        .collect();
    assert_eq!(issued.len(), 1);
    let grant = issued[0].event.detail["grant"].clone();
    assert!(grant.as_str().is_some_and(|g| !g.is_empty()), "{grant}");
    let refreshed: Vec<_> = trail
        .iter()
        .filter(|r| r.event.kind == "oidc.tokens-refreshed")
        .collect();
    assert_eq!(refreshed.len(), 25);
    assert!(refreshed.iter().all(|r| {
        r.event.account_id == issued[0].event.account_id
            && r.event.detail["grant"] == grant
            && r.event.detail["client_id"] == s.id.as_str()
    }));
    b.get("/account")
        .await
        .has("Logged in")
        .has("Details shared with a service")
        .has("Tax portal");
}

/// Redemptions of one code racing each other: one gets tokens, and the others, being replays,
/// revoke them.
#[tokio::test]
async fn racing_redemptions_of_one_code_revoke_what_it_gave() {
    let app = TestApp::start().await;
    let s = service(&app, Level::Low, &[], false).await;
    let mut b = logged_in(&app, &ION).await;
    let p = pkce();
    let code = code_for(&app, &mut b, &s, &p, &[]).await;
    let redeem = || redeem(&app, &s, &code, &p);
    let (a, b, c, d) = tokio::join!(redeem(), redeem(), redeem(), redeem());
    let answers = [a, b, c, d];
    let won: Vec<&Value> = answers
        .iter()
        .filter(|(status, _)| *status == 200)
        .map(|(_, t)| t)
        .collect();
    assert_eq!(won.len(), 1, "{answers:?}");
    assert!(
        answers
            .iter()
            .all(|(status, t)| *status == 200 || t["error"] == "invalid_grant"),
        "{answers:?}"
    );
    assert_revoked(&app, &s, won[0]).await;
}

/// RFC 6749 §6: a narrower `scope` on a refresh narrows that response's tokens; the refresh
/// token it returns still carries the grant's scope, so a later refresh may ask for all of it.
#[tokio::test]
async fn a_narrower_refresh_keeps_the_grant_scope() {
    let app = TestApp::start().await;
    let s = service(&app, Level::Low, &["email"], false).await;
    let mut b = logged_in(&app, &ION).await;
    let p = pkce();
    let code = code_for(&app, &mut b, &s, &p, &[("scope", "openid email")]).await;
    let (status, t1) = redeem(&app, &s, &code, &p).await;
    assert_eq!(
        (status, t1["scope"].as_str()),
        (200, Some("openid email")),
        "{t1}"
    );
    let (status, t2) = post_client(
        &app,
        "/token",
        &s,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t1["refresh_token"].as_str().unwrap()),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_eq!(
        (status, t2["scope"].as_str()),
        (200, Some("openid")),
        "{t2}"
    );
    let (_, info) = userinfo(&app, t2["access_token"].as_str().unwrap()).await;
    assert!(
        info.get("email").is_none(),
        "the narrowed token releases no email: {info}"
    );
    let (status, t3) = refresh(&app, &s, t2["refresh_token"].as_str().unwrap()).await;
    assert_eq!(
        (status, t3["scope"].as_str()),
        (200, Some("openid email")),
        "{t3}"
    );
    let (_, info) = userinfo(&app, t3["access_token"].as_str().unwrap()).await;
    assert!(info.get("email").is_some(), "{info}");
}

#[tokio::test]
async fn revocation_introspection_logout_and_idle_limits() {
    let app = TestApp::start().await;
    let s = service(&app, Level::Low, &[], false).await;
    let other = service(&app, Level::Low, &[], false).await;
    let mut b = logged_in(&app, &ION).await;

    // Introspection: only for the client the token belongs to.
    let t = fresh_tokens(&app, &mut b, &s).await;
    let at = t["access_token"].as_str().unwrap();
    let rt = t["refresh_token"].as_str().unwrap();
    let (_, i) = post_client(&app, "/introspect", &s, &[("token", at)]).await;
    assert_eq!(i["active"], true);
    assert_eq!(i["client_id"], s.id.as_str());
    assert_eq!(i["scope"], "openid profile email");
    let (_, i) = post_client(&app, "/introspect", &other, &[("token", at)]).await;
    assert_eq!(i, serde_json::json!({"active": false}));
    let (_, i) = post_client(&app, "/introspect", &s, &[("token", rt)]).await;
    assert_eq!(
        (i["active"].as_bool(), i["token_type"].as_str()),
        (Some(true), Some("refresh_token"))
    );
    let (_, i) = post_client(&app, "/introspect", &s, &[("token", "garbage")]).await;
    assert_eq!(i["active"], false);

    // Revoking the refresh token ends the grant, its access token included.
    let (status, _) = post_client(&app, "/revoke", &other, &[("token", rt)]).await;
    assert_eq!(status, 200, "same answer for someone else's token");
    assert_eq!(userinfo(&app, at).await.0, 200, "... which is left alone");
    let (status, _) = post_client(
        &app,
        "/revoke",
        &s,
        &[("token", rt), ("token_type_hint", "refresh_token")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(userinfo(&app, at).await.0, 401);
    let (_, e) = refresh(&app, &s, rt).await;
    assert_eq!(e["error"], "invalid_grant");

    // Revoking an access token: that token only; its grant's refresh token still works.
    let t = fresh_tokens(&app, &mut b, &s).await;
    let at = t["access_token"].as_str().unwrap();
    post_client(&app, "/revoke", &s, &[("token", at)]).await;
    assert_eq!(userinfo(&app, at).await.0, 401);
    let (_, i) = post_client(&app, "/introspect", &s, &[("token", at)]).await;
    assert_eq!(i["active"], false);
    let (status, _) = refresh(&app, &s, t["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 200);

    // An unused refresh token expires after a day; access tokens after ten minutes.
    let mut b = app.browser();
    login(&mut b, &ION, "").await.status(303);
    let t = fresh_tokens(&app, &mut b, &s).await;
    app.clock.advance_secs(601);
    assert_eq!(
        userinfo(&app, t["access_token"].as_str().unwrap()).await.0,
        401
    );
    app.clock.advance_secs(24 * 3600);
    let (_, e) = refresh(&app, &s, t["refresh_token"].as_str().unwrap()).await;
    assert_eq!(e["error"], "invalid_grant");

    // Changing the password revokes the tokens the account's e-services hold.
    let mut b = app.browser();
    login(&mut b, &ION, "").await.status(303);
    let t = fresh_tokens(&app, &mut b, &s).await;
    let new_password = "a different passphrase for Ion";
    b.submit(
        "/account/password",
        "/account/password",
        &[
            ("password", new_password),
            ("password_confirm", new_password),
        ],
    )
    .await
    .status(303);
    assert_revoked(&app, &s, &t).await;

    // Logging out of npass revokes what the session gave.
    let t = fresh_tokens(&app, &mut b, &s).await;
    b.submit("/account", "/logout", &[]).await.status(303);
    assert_revoked(&app, &s, &t).await;
}

/// A tiny HTTP endpoint standing in for an e-service's back-channel logout URI.
pub(crate) async fn backchannel_sink() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    backchannel_sink_failing(0).await
}

/// `backchannel_sink` whose first `fail_first` answers are 503 (each body is kept all the same).
async fn backchannel_sink_failing(
    fail_first: usize,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = got.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let mut buf = vec![0u8; 16384];
            let mut n = 0;
            // Read until the whole body (Content-Length) is in.
            while let Ok(k) = sock.read(&mut buf[n..]).await {
                if k == 0 {
                    break;
                }
                n += k;
                let text = String::from_utf8_lossy(&buf[..n]).to_string();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len = head
                        .lines()
                        .find_map(|l| {
                            l.to_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if body.len() >= len {
                        keep.lock().unwrap().push(body.to_owned());
                        break;
                    }
                }
            }
            let answer: &[u8] = if keep.lock().unwrap().len() <= fail_first {
                b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            } else {
                b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            };
            let _ = sock.write_all(answer).await;
        }
    });
    (format!("http://{addr}/bc"), got)
}

#[tokio::test]
async fn rp_initiated_and_back_channel_logout() {
    let app = TestApp::start().await;
    let (bc_uri, got) = backchannel_sink().await;
    let n = NewEService {
        name: "Tax portal".into(),
        redirect_uris: vec![CB.into()],
        post_logout_redirect_uris: vec!["https://tax.example.md/bye".into()],
        backchannel_logout_uri: bc_uri,
        ..Default::default()
    };
    let s = add(&app, n).await;
    let mut b = logged_in(&app, &ION).await;
    let t = fresh_tokens(&app, &mut b, &s).await;
    let id_token = t["id_token"].as_str().unwrap();
    let id = verify_own(id_token, &jwks(&app).await, "JWT").unwrap();
    assert!(id["sid"].as_str().is_some_and(|x| x.len() == 32));

    let q = |uri: &str| {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("id_token_hint", id_token)
            .append_pair("post_logout_redirect_uri", uri)
            .append_pair("state", "bye-1")
            .finish()
    };
    // An unregistered target is refused, never followed.
    let r = b
        .get(&format!("/end-session?{}", q("https://evil.example/bye")))
        .await;
    r.status(400);
    assert!(r.location().is_empty());
    // A GET alone does not log out: the citizen confirms.
    let page = b
        .get(&format!("/end-session?{}", q("https://tax.example.md/bye")))
        .await;
    page.status(200).has("Log out of npass?");
    b.get("/account").await.status(200);
    let mut fields: Vec<(String, String)> = vec![("csrf".into(), page.csrf())];
    for k in ["id_token_hint", "post_logout_redirect_uri", "state"] {
        fields.push((k.into(), field_value(&page.body, k).unwrap()));
    }
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = b.post_raw("/end-session", &refs).await;
    assert_eq!(
        (r.status, r.location()),
        (303, "https://tax.example.md/bye?state=bye-1".to_string())
    );
    b.get("/account").await.status(303);
    assert_eq!(
        userinfo(&app, t["access_token"].as_str().unwrap()).await.0,
        401
    );

    // The e-service was told over the back channel with a signed logout token.
    let mut body = None;
    for _ in 0..100 {
        if let Some(x) = got.lock().unwrap().first().cloned() {
            body = Some(x);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let body = body.expect("a back-channel logout request");
    let token = form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "logout_token")
        .unwrap()
        .1
        .into_owned();
    let keys = jwks(&app).await;
    assert!(
        verify_own(&token, &keys, "JWT").is_none(),
        "a distinct typ for logout tokens"
    );
    let lt = verify_own(&token, &keys, "logout+jwt").unwrap();
    assert_eq!(lt["aud"], s.id.as_str());
    assert_eq!(lt["sub"], id["sub"]);
    assert_eq!(lt["sid"], id["sid"]);
    assert!(
        lt["events"]
            .get("http://schemas.openid.net/event/backchannel-logout")
            .is_some()
    );
    assert!(lt.get("nonce").is_none());
}

#[tokio::test]
async fn citizens_see_and_withdraw_connected_services() {
    let app = TestApp::start().await;
    let s = service(&app, Level::Low, &[], false).await;
    let mut b = logged_in(&app, &ION).await;
    b.get("/account")
        .await
        .has("You have not shared details with any service yet.");
    let t = fresh_tokens(&app, &mut b, &s).await;
    let page = b.get("/account").await;
    page.has("Connected services")
        .has("Tax portal")
        .has("Stop sharing with Tax portal")
        // When it last received details, and which, in words and local time.
        .has("Last received on 2025-11-23 02:00 EET: an identifier used only for that service, how sure npass is of your identity, your name");
    let r = b
        .post_raw(
            "/account/services/withdraw",
            &[("csrf", &page.csrf()), ("client_id", &s.id)],
        )
        .await;
    assert_eq!(
        (r.status, r.location()),
        (303, "/account?done=service-withdrawn".to_string())
    );
    assert_revoked(&app, &s, &t).await;
    b.get("/account?done=service-withdrawn")
        .await
        .has("no longer receives your details")
        .has("You have not shared details");
    // The next login to it asks again.
    let p = pkce();
    let r = go(&mut b, &authorize_path(&s, &p, &[])).await;
    r.status(200).has("Share your details");
}

#[tokio::test]
async fn pushed_authorization_requests() {
    let app = TestApp::start().await;
    let n = NewEService {
        name: "Tax portal".into(),
        redirect_uris: vec![CB.into()],
        require_par: true,
        ..Default::default()
    };
    let s = add(&app, n).await;
    let mut b = logged_in(&app, &ION).await;
    let p = pkce();
    // This e-service must push: a plain request goes back with an error.
    let r = b.get(&authorize_path(&s, &p, &[])).await;
    assert_eq!(query_of(&r.location())["error"], "invalid_request");

    let params: Vec<(String, String)> = form_urlencoded::parse(
        authorize_path(&s, &p, &[])
            .split_once('?')
            .unwrap()
            .1
            .as_bytes(),
    )
    .into_owned()
    .collect();
    let refs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (status, pushed) = post_client(&app, "/par", &s, &refs).await;
    assert_eq!(status, 201, "{pushed}");
    assert_eq!(pushed["expires_in"], 90);
    let uri = pushed["request_uri"].as_str().unwrap().to_owned();
    assert!(uri.starts_with("urn:ietf:params:oauth:request_uri:"));
    // Bad pushes: unregistered redirect, wrong client authentication.
    let mut bad = refs.clone();
    bad.retain(|(k, _)| *k != "redirect_uri");
    bad.push(("redirect_uri", "https://evil.example/cb"));
    let (status, err) = post_client(&app, "/par", &s, &bad).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let wrong = Service {
        id: s.id.clone(),
        secret: "wrong".into(),
    };
    assert_eq!(post_client(&app, "/par", &wrong, &refs).await.0, 401);

    let path = format!(
        "/authorize?{}",
        form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", &s.id)
            .append_pair("request_uri", &uri)
            .finish()
    );
    let r = go(&mut b, &path).await;
    let req = field_value(&r.body, "req").unwrap();
    let back = b
        .post_raw(
            "/authorize/consent",
            &[("csrf", &r.csrf()), ("req", &req), ("decision", "allow")],
        )
        .await;
    let back = follow(&mut b, back).await;
    let code = query_of(&back.location())["code"].clone();
    assert_eq!(redeem(&app, &s, &code, &p).await.0, 200);
    // The request_uri works once, and expires.
    b.get(&path)
        .await
        .status(400)
        .has("expired or was already used");
    let (_, pushed) = post_client(&app, "/par", &s, &refs).await;
    app.clock.advance_secs(91);
    let path = format!(
        "/authorize?client_id={}&request_uri={}",
        s.id,
        crate::harness::enc(pushed["request_uri"].as_str().unwrap())
    );
    b.get(&path).await.status(400);
}

#[tokio::test]
async fn key_rotation_keeps_old_tokens_valid_until_they_expire() {
    let app = TestApp::start().await;
    let s = service(&app, Level::Low, &[], false).await;
    let mut b = logged_in(&app, &ION).await;
    let before = fresh_tokens(&app, &mut b, &s).await;
    let old_kid = kid_of(before["id_token"].as_str().unwrap());
    // One new key per algorithm in use (ES256 first, then RS256).
    let new_kid = app
        .core
        .keys
        .rotate(&Client::default())
        .await
        .unwrap()
        .remove(0);
    assert_ne!(old_kid, new_kid);
    let keys = jwks(&app).await;
    assert_eq!(
        keys.len(),
        4,
        "old and new of both algorithms during the overlap"
    );
    assert!(verify_own(before["id_token"].as_str().unwrap(), &keys, "JWT").is_some());
    assert_eq!(
        userinfo(&app, before["access_token"].as_str().unwrap())
            .await
            .0,
        200
    );
    // The old key signs until every cache of the JWKS has the new one ...
    let meanwhile = fresh_tokens(&app, &mut b, &s).await;
    assert_eq!(kid_of(meanwhile["id_token"].as_str().unwrap()), old_kid);
    // ... then the new key takes over.
    app.clock.advance_secs(311);
    let after = fresh_tokens(&app, &mut b, &s).await;
    assert_eq!(
        kid_of(after["id_token"].as_str().unwrap()),
        new_kid,
        "new tokens use the new key"
    );
    app.clock.advance_secs(3601);
    let keys = jwks(&app).await;
    assert_eq!(keys.len(), 2, "the old ones are gone");
    assert!(keys.iter().any(|k| k.kid == new_kid));
    assert!(!keys.iter().any(|k| k.kid == old_kid));
}

#[tokio::test]
async fn private_key_jwt_client_authentication() {
    use npass_core::oidc::jwt::{generate_es256, sign_es256};
    let app = TestApp::start().await;
    let (der, jwk) = generate_es256("rp-key-1").unwrap();
    let (other_der, _) = generate_es256("rp-key-1").unwrap();
    // A JWKS with a private part is refused at registration.
    let mut leaky = jwk.clone();
    leaky["d"] = Value::String("secret".into());
    let n = |jwks: Value| NewEService {
        name: "Tax portal".into(),
        redirect_uris: vec![CB.into()],
        auth_method: "private_key_jwt".into(),
        jwks: Some(jwks),
        ..Default::default()
    };
    assert!(
        app.core
            .registry
            .add_eservice(n(serde_json::json!({"keys": [leaky]})), &Client::default())
            .await
            .is_err()
    );
    let (e, secret) = app
        .core
        .registry
        .add_eservice(n(serde_json::json!({"keys": [jwk]})), &Client::default())
        .await
        .unwrap();
    assert!(
        secret.is_none(),
        "no secret for a key-authenticated e-service"
    );
    let s = Service {
        id: e.client_id.to_string(),
        secret: String::new(),
    };
    let mut b = logged_in(&app, &ION).await;
    let now_s = app.now() / 1000;
    let assertion = |der: &[u8], aud: &str, exp: i64, jti: &str| {
        let claims = serde_json::json!({"iss": e.client_id, "sub": e.client_id, "aud": aud, "exp": exp, "iat": now_s, "jti": jti});
        sign_es256(der, "rp-key-1", "JWT", &claims).unwrap()
    };
    let token_endpoint = format!("{}/token", app.base);
    // Refusals first, each with a fresh code (a failed client authentication spends no code).
    let p = pkce();
    let code = code_for(&app, &mut b, &s, &p, &[]).await;
    for bad in [
        assertion(&other_der, &token_endpoint, now_s + 60, "j-1"),
        assertion(
            &der,
            "https://someone-else.example/token",
            now_s + 60,
            "j-2",
        ),
        assertion(&der, &token_endpoint, now_s - 1, "j-3"),
        assertion(&der, &token_endpoint, now_s + 3600, "j-4"),
        "eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.".to_string(),
    ] {
        let (status, err) = token_with_assertion(&app, pkce_copy(&p), code.clone(), bad).await;
        assert_eq!(
            (status, err["error"].as_str()),
            (401, Some("invalid_client")),
            "{err}"
        );
    }
    let good = assertion(&der, &token_endpoint, now_s + 60, "j-ok");
    let (status, t) = token_with_assertion(&app, pkce_copy(&p), code, good.clone()).await;
    assert_eq!(status, 200, "{t}");
    // The same assertion again is a replay.
    let p2 = pkce();
    let code2 = code_for(&app, &mut b, &s, &p2, &[]).await;
    let (status, err) = token_with_assertion(&app, pkce_copy(&p2), code2.clone(), good).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (401, Some("invalid_client"))
    );
    // The issuer itself is an accepted audience too.
    let (status, _) = token_with_assertion(
        &app,
        p2,
        code2,
        assertion(&der, &app.base, now_s + 60, "j-iss"),
    )
    .await;
    assert_eq!(status, 200);
    // Basic authentication is not accepted for this e-service.
    let (status, _) = token(
        &app,
        &s,
        "anything",
        &[("grant_type", "refresh_token"), ("refresh_token", "x")],
    )
    .await;
    assert_eq!(status, 401);
}

/// Redeems a code with a `private_key_jwt` client assertion; returns the status and the body.
async fn token_with_assertion(
    app: &TestApp,
    p: Pkce,
    code: String,
    assertion: String,
) -> (u16, Value) {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CB),
            ("code_verifier", p.verifier.as_str()),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion.as_str()),
        ])
        .finish();
    let res = reqwest::Client::new()
        .post(format!("{}/token", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (
        status,
        serde_json::from_slice(&res.bytes().await.unwrap()).unwrap_or(Value::Null),
    )
}

fn pkce_copy(p: &Pkce) -> Pkce {
    Pkce {
        verifier: p.verifier.clone(),
        challenge: p.challenge.clone(),
    }
}

#[tokio::test]
async fn rs256_for_e_services_that_need_it() {
    let app = TestApp::start().await;
    let n = NewEService {
        name: "Legacy portal".into(),
        redirect_uris: vec![CB.into()],
        id_token_alg: Some("RS256".into()),
        ..Default::default()
    };
    let s = add(&app, n).await;
    let bad = NewEService {
        name: "X".into(),
        redirect_uris: vec![CB.into()],
        id_token_alg: Some("HS256".into()),
        ..Default::default()
    };
    assert!(
        app.core
            .registry
            .add_eservice(bad, &Client::default())
            .await
            .is_err(),
        "only asymmetric algorithms"
    );
    let keys = jwks(&app).await;
    let rsa: Vec<_> = keys
        .iter()
        .filter(|k| k.public_jwk["kty"] == "RSA")
        .collect();
    assert_eq!(rsa.len(), 1);
    for private in ["d", "p", "q", "dp", "dq", "qi"] {
        assert!(rsa[0].public_jwk.get(private).is_none());
    }
    let mut b = logged_in(&app, &ION).await;
    let t = fresh_tokens(&app, &mut b, &s).await;
    let id_token = t["id_token"].as_str().unwrap();
    let header: Value = serde_json::from_slice(
        &BASE64URL_NOPAD
            .decode(id_token.split('.').next().unwrap().as_bytes())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "RS256");
    assert_eq!(
        verify_own(id_token, &keys, "JWT").unwrap()["aud"],
        s.id.as_str()
    );
    // Access tokens stay ES256 (npass verifies them itself).
    let at_header: Value = serde_json::from_slice(
        &BASE64URL_NOPAD
            .decode(
                t["access_token"]
                    .as_str()
                    .unwrap()
                    .split('.')
                    .next()
                    .unwrap()
                    .as_bytes(),
            )
            .unwrap(),
    )
    .unwrap();
    assert_eq!(at_header["alg"], "ES256");
    assert_eq!(
        userinfo(&app, t["access_token"].as_str().unwrap()).await.0,
        200
    );
}

/// Serves whatever JWKS the test puts in `current` at any path.
async fn jwks_server(current: std::sync::Arc<std::sync::Mutex<String>>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf).await;
            let body = current.lock().unwrap().clone();
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = sock.write_all(head.as_bytes()).await;
            let _ = sock.write_all(body.as_bytes()).await;
        }
    });
    format!("http://{addr}/jwks")
}

#[tokio::test]
async fn private_key_jwt_with_published_keys_follows_their_rotation() {
    use npass_core::oidc::jwt::{generate_es256, sign_es256};
    let app = TestApp::start().await;
    let (der1, jwk1) = generate_es256("k1").unwrap();
    let (der2, jwk2) = generate_es256("k2").unwrap();
    let published = std::sync::Arc::new(std::sync::Mutex::new(
        serde_json::json!({"keys": [jwk1]}).to_string(),
    ));
    let uri = jwks_server(published.clone()).await;
    let bad = NewEService {
        name: "Tax portal".into(),
        redirect_uris: vec![CB.into()],
        auth_method: "private_key_jwt".into(),
        jwks_uri: "http://evil.example/jwks".into(),
        ..Default::default()
    };
    assert!(
        app.core
            .registry
            .add_eservice(bad, &Client::default())
            .await
            .is_err(),
        "https (or loopback) only"
    );
    let n = NewEService {
        name: "Tax portal".into(),
        redirect_uris: vec![CB.into()],
        auth_method: "private_key_jwt".into(),
        jwks_uri: uri,
        ..Default::default()
    };
    let (e, _) = app
        .core
        .registry
        .add_eservice(n, &Client::default())
        .await
        .unwrap();
    let s = Service {
        id: e.client_id.to_string(),
        secret: String::new(),
    };
    let mut b = logged_in(&app, &ION).await;
    let now_s = app.now() / 1000;
    let assertion = |der: &[u8], kid: &str, jti: &str| {
        let claims = serde_json::json!({"iss": e.client_id, "sub": e.client_id, "aud": app.base, "exp": now_s + 60, "jti": jti});
        sign_es256(der, kid, "JWT", &claims).unwrap()
    };
    let p = pkce();
    let code = code_for(&app, &mut b, &s, &p, &[]).await;
    assert_eq!(
        token_with_assertion(&app, pkce_copy(&p), code, assertion(&der1, "k1", "a1"))
            .await
            .0,
        200
    );
    // The e-service rotates: npass's cached copy lacks k2, so it fetches again (at most every
    // 10 s) and accepts ...
    *published.lock().unwrap() = serde_json::json!({"keys": [jwk2]}).to_string();
    app.clock.advance_secs(11);
    let p = pkce();
    let code = code_for(&app, &mut b, &s, &p, &[]).await;
    assert_eq!(
        token_with_assertion(&app, p, code, assertion(&der2, "k2", "a2"))
            .await
            .0,
        200
    );
    // ... and from then on the withdrawn k1 no longer works.
    app.clock.advance_secs(11);
    let p = pkce();
    let code = code_for(&app, &mut b, &s, &p, &[]).await;
    assert_eq!(
        token_with_assertion(&app, p, code, assertion(&der1, "k1", "a3"))
            .await
            .0,
        401,
        "k1 is gone"
    );
}

/// An e-service that needs level high: password and code cannot reach it, the e-signature can,
/// and the tokens say so (`acr` high, `amr` sc + hwk).
#[tokio::test]
async fn an_e_service_asking_for_level_high_gets_it_through_an_e_signature() {
    use crate::esign::{Citizen, Pki, begin_for, npass_sign, pem_args, start};
    let pki = Pki::new().await;
    let app = start(&pki).await;
    let high = service(&app, Level::High, &[], false).await;
    let (key, chain) = pki.issue(&Citizen::new(11001, &pki.crl_url), true);
    registered(&app, &ION).await;
    let mut b = app.browser();
    let p = pkce();
    let r = go(&mut b, &authorize_path(&high, &p, &[])).await;
    let next = r.login_next();
    r.has("Log in with e-signature");
    let (wait, text) = begin_for(&mut b, &next).await;
    let (code, _, err) = npass_sign(pem_args(&key, &chain, &text), vec![]).await;
    assert_eq!(code, 0, "{err}");
    let r = b.get(&wait).await;
    assert_eq!(r.location(), next);
    let c = b.get(&next).await;
    let req = field_value(&c.body, "req").unwrap();
    let r = b
        .post_raw(
            "/authorize/consent",
            &[("csrf", &c.csrf()), ("req", &req), ("decision", "allow")],
        )
        .await;
    let back = follow(&mut b, r).await;
    let (status, t) = redeem(&app, &high, &query_of(&back.location())["code"], &p).await;
    assert_eq!(status, 200, "{t}");
    let id = verify_own(t["id_token"].as_str().unwrap(), &jwks(&app).await, "JWT").unwrap();
    assert_eq!(id["acr"], "http://eidas.europa.eu/LoA/high");
    assert_eq!(id["amr"], serde_json::json!(["sc", "hwk"]));
    // The certificate's issuer and serial stay in npass.
    let (_, info) = userinfo(&app, t["access_token"].as_str().unwrap()).await;
    assert!(!info.to_string().contains("Test Qualified CA"));
}

/// Serves one HTTP response per connection on 127.0.0.1: `body` in 4 KiB chunks, with no
/// declared length (chunked), so only reading reveals the size.
async fn chunked_server(body: Vec<u8>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut c, _)) = l.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut req = [0u8; 2048];
                let _ = c.read(&mut req).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                            transfer-encoding: chunked\r\nconnection: close\r\n\r\n";
                if c.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                for part in body.chunks(4096) {
                    let frame =
                        [format!("{:x}\r\n", part.len()).as_bytes(), part, b"\r\n"].concat();
                    if c.write_all(&frame).await.is_err() {
                        return;
                    }
                }
                let _ = c.write_all(b"0\r\n\r\n").await;
            });
        }
    });
    format!("http://{addr}/jwks")
}

#[tokio::test]
async fn a_published_key_set_is_read_up_to_64_kib_and_no_further() {
    use npass_core::oidc::KeyFetcher;
    let fetcher = npass::keyfetch::HttpKeyFetcher::new(npass::keyfetch::outbound_client().unwrap());
    let small = chunked_server(br#"{"keys": []}"#.to_vec()).await;
    assert_eq!(
        fetcher.fetch(&small).await.unwrap(),
        serde_json::json!({"keys": []})
    );
    // A megabyte of JSON whitespace and no length header: refused once 64 KiB have arrived.
    let mut big = b"{\"keys\": [".to_vec();
    big.extend(std::iter::repeat_n(b' ', 1024 * 1024));
    big.extend(b"]}");
    let huge = chunked_server(big).await;
    assert_eq!(
        fetcher.fetch(&huge).await.unwrap_err(),
        "larger than 64 KiB"
    );
}

#[tokio::test]
async fn the_authorization_endpoint_takes_post_too() {
    let app = TestApp::start().await;
    let s = service(&app, Level::Low, &["profile", "email"], false).await;
    let mut b = logged_in(&app, &ION).await;
    let p = pkce();
    // The e-service's page posts the form cross-site: no Lax cookie comes with it, so npass
    // parks the request and goes on with a GET, which carries the session.
    let form = authorize_path(&s, &p, &[])
        .split_once('?')
        .unwrap()
        .1
        .to_owned();
    let rb = app
        .browser()
        .request(reqwest::Method::POST, "/authorize")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", "https://tax.example.md")
        .header("sec-fetch-site", "cross-site")
        .body(form);
    let r = app.browser().send(rb).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.location().starts_with("/authorize/continue?req="));
    let r = go(&mut b, &r.location()).await;
    let r = allow_if_asked(&mut b, r).await;
    let code = query_of(&r.location())["code"].clone();
    let (status, t) = redeem(&app, &s, &code, &p).await;
    assert_eq!(status, 200, "{t}");
    // A POST with a bad redirect is an error page, never a redirect.
    let bad = authorize_path(&s, &p, &[("redirect_uri", "https://evil.example/cb")]);
    let rb = app
        .browser()
        .request(reqwest::Method::POST, "/authorize")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(bad.split_once('?').unwrap().1.to_owned());
    app.browser().send(rb).await.status(400);
    // And a body that is not a form is refused clearly.
    let rb = app
        .browser()
        .request(reqwest::Method::POST, "/authorize")
        .header("content-type", "application/json")
        .body("{}");
    app.browser().send(rb).await.status(415);
}

#[tokio::test]
async fn ui_locales_choose_the_language_of_the_request_pages() {
    let app = TestApp::start().await;
    let s = service(&app, Level::Low, &["profile"], false).await;
    registered(&app, &ION).await;
    let mut b = app.browser(); // Accept-Language: en
    let p = pkce();
    let r = go(
        &mut b,
        &authorize_path(&s, &p, &[("ui_locales", "de ru en")]),
    )
    .await;
    r.status(200).has("<html lang=\"ru\"").has("Вход");
    // A failed login on the way back to the request stays in its language.
    let next = field_value(&r.body, "next").unwrap();
    let failed = b
        .post_raw(
            "/login",
            &[
                ("csrf", &r.csrf()),
                ("national_id", ION.national_id),
                ("password", "not the right one at all"),
                ("next", &next),
            ],
        )
        .await;
    failed.status(401).has("<html lang=\"ru\"");
    // The citizen's own choice on the page wins.
    let r = go(
        &mut b,
        &format!(
            "{}&lang=en",
            authorize_path(&s, &p, &[("ui_locales", "ru")])
        ),
    )
    .await;
    r.status(200).has("<html lang=\"en\"");
    // A request without ui_locales is in the browser's language.
    let mut c = app.browser();
    go(&mut c, &authorize_path(&s, &p, &[]))
        .await
        .has("<html lang=\"en\"");
}

#[tokio::test]
async fn an_id_token_hint_for_another_citizen_gets_no_code() {
    let app = TestApp::start().await;
    let s = service(&app, Level::Low, &[], false).await;
    let mut ion = logged_in(&app, &ION).await;
    let ion_id_token = fresh_tokens(&app, &mut ion, &s).await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // Ana logs in in another browser, which the e-service believes to be Ion's.
    let mut ana = logged_in(&app, &ANA).await;
    let ana_id_token = fresh_tokens(&app, &mut ana, &s).await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let p = pkce();
    let silent =
        |hint: &str| authorize_path(&s, &p, &[("prompt", "none"), ("id_token_hint", hint)]);
    let r = go(&mut ana, &silent(&ion_id_token)).await;
    let q = query_of(&r.location());
    assert!(r.location().starts_with(CB));
    assert_eq!(q["error"], "login_required");
    assert!(!q.contains_key("code"));
    // Without prompt=none the citizen is asked to log in (as the hinted one) instead.
    let r = go(
        &mut ana,
        &authorize_path(&s, &p, &[("id_token_hint", &ion_id_token)]),
    )
    .await;
    r.status(200).has("name=\"password\"");
    // The hint of the citizen who is logged in works silently.
    let r = go(&mut ana, &silent(&ana_id_token)).await;
    assert!(
        query_of(&r.location()).contains_key("code"),
        "{}",
        r.location()
    );
    // Another e-service's ID token is no hint for this one.
    let other = service(&app, Level::Low, &[], false).await;
    let foreign = authorize_path(
        &other,
        &p,
        &[("prompt", "none"), ("id_token_hint", &ana_id_token)],
    )
    .replace(&s.id, &other.id);
    let r = go(&mut ana, &foreign).await;
    assert_eq!(query_of(&r.location())["error"], "invalid_request");
}

#[tokio::test]
async fn wildcard_redirect_uris_cannot_be_registered() {
    let app = TestApp::start().await;
    for bad in ["https://*.example.md/cb", "https://tax.example.md/*"] {
        let n = NewEService {
            name: "Wild".into(),
            redirect_uris: vec![bad.into()],
            ..Default::default()
        };
        assert!(
            app.core
                .registry
                .add_eservice(n, &Client::default())
                .await
                .is_err(),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn back_channel_retries_carry_a_logout_token_valid_when_sent() {
    let app = TestApp::start().await;
    let (bc_uri, got) = backchannel_sink_failing(3).await;
    let s = with_backchannel(&app, "Tax portal", bc_uri).await;
    let mut b = logged_in(&app, &ION).await;
    fresh_tokens(&app, &mut b, &s).await;
    b.submit("/account", "/logout", &[]).await.status(303);
    // Three refusals, then success: the retries come 60, 120 and 240 s apart, long past the
    // first token's two minutes.
    let mut jtis = std::collections::HashSet::new();
    for (attempt, wait) in [(1usize, 61), (2, 121), (3, 241), (4, 0)] {
        let bodies = delivered(&got, attempt).await;
        let body = bodies
            .get(attempt - 1)
            .unwrap_or_else(|| panic!("delivery attempt {attempt}"));
        let token = form_urlencoded::parse(body.as_bytes())
            .find(|(k, _)| k == "logout_token")
            .unwrap()
            .1
            .into_owned();
        let lt = verify_own(&token, &jwks(&app).await, "logout+jwt").unwrap();
        let now_s = app.now() / 1000;
        assert!(
            lt["exp"].as_i64().unwrap() > now_s && lt["iat"].as_i64().unwrap() <= now_s,
            "attempt {attempt}: {lt}"
        );
        assert_eq!(lt["aud"], s.id.as_str());
        assert!(
            jtis.insert(lt["jti"].as_str().unwrap().to_owned()),
            "a jti of its own"
        );
        app.clock.advance_secs(wait);
    }
}

#[tokio::test]
async fn logging_in_again_in_the_same_browser_keeps_the_earlier_e_services_for_logout() {
    let app = TestApp::start().await;
    let (uri_a, got_a) = backchannel_sink().await;
    let (uri_b, got_b) = backchannel_sink().await;
    let services = [
        with_backchannel(&app, "Tax portal", uri_a).await,
        with_backchannel(&app, "Land registry", uri_b).await,
    ];
    let mut b = logged_in(&app, &ION).await;
    let a_tokens = fresh_tokens(&app, &mut b, &services[0]).await;
    let a_sid = verify_own(
        a_tokens["id_token"].as_str().unwrap(),
        &jwks(&app).await,
        "JWT",
    )
    .unwrap()["sid"]
        .clone();
    // E-service B asks for a new login (prompt=login): the citizen logs in again, same browser.
    app.clock.advance_secs(5);
    let p = pkce();
    let r = go(
        &mut b,
        &authorize_path(&services[1], &p, &[("prompt", "login")]),
    )
    .await;
    r.status(200).has("name=\"password\"");
    let next = field_value(&r.body, "next").unwrap();
    let again = b
        .post_raw(
            "/login",
            &[
                ("csrf", &r.csrf()),
                ("national_id", ION.national_id),
                ("password", ION.password),
                ("next", &next),
            ],
        )
        .await;
    let r = follow(&mut b, again).await;
    let r = allow_if_asked(&mut b, r).await;
    let code = query_of(&r.location())["code"].clone();
    let (status, b_tokens) = redeem(&app, &services[1], &code, &p).await;
    assert_eq!(status, 200, "{b_tokens}");
    let b_sid = verify_own(
        b_tokens["id_token"].as_str().unwrap(),
        &jwks(&app).await,
        "JWT",
    )
    .unwrap()["sid"]
        .clone();
    assert_eq!(a_sid, b_sid, "one browser, one sid");
    // Logging out now reaches both e-services and revokes both grants.
    b.submit("/account", "/logout", &[]).await.status(303);
    for got in [&got_a, &got_b] {
        assert_eq!(
            delivered(got, 1).await.len(),
            1,
            "every e-service of the browser gets a logout token"
        );
    }
    assert_revoked(&app, &services[0], &a_tokens).await;
    assert_revoked(&app, &services[1], &b_tokens).await;
}

#[tokio::test]
async fn another_citizen_logging_in_in_the_browser_logs_the_first_out_of_their_e_services() {
    let app = TestApp::start().await;
    let (uri, got) = backchannel_sink().await;
    let s = with_backchannel(&app, "Tax portal", uri).await;
    registered(&app, &ANA).await;
    let mut b = logged_in(&app, &ION).await;
    let ion_tokens = fresh_tokens(&app, &mut b, &s).await;
    login(&mut b, &ANA, "").await.status(303);
    assert_eq!(delivered(&got, 1).await.len(), 1, "Ion's e-service is told");
    assert_revoked(&app, &s, &ion_tokens).await;
}

/// The `kid` in a JWS header.
fn kid_of(jws: &str) -> String {
    let header: Value = serde_json::from_slice(
        &BASE64URL_NOPAD
            .decode(jws.split('.').next().unwrap().as_bytes())
            .unwrap(),
    )
    .unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn after_a_rotation_no_node_signs_with_a_key_another_node_does_not_publish() {
    let app = TestApp::start().await;
    let peer = app.peer().await;
    let s = service(&app, Level::Low, &[], false).await;
    let mut b = logged_in(&app, &ION).await;
    // The peer has the key list in its cache (ES256 and RS256).
    assert_eq!(jwks(&peer).await.len(), 2);
    fresh_tokens(&app, &mut b, &s).await;
    let new_kid = app
        .core
        .keys
        .rotate(&Client::default())
        .await
        .unwrap()
        .remove(0);
    // Within its cache's lifetime the peer still publishes the old list; every token either
    // node signs meanwhile must verify against the peer's JWKS.
    for step in 0..70 {
        let peer_keys = jwks(&peer).await;
        let t = fresh_tokens(&app, &mut b, &s).await;
        assert!(
            verify_own(t["id_token"].as_str().unwrap(), &peer_keys, "JWT").is_some(),
            "step {step}: signed with {} while the peer publishes {:?}",
            kid_of(t["id_token"].as_str().unwrap()),
            peer_keys.iter().map(|k| &k.kid).collect::<Vec<_>>()
        );
        app.clock.advance_secs(5);
        peer.clock.advance_secs(5);
    }
    let t = fresh_tokens(&app, &mut b, &s).await;
    assert_eq!(kid_of(t["id_token"].as_str().unwrap()), new_kid);
    assert!(jwks(&peer).await.iter().any(|k| k.kid == new_kid));
}

/// Every published key is also a self-signed X.509 certificate of that very key (for SAML
/// metadata): same public key as the JWKS, signed by it, valid now, made once and kept.
#[tokio::test]
async fn signing_keys_are_published_as_certificates_of_the_same_keys() {
    use aws_lc_rs::signature::{
        ECDSA_P256_SHA256_ASN1, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey,
    };
    use x509_parser::prelude::*;
    let app = TestApp::start().await;
    app.core
        .keys
        .ensure_for(npass_core::relying::SigningAlg::Rs256)
        .await
        .unwrap();
    let text = reqwest::get(format!("{}/jwks", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let jwks: Value = serde_json::from_str(&text).unwrap();
    let certs = app.core.keys.certificates().await.unwrap();
    assert_eq!(certs.len(), 2, "one per published key");
    let b64 = |v: &Value| {
        data_encoding::BASE64URL_NOPAD
            .decode(v.as_str().unwrap().as_bytes())
            .unwrap()
    };
    for (kid, alg, der) in &certs {
        let jwk = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == kid.as_str())
            .expect("the certificate's key is in the JWKS");
        let (rest, cert) = X509Certificate::from_der(der).unwrap();
        assert!(rest.is_empty());
        let spki = cert.public_key();
        match (alg.as_str(), spki.parsed().unwrap()) {
            ("ES256", x509_parser::public_key::PublicKey::EC(point)) => {
                let mut want = vec![4u8];
                want.extend(b64(&jwk["x"]));
                want.extend(b64(&jwk["y"]));
                assert_eq!(point.data(), want.as_slice(), "{kid}");
            }
            ("RS256", x509_parser::public_key::PublicKey::RSA(rsa)) => {
                let strip = |b: &[u8]| {
                    b.iter()
                        .skip_while(|x| **x == 0)
                        .copied()
                        .collect::<Vec<u8>>()
                };
                assert_eq!(strip(rsa.modulus), strip(&b64(&jwk["n"])), "{kid}");
                assert_eq!(strip(rsa.exponent), strip(&b64(&jwk["e"])), "{kid}");
            }
            (alg, _) => panic!("{kid}: {alg} with another key type"),
        }
        let verify: &dyn aws_lc_rs::signature::VerificationAlgorithm = match alg.as_str() {
            "RS256" => &RSA_PKCS1_2048_8192_SHA256,
            _ => &ECDSA_P256_SHA256_ASN1,
        };
        UnparsedPublicKey::new(verify, spki.subject_public_key.data.as_ref())
            .verify(
                cert.tbs_certificate.as_ref(),
                cert.signature_value.data.as_ref(),
            )
            .expect("self-signed by the key itself");
        assert!(
            cert.validity()
                .is_valid_at(ASN1Time::from_timestamp(app.now() / 1000).unwrap())
        );
        let cn = cert.subject().iter_common_name().next().unwrap();
        assert!(
            cn.as_str()
                .unwrap()
                .ends_with(&format!("signing key {kid}"))
        );
    }
    // Made once: asked again, the same certificates.
    assert_eq!(app.core.keys.certificates().await.unwrap(), certs);
}

#[tokio::test]
async fn the_picture_goes_only_to_an_entitled_e_service_with_its_token() {
    let app = TestApp::start().await;
    let plain = service(&app, Level::Low, &["openid", "profile"], false).await;
    let entitled = add(
        &app,
        NewEService {
            name: "Passport office".into(),
            redirect_uris: vec![CB.into()],
            min_level: Some(Level::Low),
            scopes: vec!["openid".into()],
            picture_claim: true,
            ..Default::default()
        },
    )
    .await;
    let mut b = logged_in(&app, &ION).await;
    // ION's picture, as the app would have set it.
    let account = app
        .core
        .store
        .account_by_national_id(ION.national_id)
        .await
        .unwrap()
        .unwrap();
    let img = image_png(64, 48);
    app.core
        .pictures
        .set(&account, img, &Client::default())
        .await
        .unwrap();

    let base = app.base.clone();
    let fetch = |at: String| {
        let base = base.clone();
        async move {
            let res = reqwest::Client::new()
                .get(format!("{base}/userinfo/picture"))
                .header("authorization", format!("Bearer {at}"))
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let ct = res
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            (status, ct, res.bytes().await.unwrap().to_vec())
        }
    };

    // Entitled, with the profile scope: the claim names the address, the token fetches it.
    let p = pkce();
    let code = code_for(&app, &mut b, &entitled, &p, &[("scope", "openid profile")]).await;
    let (_, t) = redeem(&app, &entitled, &code, &p).await;
    let at = t["access_token"].as_str().unwrap().to_owned();
    let (_, info) = userinfo(&app, &at).await;
    assert_eq!(info["picture"], format!("{}/userinfo/picture", app.base));
    let (status, ct, bytes) = fetch(at.clone()).await;
    assert_eq!((status, ct.as_str()), (200, "image/jpeg"));
    assert_eq!(&bytes[..2], &[0xFF, 0xD8]);
    // Without the profile scope, no claim and no picture.
    let p = pkce();
    let code = code_for(&app, &mut b, &entitled, &p, &[("scope", "openid")]).await;
    let (_, t) = redeem(&app, &entitled, &code, &p).await;
    let narrow = t["access_token"].as_str().unwrap().to_owned();
    assert!(userinfo(&app, &narrow).await.1.get("picture").is_none());
    assert_eq!(fetch(narrow).await.0, 403);

    // Not entitled: no claim, and its token fetches nothing.
    let p = pkce();
    let code = code_for(&app, &mut b, &plain, &p, &[("scope", "openid profile")]).await;
    let (_, t) = redeem(&app, &plain, &code, &p).await;
    let other = t["access_token"].as_str().unwrap().to_owned();
    assert!(userinfo(&app, &other).await.1.get("picture").is_none());
    assert_eq!(fetch(other).await.0, 403);
    assert_eq!(fetch("not-a-token".into()).await.0, 401);
}

fn image_png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().unwrap();
        wr.write_image_data(&vec![120u8; (w * h * 3) as usize])
            .unwrap();
    }
    out
}
