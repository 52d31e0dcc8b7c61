//! Encryption at rest for secrets the server must read back (TOTP seeds): XChaCha20-Poly1305
//! under a key derived from the deployment's master key, bound to the row it belongs to.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::rng::{self, Rng};

/// The master key and what is derived from it. Never logged, never given to templates.
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl MasterKey {
    pub fn from_bytes(b: [u8; 32]) -> Self {
        MasterKey(Zeroizing::new(b))
    }

    /// A purpose-specific key: HMAC-SHA256(master, label).
    pub fn derive(&self, label: &str) -> Zeroizing<[u8; 32]> {
        let mut out = Zeroizing::new([0u8; 32]);
        if let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_ref()) {
            mac.update(label.as_bytes());
            out.copy_from_slice(&mac.finalize().into_bytes());
        }
        out
    }
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl Sealer {
    pub fn new(master: &MasterKey) -> Self {
        let key = master.derive("npass seal v1");
        Sealer {
            cipher: XChaCha20Poly1305::new(key.as_ref().into()),
        }
    }

    /// nonce (24 bytes) || ciphertext+tag. `context` (e.g. the account id) is authenticated.
    pub fn seal(&self, plain: &[u8], context: &str, rng: &dyn Rng) -> Result<Vec<u8>> {
        let nonce = rng::bytes::<24>(rng);
        let ct = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| Error::Internal("seal failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(out)
    }

    pub fn open(&self, sealed: &[u8], context: &str) -> Result<Zeroizing<Vec<u8>>> {
        if sealed.len() < 24 {
            return Err(Error::Internal("sealed value too short".into()));
        }
        let (nonce, ct) = sealed.split_at(24);
        self.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: context.as_bytes(),
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| Error::Internal("sealed value does not open".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::OsRng;

    #[test]
    fn seal_round_trip_and_binding() {
        let s = Sealer::new(&MasterKey::from_bytes([7; 32]));
        let sealed = s.seal(b"seed", "acct-1", &OsRng).unwrap();
        assert_eq!(s.open(&sealed, "acct-1").unwrap().as_slice(), b"seed");
        assert!(s.open(&sealed, "acct-2").is_err(), "bound to its row");
        let other = Sealer::new(&MasterKey::from_bytes([8; 32]));
        assert!(other.open(&sealed, "acct-1").is_err());
    }
}
