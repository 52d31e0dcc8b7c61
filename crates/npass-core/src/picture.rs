//! Profile pictures (design note 0015): only what the `image` crate decodes as PNG or JPEG —
//! the type told by the bytes, never by a name or header — at most `MAX_BYTES` and `MAX_SIDE`
//! pixels a side, decoded within a memory limit (a decompression bomb fails inside it), scaled
//! to `SIDE` and re-encoded as JPEG: no metadata of the original (place, camera) survives.

use std::io::Cursor;
use std::sync::Arc;

use image::{ImageFormat, ImageReader, Limits};
use serde_json::json;

use crate::audit;
use crate::error::{Error, Result};
use crate::login::Client;
use crate::model::Account;
use crate::service::Env;
use crate::store::PictureStore;

/// The largest upload.
pub const MAX_BYTES: usize = 2 * 1024 * 1024;
/// The largest side of an upload, in pixels.
pub const MAX_SIDE: u32 = 4096;
/// The side of the kept picture's bounding square.
pub const SIDE: u32 = 512;
/// What a decoder may allocate: one 4096² RGBA image and room to work.
const MAX_ALLOC: u64 = 96 * 1024 * 1024;

/// The picture re-encoded from `bytes`, or why not (`Invalid` on the field `picture`).
pub fn clean(bytes: &[u8]) -> Result<Vec<u8>> {
    let invalid = |reason| Error::invalid("picture", reason);
    if bytes.len() > MAX_BYTES {
        return Err(Error::Invalid {
            field: "picture",
            reason: "picture-too-large",
            n: Some((MAX_BYTES / (1024 * 1024)) as i64),
        });
    }
    let format = image::guess_format(bytes).map_err(|_| invalid("picture-not-image"))?;
    if !matches!(format, ImageFormat::Png | ImageFormat::Jpeg) {
        return Err(invalid("picture-not-image"));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => Error::Invalid {
            field: "picture",
            reason: "picture-too-big",
            n: Some(i64::from(MAX_SIDE)),
        },
        _ => invalid("picture-not-image"),
    })?;
    // Scaled down to fit `SIDE`, never up.
    let img = if img.width() > SIDE || img.height() > SIDE {
        img.thumbnail(SIDE, SIDE)
    } else {
        img
    };
    let rgb = img.to_rgb8();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&rgb)
        .map_err(|e| Error::Internal(format!("picture: {e}")))?;
    Ok(out)
}

/// The largest camera frame the app's scanner sends.
pub const MAX_FRAME_BYTES: usize = 512 * 1024;
/// The largest side of a camera frame, in pixels.
const MAX_FRAME_SIDE: u32 = 2048;

/// The npass approval link in a camera frame (PNG or JPEG) of the app's in-app scanner, if it
/// shows one: a QR code whose text is `<public_url>/app/approve#…`. Any other code is ignored
/// (a scanner that opened any link would be a way to send the citizen anywhere).
pub fn approval_link_in(frame: &[u8], public_url: &str) -> Result<Option<String>> {
    if frame.len() > MAX_FRAME_BYTES {
        return Err(Error::Invalid {
            field: "frame",
            reason: "picture-too-large",
            n: Some(1),
        });
    }
    let format =
        image::guess_format(frame).map_err(|_| Error::invalid("frame", "picture-not-image"))?;
    if !matches!(format, ImageFormat::Png | ImageFormat::Jpeg) {
        return Err(Error::invalid("frame", "picture-not-image"));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_FRAME_SIDE);
    limits.max_image_height = Some(MAX_FRAME_SIDE);
    limits.max_alloc = Some(64 * 1024 * 1024);
    let mut reader = ImageReader::with_format(Cursor::new(frame), format);
    reader.limits(limits);
    let luma = reader
        .decode()
        .map_err(|_| Error::invalid("frame", "picture-not-image"))?
        .to_luma8();
    let (w, h) = (luma.width() as usize, luma.height() as usize);
    let raw = luma.into_raw();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        raw.get(y * w + x).copied().unwrap_or(255)
    });
    let prefix = format!("{}/app/approve#", public_url.trim_end_matches('/'));
    Ok(prepared
        .detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, text)| text))
        .find(|t| t.starts_with(&prefix) && t.len() < 300))
}

/// A citizen's profile picture.
pub struct Pictures {
    pub(crate) store: Arc<dyn PictureStore>,
    pub(crate) env: Env,
}

impl Pictures {
    /// Replaces the account's picture with `bytes`, cleaned (off the async threads: decoding
    /// is work).
    pub async fn set(&self, account: &Account, bytes: Vec<u8>, client: &Client) -> Result<()> {
        let jpeg = tokio::task::spawn_blocking(move || clean(&bytes))
            .await
            .map_err(|e| Error::Internal(format!("picture: {e}")))??;
        let ev = audit::event(
            "account.picture-changed",
            Some(&account.id),
            Some(&client.ip),
            json!({"bytes": jpeg.len()}),
        );
        self.store
            .picture_put(&account.id, &jpeg, &ev, self.env.now())
            .await
    }

    /// The account's picture (JPEG), if it has one.
    pub async fn of(&self, account_id: &str) -> Result<Option<Vec<u8>>> {
        self.store.picture(account_id).await
    }

    pub async fn remove(&self, account: &Account, client: &Client) -> Result<bool> {
        let ev = audit::event(
            "account.picture-removed",
            Some(&account.id),
            Some(&client.ip),
            json!({}),
        );
        self.store
            .picture_remove(&account.id, &ev, self.env.now())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 30, 30]));
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn pictures_are_reencoded_small_and_bad_ones_refused() {
        let jpeg = clean(&png(1000, 500)).unwrap();
        assert_eq!(image::guess_format(&jpeg).unwrap(), ImageFormat::Jpeg);
        let back = image::load_from_memory(&jpeg).unwrap();
        assert_eq!((back.width(), back.height()), (512, 256));
        let small = image::load_from_memory(&clean(&png(100, 80)).unwrap()).unwrap();
        assert_eq!(
            (small.width(), small.height()),
            (100, 80),
            "never scaled up"
        );
        let reason = |b: &[u8]| match clean(b) {
            Err(Error::Invalid { reason, .. }) => reason,
            other => panic!("{other:?}"),
        };
        assert_eq!(reason(b"GIF89a not allowed"), "picture-not-image");
        assert_eq!(
            reason(b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
            "picture-not-image"
        );
        assert_eq!(reason(&png(5000, 10)), "picture-too-big");
        assert_eq!(reason(&vec![0u8; MAX_BYTES + 1]), "picture-too-large");
        // A PNG header that promises 4096×4096 and stops: refused, never a panic.
        let mut truncated = png(4096, 4096);
        truncated.truncate(200);
        assert_eq!(reason(&truncated), "picture-not-image");
    }
}
