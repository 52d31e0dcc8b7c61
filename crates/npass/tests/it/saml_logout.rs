//! SAML single logout from the outside (design note 0017): python3-saml service providers —
//! one taking logout messages over HTTP-Redirect, one over HTTP-POST as MPass's guide has it —
//! and an OpenID Connect e-service in one npass session. A service's LogoutRequest ends the
//! session, reaches the other service through the logout page's frame and the OIDC one over
//! the back channel, and is answered; npass's own logout reaches them the same way; requests
//! that do not name the browser's session end nothing.

use serde_json::json;

use crate::harness::*;
use crate::oidc::{backchannel_sink, delivered, fresh_tokens, with_backchannel};
use crate::saml::{Sp, decide, login_then_consent, post_request, posted, real_time, sp, sp_run};

/// The `src` of every frame on a page.
pub(crate) fn frames(html: &str) -> Vec<String> {
    html.split("<iframe src=\"")
        .skip(1)
        .map(|rest| html_text(rest.split('"').next().unwrap()))
        .collect()
}

/// The path of an npass URL.
pub(crate) fn local(app: &TestApp, url: &str) -> String {
    url.strip_prefix(&app.base)
        .unwrap_or_else(|| panic!("{url} is not npass's"))
        .to_owned()
}

/// Signs in at `sp` over HTTP-POST (logging in or consenting as needed): its NameID and
/// SessionIndex, validated by python3-saml.
async fn sign_in(b: &mut Browser, sp: &Sp, first: bool) -> (String, String) {
    let req = sp_run(&sp.state, &["request-post", "0", "0"]).await;
    let r = post_request(b, req["SAMLRequest"].as_str().unwrap(), "").await;
    assert_eq!(r.status, 303, "{}", r.body);
    let at = b.get(&r.location()).await;
    let done = if first {
        login_then_consent(b, at, &sp.name).await
    } else {
        at.status(200).has("name=\"decision\"");
        decide(b, &at, "allow").await
    };
    let (response, _) = posted(&done);
    let v = sp_run(
        &sp.state,
        &["response", req["id"].as_str().unwrap(), &response],
    )
    .await;
    assert_eq!(v["valid"], true, "{v}");
    (
        v["nameid"].as_str().unwrap().to_owned(),
        v["session_index"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_services_logout_ends_the_session_everywhere_and_is_answered() {
    let app = TestApp::start().await;
    real_time(&app);
    let tax = sp(&app, "tax", json!({}), &[]).await;
    let social = sp(
        &app,
        "social",
        json!({"slo_post": true, "display": "Social portal"}),
        &[],
    )
    .await;
    let (bc_uri, told) = backchannel_sink().await;
    let oidc = with_backchannel(&app, "Pension portal", bc_uri).await;
    let mut b = registered(&app, &ION).await;
    let (tax_id, tax_index) = sign_in(&mut b, &tax, true).await;
    let (social_id, social_index) = sign_in(&mut b, &social, false).await;
    assert_eq!(
        tax_index, social_index,
        "one npass session, one SessionIndex"
    );
    assert_ne!(tax_id, social_id, "pairwise: each service its own NameID");
    fresh_tokens(&app, &mut b, &oidc).await;

    // A LogoutRequest naming another session (a SessionIndex this browser's session was not
    // given) is answered Requester/UnknownPrincipal and ends nothing.
    let lr = sp_run(
        &social.state,
        &["logout-request", "post", &social_id, "not-this-session"],
    )
    .await;
    let r = b
        .post_raw(
            "/logout/saml",
            &[("SAMLRequest", lr["SAMLRequest"].as_str().unwrap())],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = b.get(&r.location()).await;
    r.status(200);
    let answer = field_value(&r.body, "SAMLResponse").expect("an answer to post");
    let v = sp_run(
        &social.state,
        &[
            "idp-logout-response",
            "post",
            &answer,
            lr["id"].as_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(
        v["status_detail"],
        json!([
            "urn:oasis:names:tc:SAML:2.0:status:Requester",
            "urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal"
        ]),
        "{v}"
    );
    b.get("/account").await.status(200);

    // The Tax portal logs the citizen out over HTTP-Redirect, with what it was given.
    let lr = sp_run(
        &tax.state,
        &["logout-request", "redirect", &tax_id, &tax_index, "bye"],
    )
    .await;
    let r = b.get(&local(&app, lr["url"].as_str().unwrap())).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.location().starts_with("/logout/saml/continue?req="));
    let again = r.location();
    let page = b.get(&again).await;
    page.status(200).has("Social portal");
    assert!(
        page.set_cookies().iter().any(|c| c.contains("Max-Age=0")),
        "the session cookie goes"
    );
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-src 'self' http://localhost;"), "{csp}");
    // Its session has ended at npass, and the OIDC e-service of the session is told.
    b.get("/account").await.status(303);
    let bodies = delivered(&told, 1).await;
    assert_eq!(bodies.len(), 1, "one back-channel logout");

    // The Social portal's frame posts npass's signed LogoutRequest to it.
    let srcs = frames(&page.body);
    assert_eq!(srcs.len(), 1, "only the other SAML service: {srcs:?}");
    let frame = b.get(&srcs[0]).await;
    frame.status(200);
    assert!(html_text(&frame.body).contains("action=\"http://localhost/slo\""));
    assert!(
        frame.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'self'")
    );
    let sent = field_value(&frame.body, "SAMLRequest").unwrap();
    let v = sp_run(&social.state, &["idp-logout-request", "post", &sent]).await;
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["nameid"], social_id.as_str());
    assert_eq!(v["session_indexes"], json!([social_index]));
    // Its answer comes back into the frame.
    let answer = v["SAMLResponse"].as_str().unwrap();
    let r = b
        .post_raw("/logout/saml", &[("SAMLResponse", answer)])
        .await;
    r.status(200).has("Logged out of Social portal");
    // The same answer again is a replay: refused, and nothing changes.
    let r = b
        .post_raw("/logout/saml", &[("SAMLResponse", answer)])
        .await;
    r.status(400).has("already used");
    // Reloading the page shows the logout as it stands; it does not run twice.
    let page = b.get(&again).await;
    page.status(200);
    assert_eq!(frames(&page.body).len(), 1);

    // Continue: the Tax portal gets its signed answer over HTTP-Redirect with its RelayState.
    let r = b
        .post_raw(
            "/logout/saml/done",
            &[
                ("csrf", &page.csrf()),
                ("id", &field_value(&page.body, "id").unwrap()),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let url = r.location();
    assert!(
        url.starts_with("http://localhost/slo?SAMLResponse="),
        "{url}"
    );
    let v = sp_run(
        &tax.state,
        &[
            "idp-logout-response",
            "redirect",
            &url,
            lr["id"].as_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["relay_state"], "bye");
    assert_eq!(
        v["status_detail"],
        json!(["urn:oasis:names:tc:SAML:2.0:status:Success"])
    );
    // Once only.
    let r = b
        .post_raw(
            "/logout/saml/done",
            &[
                ("csrf", &page.csrf()),
                ("id", &field_value(&page.body, "id").unwrap()),
            ],
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);

    // The request again: a replay.
    let r = b.get(&local(&app, lr["url"].as_str().unwrap())).await;
    r.status(400).has("already used");
    // A fresh request from a browser with no session: nothing to end, Success.
    let lr = sp_run(
        &tax.state,
        &["logout-request", "redirect", &tax_id, &tax_index],
    )
    .await;
    let r = b.get(&local(&app, lr["url"].as_str().unwrap())).await;
    let r = b.get(&r.location()).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let v = sp_run(
        &tax.state,
        &[
            "idp-logout-response",
            "redirect",
            &r.location(),
            lr["id"].as_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(v["valid"], true, "{v}");
}

#[tokio::test]
async fn npass_own_logout_reaches_saml_services_through_the_browser() {
    let app = TestApp::start().await;
    real_time(&app);
    let tax = sp(&app, "tax", json!({}), &[]).await;
    let mut b = registered(&app, &ION).await;
    let (tax_id, tax_index) = sign_in(&mut b, &tax, true).await;

    let r = b.submit("/account", "/logout", &[]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = b.get(&r.location()).await;
    page.status(200).has("Tax portal");
    b.get("/account").await.status(303);
    // The Tax portal takes HTTP-Redirect: its frame goes straight to it with the signed query.
    let srcs = frames(&page.body);
    assert_eq!(srcs.len(), 1);
    assert!(
        srcs[0].starts_with("http://localhost/slo?SAMLRequest="),
        "{srcs:?}"
    );
    let v = sp_run(&tax.state, &["idp-logout-request", "redirect", &srcs[0]]).await;
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["nameid"], tax_id.as_str());
    assert_eq!(v["session_indexes"], json!([tax_index]));
    // python3-saml answers by sending the frame back to npass.
    let r = b.get(&local(&app, v["url"].as_str().unwrap())).await;
    r.status(200).has("Logged out of Tax portal");

    let r = b
        .post_raw(
            "/logout/saml/done",
            &[
                ("csrf", &page.csrf()),
                ("id", &field_value(&page.body, "id").unwrap()),
            ],
        )
        .await;
    r.status(200).has("Tax portal").has("logged out");
    assert!(html_text(&r.body).contains("href=\"/login?done=logout\""));
}
