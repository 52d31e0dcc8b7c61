//! Interoperability with the `openidconnect` crate, a relying-party library: discovery, code +
//! PKCE, ID-token validation (signature, issuer, audience, nonce, expiry) and userinfo.

use npass_core::clock::{Clock, SystemClock};
use npass_core::oidc::flow::NewEService;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};

use crate::harness::*;

#[tokio::test]
async fn the_openidconnect_crate_logs_a_citizen_in() {
    let app = TestApp::start().await;
    // The library checks expiry against the wall clock: let npass's clock agree.
    app.clock.set_ms(SystemClock.now_ms());
    let cb = "http://127.0.0.1:9/callback";
    let n = NewEService {
        name: "Tax portal".into(),
        redirect_uris: vec![cb.into()],
        ..Default::default()
    };
    let s = crate::oidc::add(&app, n).await;
    let mut b = registered(&app, &ION).await;
    login(&mut b, &ION, "").await.status(303);

    let http = openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let meta =
        CoreProviderMetadata::discover_async(IssuerUrl::new(app.base.clone()).unwrap(), &http)
            .await
            .unwrap();
    let client = CoreClient::from_provider_metadata(
        meta,
        ClientId::new(s.id.clone()),
        Some(ClientSecret::new(s.secret.clone())),
    )
    .set_redirect_uri(RedirectUrl::new(cb.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();

    // The browser part: authorize → consent → back to the e-service with a code.
    let path = url.as_str().strip_prefix(&app.base).unwrap().to_owned();
    let mut r = b.get(&path).await;
    while r.status == 303 && r.location().starts_with('/') {
        let next = r.location();
        r = b.get(&next).await;
    }
    let req = field_value(&r.body, "req").unwrap();
    let back = b
        .post_raw(
            "/authorize/consent",
            &[("csrf", &r.csrf()), ("req", &req), ("decision", "allow")],
        )
        .await;
    let loc = back.location();
    assert!(loc.starts_with(cb), "{loc}");
    let q: std::collections::HashMap<String, String> =
        form_urlencoded::parse(loc.split_once('?').unwrap().1.as_bytes())
            .into_owned()
            .collect();
    assert_eq!(&q["state"], csrf.secret());

    let tokens = client
        .exchange_code(AuthorizationCode::new(q["code"].clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    let id_token = tokens.id_token().expect("an ID token");
    let claims = id_token
        .claims(&client.id_token_verifier(), &nonce)
        .expect("the ID token validates");
    assert_eq!(claims.issuer().as_str(), app.base);
    assert_eq!(
        claims.auth_context_ref().map(|a| a.as_str()),
        Some("http://eidas.europa.eu/LoA/low")
    );
    let info: CoreUserInfoClaims = client
        .user_info(tokens.access_token().clone(), None)
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(info.subject(), claims.subject());
    assert_eq!(info.email().map(|m| m.as_str()), Some(ION.email));
    assert_eq!(
        info.given_name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str()),
        Some("Ion")
    );
}
