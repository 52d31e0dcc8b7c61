//! The provider's signing keys, one set for every protocol: made and sealed here, published as
//! JWK (OpenID Connect) and as X.509 certificates (SAML metadata), rotated with an overlap, and
//! used from an in-memory copy that every node refreshes within `cache::KEYS_TTL_MS`.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::audit;
use crate::error::{Error, Result};
use crate::ids::Kid;
use crate::login::Client;
use crate::oidc::cache::{KEYS_TTL_MS, KeyCache};
use crate::oidc::jwt::{self, SigningKey};
use crate::relying::SigningAlg;
use crate::rng;
use crate::seal::Sealer;
use crate::service::Env;
use crate::store::SigningKeyStore;

/// How long a replaced signing key stays published: longer than any token it signed lives.
pub const KEY_OVERLAP_MS: i64 = 60 * 60 * 1000;
/// A new signing key is published at once but signs only this long after it was made: every
/// node's key cache (`KEYS_TTL_MS`) and every cache holding the JWKS document (served with
/// `max-age=300`) has its new copy by then, so no e-service meets a token whose key its JWKS
/// does not list. The old key signs until then and stays published for `KEY_OVERLAP_MS`.
pub const KEY_ACTIVATION_MS: i64 = 300_000 + KEYS_TTL_MS + 5_000;

/// The signing keys over their store and this node's copy of them.
#[derive(Clone)]
pub struct SigningKeys {
    pub(crate) store: Arc<dyn SigningKeyStore>,
    pub(crate) env: Env,
    pub(crate) sealer: Arc<Sealer>,
    pub(crate) cache: Arc<KeyCache>,
}

/// The key of `alg` that signs at `now`: the newest published one that was made at least
/// `KEY_ACTIVATION_MS` ago; when there is none such (the first key of a deployment or of an
/// algorithm, or a rotation soon after it), the one published longest.
fn signing_key(keys: &[SigningKey], alg: SigningAlg, now: i64) -> Option<&SigningKey> {
    let published = || {
        keys.iter()
            .filter(move |k| k.alg == alg && k.retire_at.is_none_or(|at| at > now))
    };
    // Ties (keys made in the same millisecond) go to the order of the rotation: the key it
    // superseded (`retire_at` set) came first.
    published()
        .filter(|k| k.created_at + KEY_ACTIVATION_MS <= now)
        .max_by_key(|k| (k.created_at, k.retire_at.is_none()))
        .or_else(|| published().min_by_key(|k| (k.created_at, k.retire_at.is_none())))
}

