//! SAML messages as a service sends them: the reader every message passes first (no DTD,
//! entity, processing instruction or XInclude; bounded size and depth), the service provider
//! metadata reader, and the requested-context mapping on whatever tree the reader gives. A
//! tree it accepts holds no text it did not unescape; nothing panics or hangs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use npass_core::saml::register::sp_metadata;
use npass_core::saml::xml::{self, MAX_MESSAGE, NS_PROTOCOL};
use npass_core::saml::{parse_xs_datetime, requested_levels};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match xml::parse(text) {
        Ok(tree) => {
            assert!(text.len() <= MAX_MESSAGE);
            let ctx = tree.child(NS_PROTOCOL, "RequestedAuthnContext");
            if let Some((lo, hi)) = requested_levels(ctx) {
                assert!(lo <= hi);
            }
            if let Some(t) = tree.attr("IssueInstant") {
                let _ = parse_xs_datetime(t);
            }
        }
        Err(_) => {}
    }
    let _ = sp_metadata(text);
});
