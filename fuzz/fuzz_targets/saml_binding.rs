//! SAML's bindings as a browser carries them: a Redirect query (parameters, repeated ones,
//! percent-encoding), its DEFLATE message inflated within the cap (a deflate bomb stops
//! there), and a POST binding's base64. Whatever comes out is at most `MAX_MESSAGE` bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use npass_core::saml::binding::{RedirectQuery, decode_post, decode_redirect};
use npass_core::saml::xml::MAX_MESSAGE;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(q) = RedirectQuery::parse(&text) {
        assert!(!q.kind.is_empty());
        if let Ok(xml) = decode_redirect(&q.message.1) {
            assert!(xml.len() <= MAX_MESSAGE);
        }
        // No certificate: never good.
        assert!(q.verify(&[]).is_err());
    }
    // The raw bytes as a base64 DEFLATE stream of their own.
    let b64 = data_encoding::BASE64.encode(data);
    if let Ok(xml) = decode_redirect(&b64) {
        assert!(xml.len() <= MAX_MESSAGE);
    }
    if let Ok(xml) = decode_post(&text) {
        assert!(xml.len() <= MAX_MESSAGE);
    }
});