impl SigningKeys {
    /// Makes sure a signing key of `alg` exists.
    pub async fn ensure_for(&self, alg: SigningAlg) -> Result<()> {
        let keys = self.store.signing_keys().await?;
        if keys.iter().any(|k| k.retire_at.is_none() && k.alg == alg) {
            return Ok(());
        }
        match self.add(alg).await {
            // Another node made one at the same moment: fine.
            Ok(_) | Err(Error::Conflict(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// First start: the ES256 key (OpenID Connect's default) and the RS256 one (SAML's
    /// RSA-SHA256, which the IdP's metadata must name before any service registers).
    pub async fn ensure(&self) -> Result<()> {
        self.ensure_for(SigningAlg::Es256).await?;
        self.ensure_for(SigningAlg::Rs256).await
    }

    async fn add(&self, alg: SigningAlg) -> Result<String> {
        let kid = rng::id(self.env.rng.as_ref())
            .chars()
            .take(16)
            .collect::<String>();
        let (der, jwk) = match alg {
            SigningAlg::Rs256 => jwt::generate_rs256(&kid)?,
            SigningAlg::Es256 => jwt::generate_es256(&kid)?,
        };
        let now = self.env.now();
        let certificate =
            jwt::self_signed_certificate(alg, &der, &kid, &self.certificate_subject(&kid), now)?;
        let key = SigningKey {
            sealed_private: self.sealer.seal(
                &der,
                &format!("signing-key:{kid}"),
                self.env.rng.as_ref(),
            )?,
            kid: kid.as_str().into(),
            alg,
            public_jwk: jwk,
            created_at: now,
            retire_at: None,
            certificate: Some(certificate),
        };
        let ev = audit::event(
            "admin.signing-key-added",
            None,
            None,
            json!({"kid": key.kid, "alg": key.alg}),
        );
        self.store
            .signing_key_add(&key, &ev, self.env.now())
            .await?;
        self.cache.clear();
        Ok(kid)
    }

    fn certificate_subject(&self, kid: &str) -> String {
        format!("{} signing key {kid}", self.env.policy.service_name)
    }

    /// The published signing keys as (kid, alg, X.509 certificate DER): the same keys as the
    /// JWKS, for protocols that publish certificates. A key made before certificates were kept
    /// gets its own now, once (any node's is as good).
    pub async fn certificates(&self) -> Result<Vec<(Kid, SigningAlg, Vec<u8>)>> {
        let mut out = Vec::new();
        let (mut changed, mut raced) = (false, false);
        for k in self.verification_keys().await? {
            let der = match k.certificate {
                Some(der) => der,
                None => {
                    let pkcs8 = self
                        .sealer
                        .open(&k.sealed_private, &format!("signing-key:{}", k.kid))?;
                    let subject = self.certificate_subject(&k.kid);
                    let der = jwt::self_signed_certificate(
                        k.alg,
                        &pkcs8,
                        &k.kid,
                        &subject,
                        k.created_at,
                    )?;
                    changed = true;
                    raced |= !self.store.signing_key_certify(&k.kid, &der).await?;
                    der
                }
            };
            out.push((k.kid, k.alg, der));
        }
        if changed {
            self.cache.clear();
        }
        if raced {
            // Another node certified a key first: publish what is stored (every key has one now).
            return Box::pin(self.certificates()).await;
        }
        Ok(out)
    }

    /// The keys tokens may be verified with: the current ones and those retired less than
    /// `KEY_OVERLAP_MS` ago (every token they signed is still valid until then).
    pub async fn verification_keys(&self) -> Result<Vec<SigningKey>> {
        let now = self.env.now();
        let mut keys = (*self.all().await?).clone();
        keys.retain(|k| k.retire_at.is_none_or(|at| at > now));
        Ok(keys)
    }

    /// Every signing key row, from the in-memory copy when it is fresh.
    pub(crate) async fn all(&self) -> Result<Arc<Vec<SigningKey>>> {
        let now = self.env.now();
        if let Some(k) = self.cache.get(now) {
            return Ok(k);
        }
        Ok(self.cache.put(now, self.store.signing_keys().await?))
    }

    /// The JWKS as served (JSON text), made once per key list.
    pub async fn jwks(&self) -> Result<Arc<str>> {
        let now = self.env.now();
        let all = self.all().await?;
        let published = || all.iter().filter(|k| k.retire_at.is_none_or(|at| at > now));
        let count = published().count();
        if let Some(doc) = self.cache.jwks_doc(&all, count) {
            return Ok(doc);
        }
        let keys: Vec<&Value> = published().map(|k| &k.public_jwk).collect();
        let doc: Arc<str> = json!({ "keys": keys }).to_string().into();
        self.cache.put_jwks_doc(&all, count, doc.clone());
        Ok(doc)
    }

    /// For every algorithm in use, a new signing key is published at once and takes over after
    /// `KEY_ACTIVATION_MS`; the old ones sign until then and stay in the JWKS for the overlap.
    /// Returns the new key ids.
    pub async fn rotate(&self, operator: &Client) -> Result<Vec<String>> {
        let old: Vec<SigningKey> = self
            .store
            .signing_keys()
            .await?
            .into_iter()
            .filter(|k| k.retire_at.is_none())
            .collect();
        let mut algs: Vec<SigningAlg> = old.iter().map(|k| k.alg).collect();
        algs.sort();
        algs.dedup();
        if algs.is_empty() {
            algs.push(SigningAlg::Es256);
        }
        let mut new = Vec::new();
        for &alg in &algs {
            new.push(self.add(alg).await?);
        }
        let at = self.env.now() + KEY_OVERLAP_MS;
        for k in old {
            let ev = audit::event(
                "admin.signing-key-retired",
                None,
                Some(&operator.ip),
                json!({"kid": k.kid, "retire_at": at, "by": operator.user_agent}),
            );
            self.store
                .signing_key_retire(&k.kid, at, &ev, self.env.now())
                .await?;
        }
        self.cache.clear();
        Ok(new)
    }

    /// Signs with the key of `alg` that `signing_key` picks.
    pub(crate) async fn sign_as<T: serde::Serialize + ?Sized>(
        &self,
        alg: SigningAlg,
        typ: &str,
        claims: &T,
    ) -> Result<String> {
        let keys = self.all().await?;
        let key = signing_key(&keys, alg, self.env.now())
            .ok_or_else(|| Error::Internal(format!("no {} signing key", alg.as_str())))?;
        let signer = match self.cache.signer(&key.kid) {
            Some(s) => s,
            None => {
                let der = self
                    .sealer
                    .open(&key.sealed_private, &format!("signing-key:{}", key.kid))?;
                self.cache
                    .put_signer(&key.kid, jwt::Signer::from_pkcs8(alg, &der)?)
            }
        };
        signer.sign(&key.kid, typ, claims)
    }

    /// The key of `alg` that signs now, as its PKCS#8 document and its certificate (for
    /// protocols that sign XML).
    pub(crate) async fn current(
        &self,
        alg: SigningAlg,
    ) -> Result<(zeroize::Zeroizing<Vec<u8>>, Vec<u8>)> {
        let certs = self.certificates().await?;
        let keys = self.all().await?;
        let key = signing_key(&keys, alg, self.env.now())
            .ok_or_else(|| Error::Internal(format!("no {} signing key", alg.as_str())))?;
        let cert = certs
            .into_iter()
            .find(|(kid, _, _)| *kid == key.kid)
            .map(|(_, _, der)| der)
            .ok_or_else(|| Error::Internal("signing key without a certificate".into()))?;
        let der = self
            .sealer
            .open(&key.sealed_private, &format!("signing-key:{}", key.kid))?;
        Ok((der, cert))
    }

    pub(crate) async fn sign<T: serde::Serialize + ?Sized>(
        &self,
        typ: &str,
        claims: &T,
    ) -> Result<String> {
        self.sign_as(SigningAlg::Es256, typ, claims).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_signs_only_after_its_activation() {
        let key = |kid: &str, created_at: i64, retire_at: Option<i64>| SigningKey {
            kid: kid.into(),
            alg: SigningAlg::Es256,
            public_jwk: Value::Null,
            sealed_private: Vec::new(),
            created_at,
            retire_at,
            certificate: None,
        };
        let t = 10 * KEY_ACTIVATION_MS;
        let keys = vec![key("old", 0, Some(t + KEY_OVERLAP_MS)), key("new", t, None)];
        let at = |now| signing_key(&keys, SigningAlg::Es256, now).map(|k| k.kid.as_str());
        assert_eq!(at(t), Some("old"));
        assert_eq!(at(t + KEY_ACTIVATION_MS - 1), Some("old"));
        assert_eq!(at(t + KEY_ACTIVATION_MS), Some("new"));
        assert!(signing_key(&keys, SigningAlg::Rs256, t).is_none());
        // Made in the same millisecond, in either order: the superseded one signs first.
        let same = vec![key("new", 0, None), key("old", 0, Some(KEY_OVERLAP_MS))];
        assert_eq!(
            signing_key(&same, SigningAlg::Es256, 1).map(|k| k.kid.as_str()),
            Some("old")
        );
        assert_eq!(
            signing_key(&same, SigningAlg::Es256, KEY_ACTIVATION_MS).map(|k| k.kid.as_str()),
            Some("new")
        );
        // A deployment's first key signs at once.
        let first = vec![key("first", t, None)];
        assert_eq!(
            signing_key(&first, SigningAlg::Es256, t).map(|k| k.kid.as_str()),
            Some("first")
        );
    }
}
