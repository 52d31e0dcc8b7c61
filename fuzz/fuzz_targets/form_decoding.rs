//! Form bodies and query strings as every handler decodes them.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let pairs = npass_web::web::serde_urlencoded_pairs(text);
        // Decoding never invents text: every pair's parts fit in the input once decoded.
        for (k, v) in &pairs {
            assert!(k.len() + v.len() <= text.len() * 3);
        }
    }
});
