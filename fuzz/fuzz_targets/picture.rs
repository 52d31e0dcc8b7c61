//! Uploaded pictures and the in-app scanner's camera frames: any bytes. Never a panic or an
//! unbounded allocation; a picture that passes is a JPEG within the kept size, and a link
//! read from a frame is always this site's approval link.
#![no_main]

use libfuzzer_sys::fuzz_target;
use npass_core::picture::{SIDE, approval_link_in, clean};

const SITE: &str = "https://npass.example.md";

fuzz_target!(|data: &[u8]| {
    if let Ok(jpeg) = clean(data) {
        let back = image_size(&jpeg).expect("a JPEG comes out");
        assert!(back.0 <= SIDE && back.1 <= SIDE);
    }
    if let Ok(Some(link)) = approval_link_in(data, SITE) {
        assert!(link.starts_with(&format!("{SITE}/app/approve#")));
    }
    // The country database format: read, never a panic.
    let _ = npass_web::geoip::Countries::parse(&String::from_utf8_lossy(data), None);
});

/// Width and height from a JPEG's first start-of-frame marker.
fn image_size(jpeg: &[u8]) -> Option<(u32, u32)> {
    let mut i = 2;
    while i + 9 < jpeg.len() {
        if jpeg[i] != 0xFF {
            return None;
        }
        let marker = jpeg[i + 1];
        let len = usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
        if (0xC0..=0xC2).contains(&marker) {
            let h = u32::from(u16::from_be_bytes([jpeg[i + 5], jpeg[i + 6]]));
            let w = u32::from(u16::from_be_bytes([jpeg[i + 7], jpeg[i + 8]]));
            return Some((w, h));
        }
        i += 2 + len;
    }
    None
}
