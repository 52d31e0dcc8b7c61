//! TOTP (RFC 6238) with the settings every Authenticator app accepts: 160-bit secret, SHA-1,
//! 6 digits, 30 s. One step of drift either way; the caller stores the step used and demands that
//! it increase (see `store::TotpStore::totp_use_step`).

use data_encoding::BASE32_NOPAD;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::rng::{self, Rng};

pub const PERIOD_SECS: i64 = 30;
pub const DIGITS: u32 = 6;
pub const DRIFT_STEPS: i64 = 1;

pub type Secret = Zeroizing<Vec<u8>>;

pub fn new_secret(rng: &dyn Rng) -> Secret {
    Zeroizing::new(rng::bytes::<20>(rng).to_vec())
}

pub fn step_at(now_ms: i64) -> i64 {
    now_ms.div_euclid(1000).div_euclid(PERIOD_SECS)
}

/// HOTP value (RFC 4226) for one counter.
pub fn hotp(secret: &[u8], counter: u64) -> u32 {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return u32::MAX;
    };
    mac.update(&counter.to_be_bytes());
    let out = mac.finalize().into_bytes();
    let offset = usize::from(out.get(19).copied().unwrap_or(0) & 0x0f);
    let word = out.get(offset..offset + 4).unwrap_or(&[0, 0, 0, 0]);
    let bin = u32::from_be_bytes([
        word.first().copied().unwrap_or(0) & 0x7f,
        word.get(1).copied().unwrap_or(0),
        word.get(2).copied().unwrap_or(0),
        word.get(3).copied().unwrap_or(0),
    ]);
    bin % 10u32.pow(DIGITS)
}

pub fn code_at(secret: &[u8], step: i64) -> String {
    format!("{:06}", hotp(secret, u64::try_from(step).unwrap_or(0)))
}

/// Normalises what a person typed: digits only, spaces dropped. `None` unless six digits.
pub fn clean_code(input: &str) -> Option<String> {
    let s: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    (s.len() == 6 && s.chars().all(|c| c.is_ascii_digit())).then_some(s)
}

/// The step whose code matches, within the drift window and above `last_step`.
/// Every candidate is compared in constant time.
pub fn verify(secret: &[u8], code: &str, now_ms: i64, last_step: i64) -> Option<i64> {
    let code = clean_code(code)?;
    let now = step_at(now_ms);
    let mut found = None;
    for step in (now - DRIFT_STEPS)..=(now + DRIFT_STEPS) {
        let candidate = code_at(secret, step);
        let eq: bool = candidate.as_bytes().ct_eq(code.as_bytes()).into();
        if eq && step > last_step && found.is_none() {
            found = Some(step);
        }
    }
    found
}

pub fn secret_base32(secret: &[u8]) -> String {
    BASE32_NOPAD.encode(secret)
}

/// The key as people copy it: groups of four characters.
pub fn secret_grouped(secret: &[u8]) -> String {
    let b32 = secret_base32(secret);
    b32.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `otpauth://totp/Issuer:account?secret=…&issuer=Issuer&algorithm=SHA1&digits=6&period=30`
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={PERIOD_SECS}",
        crate::pct_encode(issuer),
        crate::pct_encode(account),
        secret_base32(secret),
        crate::pct_encode(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// RFC 6238 Appendix B, SHA-1 rows (8 digits there; the low 6 digits are ours).
    #[test]
    fn rfc6238_vectors() {
        let secret = b"12345678901234567890";
        for (t, expect8) in [
            (59i64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            let step = t / 30;
            assert_eq!(code_at(secret, step), expect8[2..], "t={t}");
            assert_eq!(
                totp_lite::totp_custom::<totp_lite::Sha1>(30, 6, secret, t as u64),
                code_at(secret, step)
            );
        }
    }

    #[test]
    fn window_and_replay() {
        let secret = b"12345678901234567890";
        let now = 1_111_111_111_000;
        let s = step_at(now);
        assert_eq!(verify(secret, &code_at(secret, s), now, 0), Some(s));
        assert_eq!(verify(secret, &code_at(secret, s - 1), now, 0), Some(s - 1));
        assert_eq!(verify(secret, &code_at(secret, s + 1), now, 0), Some(s + 1));
        assert_eq!(verify(secret, &code_at(secret, s - 2), now, 0), None);
        assert_eq!(verify(secret, &code_at(secret, s + 2), now, 0), None);
        // Once step s was used, s and s-1 are spent.
        assert_eq!(verify(secret, &code_at(secret, s), now, s), None);
        assert_eq!(verify(secret, &code_at(secret, s - 1), now, s), None);
        assert_eq!(verify(secret, "12 34 5", now, 0), None);
    }

    #[test]
    fn uri_shape() {
        let uri = otpauth_uri("npass MD", "2000000000004", b"12345678901234567890");
        assert_eq!(
            uri,
            "otpauth://totp/npass%20MD:2000000000004?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=npass%20MD&algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(
            secret_grouped(b"12345678901234567890"),
            "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ"
        );
    }

    proptest! {
        #[test]
        fn verify_accepts_exactly_the_window(offset in -5i64..5, now in 1_000_000_000_000i64..2_000_000_000_000) {
            let secret = b"abcdefghijabcdefghij";
            let s = step_at(now);
            let got = verify(secret, &code_at(secret, s + offset), now, 0);
            if offset.abs() <= 1 {
                // A code can collide with a neighbour step's code; then the earliest one matches.
                prop_assert!(got.is_some());
            } else if let Some(step) = got {
                prop_assert!((step - s).abs() <= 1);
            }
        }
    }
}
