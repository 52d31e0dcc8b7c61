//! The npass app's icon, drawn by npass itself (no image files to keep in step with the brand
//! colour): a citizen's silhouette in white on the brand blue, inside the middle 60% so the
//! launcher may cut it to any shape ("maskable").

use std::sync::OnceLock;

const BRAND: [u8; 3] = [0x0b, 0x4f, 0x8a];
const INK: [u8; 3] = [0xff, 0xff, 0xff];
/// Samples per pixel side: smooth edges without a drawing library.
const SAMPLES: u32 = 4;

/// Whether the point (`x`, `y`), in units of the side, is on the silhouette.
fn inside(x: f64, y: f64) -> bool {
    let head = (x - 0.5).powi(2) + (y - 0.38).powi(2) <= 0.11f64.powi(2);
    let shoulders =
        y <= 0.74 && ((x - 0.5) / 0.22).powi(2) + ((y - 0.74) / 0.2).powi(2) <= 1.0 && y >= 0.54;
    head || shoulders
}

fn draw(side: u32) -> Option<Vec<u8>> {
    let mut pixels = Vec::with_capacity((side * side * 3) as usize);
    let n = f64::from(SAMPLES * SAMPLES);
    for py in 0..side {
        for px in 0..side {
            let mut hits = 0u32;
            for sy in 0..SAMPLES {
                for sx in 0..SAMPLES {
                    let x = (f64::from(px) + (f64::from(sx) + 0.5) / f64::from(SAMPLES))
                        / f64::from(side);
                    let y = (f64::from(py) + (f64::from(sy) + 0.5) / f64::from(SAMPLES))
                        / f64::from(side);
                    hits += u32::from(inside(x, y));
                }
            }
            let a = f64::from(hits) / n;
            for (b, i) in BRAND.iter().zip(INK) {
                let v = f64::from(*b) * (1.0 - a) + f64::from(i) * a;
                pixels.push(v.round().clamp(0.0, 255.0) as u8);
            }
        }
    }
    crate::qr::encode(side, png::ColorType::Rgb, &pixels)
}

/// The icon as a PNG, `side` pixels square (192 or 512; anything else is 512).
pub fn png(side: u32) -> &'static [u8] {
    static SMALL: OnceLock<Vec<u8>> = OnceLock::new();
    static LARGE: OnceLock<Vec<u8>> = OnceLock::new();
    let (cell, side) = if side == 192 {
        (&SMALL, 192)
    } else {
        (&LARGE, 512)
    };
    cell.get_or_init(|| draw(side).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    #[test]
    fn icons_are_pngs_of_their_size() {
        for side in [192u32, 512] {
            let png = super::png(side);
            let dec = png::Decoder::new(std::io::Cursor::new(png));
            let reader = dec.read_info().expect("a PNG");
            let info = reader.info();
            assert_eq!((info.width, info.height), (side, side));
        }
    }
}
