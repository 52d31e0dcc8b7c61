//! QR codes drawn by npass itself as PNG (no outside service, no script).

use qrcode::{Color, EcLevel, QrCode};

const SCALE: usize = 6;
const QUIET: usize = 4;

/// A greyscale PNG of `text`, 6 pixels a module, with the standard 4-module quiet zone.
pub fn png(text: &str) -> Option<Vec<u8>> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let side = (width + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, c) in colors.iter().enumerate() {
        if *c != Color::Dark {
            continue;
        }
        let (mx, my) = (i % width + QUIET, i / width + QUIET);
        for dy in 0..SCALE {
            let row = (my * SCALE + dy) * side;
            for dx in 0..SCALE {
                if let Some(p) = pixels.get_mut(row + mx * SCALE + dx) {
                    *p = 0;
                }
            }
        }
    }
    let side = u32::try_from(side).ok()?;
    encode(side, png::ColorType::Grayscale, &pixels)
}

/// A square 8-bit PNG of `pixels` (rows of `color` samples), `side` pixels a side.
pub(crate) fn encode(side: u32, color: png::ColorType, pixels: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, side, side);
        enc.set_color(color);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().ok()?;
        w.write_image_data(pixels).ok()?;
    }
    Some(out)
}
