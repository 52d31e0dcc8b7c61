//! A short-lived in-memory copy of the signing keys, so signing and the JWKS do not read the
//! database on every request. Rotation on this node clears it; another node's rotation is seen
//! within `KEYS_TTL_MS` (the old keys stay published far longer than that).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::jwt::{Signer, SigningKey};

pub const KEYS_TTL_MS: i64 = 5_000;

/// A served JWKS: the key list it came from, how many of its keys were published, the text.
type JwksDoc = (Arc<Vec<SigningKey>>, usize, Arc<str>);

#[derive(Default)]
pub struct KeyCache {
    inner: Mutex<Option<(i64, Arc<Vec<SigningKey>>)>>,
    /// Parsed private keys by key id (a key's private part never changes).
    signers: Mutex<HashMap<String, Arc<Signer>>>,
    /// The JWKS document as served, with the key list it was made from (held, so that a new
    /// list can never be mistaken for it) and how many of those keys were published.
    jwks_doc: Mutex<Option<JwksDoc>>,
    /// E-services' published JWKS by URI, with when they were fetched.
    remote: Mutex<HashMap<String, (i64, serde_json::Value)>>,
}

/// How long a fetched e-service JWKS is trusted before it is fetched again.
pub const REMOTE_JWKS_TTL_MS: i64 = 5 * 60 * 1000;
/// An unknown key triggers a fresh fetch at most this often per URI (bogus assertions cannot
/// make npass hammer an e-service).
pub const REMOTE_JWKS_REFETCH_MS: i64 = 10_000;

impl KeyCache {
    fn lock(&self) -> MutexGuard<'_, Option<(i64, Arc<Vec<SigningKey>>)>> {
        match self.inner.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    pub fn get(&self, now: i64) -> Option<Arc<Vec<SigningKey>>> {
        match &*self.lock() {
            Some((at, keys)) if now - at < KEYS_TTL_MS && now >= *at => Some(keys.clone()),
            _ => None,
        }
    }

    pub fn put(&self, now: i64, keys: Vec<SigningKey>) -> Arc<Vec<SigningKey>> {
        let keys = Arc::new(keys);
        *self.lock() = Some((now, keys.clone()));
        keys
    }

    pub fn clear(&self) {
        *self.lock() = None;
    }

    /// The cached JWKS of `uri` and when it was fetched, while fresh.
    pub fn remote(&self, uri: &str, now: i64) -> Option<(i64, serde_json::Value)> {
        let map = match self.remote.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        map.get(uri)
            .filter(|(at, _)| now - at < REMOTE_JWKS_TTL_MS && now >= *at)
            .cloned()
    }

    pub fn put_remote(&self, uri: &str, now: i64, v: serde_json::Value) {
        let mut map = match self.remote.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        map.insert(uri.to_owned(), (now, v));
    }

    /// The served JWKS for this key list and published count, if it was made already.
    pub fn jwks_doc(&self, keys: &Arc<Vec<SigningKey>>, published: usize) -> Option<Arc<str>> {
        let doc = match self.jwks_doc.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        match &*doc {
            Some((from, n, text)) if Arc::ptr_eq(from, keys) && *n == published => {
                Some(text.clone())
            }
            _ => None,
        }
    }

    pub fn put_jwks_doc(&self, keys: &Arc<Vec<SigningKey>>, published: usize, text: Arc<str>) {
        let mut doc = match self.jwks_doc.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        *doc = Some((keys.clone(), published, text));
    }

    pub fn signer(&self, kid: &str) -> Option<Arc<Signer>> {
        let map = match self.signers.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        map.get(kid).cloned()
    }

    pub fn put_signer(&self, kid: &str, s: Signer) -> Arc<Signer> {
        let s = Arc::new(s);
        let mut map = match self.signers.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        map.insert(kid.to_owned(), s.clone());
        s
    }
}
