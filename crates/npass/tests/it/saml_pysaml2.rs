//! A second, independent SAML toolkit: pysaml2 (its own XML stack; Debian's xmlsec1 binary
//! checks signatures and decrypts) drives npass over HTTP-Redirect — signed AuthnRequest,
//! encrypted assertion (AES-256-CBC, as its metadata asks, the path older toolkits take), single
//! logout in both directions — and validates every message npass sends it.

use serde_json::{Value, json};

use crate::harness::*;
use crate::saml::{Sp, login_then_consent, posted, real_time, script_run, sp_on};
use crate::saml_logout::{frames, local};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/sp/pysaml2_sp.py");

async fn pysaml2(state: &std::path::PathBuf, args: &[&str]) -> Value {
    script_run(SCRIPT, state, args).await
}

/// Logs in at the pysaml2 SP over HTTP-Redirect: its validated view of the response.
async fn sign_in(app: &TestApp, b: &mut Browser, sp: &Sp, first: bool) -> Value {
    let state = &sp.state;
    let req = pysaml2(state, &["request-redirect", "back-to-1"]).await;
    let url = req["url"].as_str().unwrap();
    assert!(
        url.contains("SigAlg=") && url.contains("Signature="),
        "{url}"
    );
    let r = b.get(&local(app, url)).await;
    let done = if first {
        // No session yet: the login page, straight from the Redirect binding's GET.
        login_then_consent(b, r, &sp.name).await
    } else {
        r
    };
    let (response, relay) = posted(&done);
    assert_eq!(relay.as_deref(), Some("back-to-1"));
    let v = pysaml2(state, &["response", req["id"].as_str().unwrap(), &response]).await;
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["in_response_to"], req["id"]);
    v
}

#[tokio::test]
async fn pysaml2_logs_in_over_redirect_decrypts_and_logs_out_both_ways() {
    let app = TestApp::start().await;
    real_time(&app);
    let sp = sp_on(
        SCRIPT,
        &app,
        "pension",
        json!({"cbc": true, "acs": "http://localhost/acs", "display": "Pension office"}),
        &[
            "--encrypt-assertions",
            "--attribute",
            "FirstName",
            "--attribute",
            "LastName",
        ],
    )
    .await;
    let mut b = registered(&app, &ION).await;

    // Login: the assertion arrives encrypted with AES-256-CBC, which its metadata asked for,
    // and xmlsec1 opens it with the SP's key.
    let v = sign_in(&app, &mut b, &sp, true).await;
    assert_eq!(v["encrypted"], true, "{v}");
    assert!(
        v["cipher"]
            .as_array()
            .unwrap()
            .contains(&json!("http://www.w3.org/2001/04/xmlenc#aes256-cbc")),
        "{v}"
    );
    assert_eq!(v["attributes"]["FirstName"], json!(["Ion"]));
    assert_eq!(v["attributes"]["LastName"], json!(["Popescu"]));
    assert_eq!(
        v["nameid_format"],
        "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
    );
    assert_eq!(v["context"], "http://eidas.europa.eu/LoA/low");
    let (nameid, index) = (
        v["nameid"].as_str().unwrap().to_owned(),
        v["session_index"].as_str().unwrap().to_owned(),
    );

    // The SP logs the citizen out over HTTP-Redirect: the session ends and npass answers
    // with a signed LogoutResponse, RelayState echoed.
    let lr = pysaml2(&sp.state, &["logout-request", &nameid, &index, "bye"]).await;
    let r = b.get(&local(&app, lr["url"].as_str().unwrap())).await;
    assert_eq!(r.status, 303, "{}", r.body);
    // No other service to reach: the answer goes back at once.
    let r = b.get(&r.location()).await;
    assert_eq!(r.status, 303, "{}", r.body);
    b.get("/account").await.status(303);
    assert!(
        r.location()
            .starts_with("http://localhost/slo?SAMLResponse=")
    );
    let v = pysaml2(
        &sp.state,
        &[
            "idp-logout-response",
            &r.location(),
            lr["id"].as_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["status"], "urn:oasis:names:tc:SAML:2.0:status:Success");
    assert_eq!(v["relay_state"], "bye");

    // Logged in again (consent was given), npass's own logout reaches the SP in a frame with
    // a signed Redirect LogoutRequest naming that login; pysaml2 answers in the frame.
    login(&mut b, &ION, "").await;
    let v = sign_in(&app, &mut b, &sp, false).await;
    let (nameid2, index2) = (v["nameid"].clone(), v["session_index"].clone());
    assert_eq!(nameid2, json!(nameid), "the same pairwise NameID");
    assert_ne!(index2, json!(index), "a new session");
    let r = b.submit("/account", "/logout", &[]).await;
    let page = b.get(&r.location()).await;
    page.status(200).has("Pension office");
    let srcs = frames(&page.body);
    assert_eq!(srcs.len(), 1, "{srcs:?}");
    let v = pysaml2(&sp.state, &["idp-logout-request", &srcs[0]]).await;
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["nameid"], nameid2);
    assert_eq!(v["session_indexes"], json!([index2]));
    let r = b.get(&local(&app, v["url"].as_str().unwrap())).await;
    r.status(200).has("Logged out of Pension office");
}
