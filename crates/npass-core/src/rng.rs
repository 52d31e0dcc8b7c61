//! The one source of randomness: the operating system's CSPRNG behind a port.

use data_encoding::{BASE64URL_NOPAD, HEXLOWER};

pub trait Rng: Send + Sync {
    fn fill(&self, buf: &mut [u8]);
}

/// The OS CSPRNG (getrandom). A failure of the OS generator is unrecoverable: we abort rather
/// than hand out predictable secrets.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRng;

impl Rng for OsRng {
    fn fill(&self, buf: &mut [u8]) {
        if getrandom::fill(buf).is_err() {
            tracing::error!("the operating system's random generator failed; stopping");
            std::process::abort();
        }
    }
}

pub fn bytes<const N: usize>(rng: &dyn Rng) -> [u8; N] {
    let mut b = [0u8; N];
    rng.fill(&mut b);
    b
}

/// A URL-safe secret of 256 bits.
pub fn token(rng: &dyn Rng) -> String {
    BASE64URL_NOPAD.encode(&bytes::<32>(rng))
}

/// A secret of 256 bits led by the time it was made (12 hex digits of milliseconds, which sort
/// as the times do). Rows keyed by it are added at the end of their index rather than on a
/// random page, which is what keeps the token endpoint's writes few.
pub fn ordered_token(rng: &dyn Rng, now_ms: i64) -> String {
    format!("{}{}", time_prefix(now_ms), token(rng))
}

/// The time an ordered token (or a key made from one) starts with; every key made before
/// `ms` sorts below it.
pub fn time_prefix(ms: i64) -> String {
    format!("{:012x}", ms.max(0))
}

/// A short random identifier for rows and requests (128 bits, hex).
pub fn id(rng: &dyn Rng) -> String {
    HEXLOWER.encode(&bytes::<16>(rng))
}

/// Uniform value below `n` (rejection sampling, no modulo bias).
pub fn below(rng: &dyn Rng, n: u32) -> u32 {
    if n <= 1 {
        return 0;
    }
    let zone = u32::MAX - (u32::MAX % n);
    loop {
        let v = u32::from_le_bytes(bytes::<4>(rng));
        if v < zone {
            return v % n;
        }
    }
}
