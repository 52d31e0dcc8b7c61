//! The cross-device challenge (design note 0010): created for a browser, answered from another
//! device (a signing application, next the npass app), polled from any node, taken once by the
//! browser that created it. What an answer proves becomes a factor through its method's
//! verifier; the challenge only carries it.

use subtle::ConstantTimeEq;

use crate::error::{Error, Result};
use std::sync::Arc;

use crate::rng;
use crate::service::{Env, digest};
use crate::store::ChallengeStore;

/// Which method's answer a challenge waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeKind {
    /// A signature by a qualified certificate's key (design note 0004).
    Esign,
    /// An approval by a phone's passkey after scanning the login page's QR code (0015).
    App,
}

impl ChallengeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChallengeKind::Esign => "esign",
            ChallengeKind::App => "app",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "esign" => Some(ChallengeKind::Esign),
            "app" => Some(ChallengeKind::App),
            _ => None,
        }
    }
}

/// Where a challenge stands. Moves only forward: `Waiting` → `Verified` or `Refused` (once,
/// before expiry), `Verified` → `Taken` (once, by its browser).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChallengeState {
    /// Waiting for the other device; `shown` is what the page shows again (sealed by the
    /// method: it may hold the nonce).
    Waiting { shown: String },
    /// Answered and verified; `outcome` is what the answer proved (the method's JSON).
    Verified { outcome: String },
    /// Answered and refused, with the method's reason code.
    Refused { reason: String },
    /// Taken by its browser; the outcome stays for what may follow (a newcomer's account).
    Taken { outcome: String },
}

impl ChallengeState {
    /// The stored name of the state and its detail.
    pub fn parts(&self) -> (&'static str, &str) {
        match self {
            ChallengeState::Waiting { shown } => ("waiting", shown),
            ChallengeState::Verified { outcome } => ("verified", outcome),
            ChallengeState::Refused { reason } => ("refused", reason),
            ChallengeState::Taken { outcome } => ("taken", outcome),
        }
    }

    pub fn from_parts(name: &str, detail: String) -> Option<Self> {
        Some(match name {
            "waiting" => ChallengeState::Waiting { shown: detail },
            "verified" => ChallengeState::Verified { outcome: detail },
            "refused" => ChallengeState::Refused { reason: detail },
            "taken" => ChallengeState::Taken { outcome: detail },
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub id: String,
    pub kind: ChallengeKind,
    /// Digest of the nonce the answering device must send back.
    pub nonce_hash: String,
    /// Digest of the pre-session cookie of the browser that asked for it.
    pub browser_hash: String,
    /// The stored login transaction it serves.
    pub login: String,
    pub expires_at: i64,
    pub state: ChallengeState,
    pub settled_at: Option<i64>,
}

/// Why an answer is refused before its proof is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unanswerable {
    /// No such challenge, or the nonce does not match.
    Unknown,
    /// Answered already.
    Used,
    Expired,
}

/// What a browser sees of a challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// No such challenge (swept, or never).
    Gone,
    /// It belongs to another browser.
    Elsewhere,
    /// Waiting, but past its expiry.
    Expired,
    Current(Challenge),
}

/// Cross-device challenges over their store; each login method that uses one (e-signature now,
/// the app's QR approval next) keeps its own rules for what an answer proves.
#[derive(Clone)]
pub struct Challenges {
    pub(crate) store: Arc<dyn ChallengeStore>,
    pub(crate) env: Env,
}

impl Challenges {
    /// A new challenge of `kind` for the browser whose pre-session id is `pre_id`, serving the
    /// stored login transaction `login`, living `ttl_ms`; `shown(id, nonce)` is what its page
    /// shows again while it waits. Returns it and its nonce.
    pub(crate) async fn open(
        &self,
        kind: ChallengeKind,
        pre_id: &str,
        login: String,
        ttl_ms: i64,
        shown: impl FnOnce(&str, &str) -> Result<String>,
    ) -> Result<(Challenge, String)> {
        let id = rng::id(self.env.rng.as_ref());
        let nonce = rng::token(self.env.rng.as_ref());
        let c = Challenge {
            state: ChallengeState::Waiting {
                shown: shown(&id, &nonce)?,
            },
            id,
            kind,
            nonce_hash: digest(&nonce),
            browser_hash: digest(pre_id),
            login,
            expires_at: self.env.now() + ttl_ms,
            settled_at: None,
        };
        self.store.challenge_put(&c).await?;
        Ok((c, nonce))
    }

    /// The waiting challenge `id` of `kind` an answer with `nonce` may settle (the nonce is
    /// compared as a digest, in constant time: without it nobody can touch the challenge).
    pub(crate) async fn answerable(
        &self,
        kind: ChallengeKind,
        id: &str,
        nonce: &str,
    ) -> Result<std::result::Result<Challenge, Unanswerable>> {
        let Some(c) = self.store.challenge(id).await? else {
            return Ok(Err(Unanswerable::Unknown));
        };
        if c.kind != kind
            || nonce.is_empty()
            || !bool::from(digest(nonce).as_bytes().ct_eq(c.nonce_hash.as_bytes()))
        {
            return Ok(Err(Unanswerable::Unknown));
        }
        if !matches!(c.state, ChallengeState::Waiting { .. }) {
            return Ok(Err(Unanswerable::Used));
        }
        if self.env.now() >= c.expires_at {
            return Ok(Err(Unanswerable::Expired));
        }
        Ok(Ok(c))
    }

    /// The challenge `id` as the browser whose pre-session id is `pre_id` sees it.
    pub(crate) async fn seen(&self, id: &str, pre_id: &str) -> Result<Seen> {
        let Some(c) = self.store.challenge(id).await? else {
            return Ok(Seen::Gone);
        };
        if !bool::from(digest(pre_id).as_bytes().ct_eq(c.browser_hash.as_bytes())) {
            return Ok(Seen::Elsewhere);
        }
        if matches!(c.state, ChallengeState::Waiting { .. }) && self.env.now() >= c.expires_at {
            return Ok(Seen::Expired);
        }
        Ok(Seen::Current(c))
    }

    /// Records an answer's decision on a waiting challenge, once; false when it was no longer
    /// waiting.
    pub(crate) async fn settle(
        &self,
        id: &str,
        to: &ChallengeState,
        audit: &crate::model::AuditEvent,
        now: i64,
    ) -> Result<bool> {
        self.store.challenge_settle(id, to, audit, now).await
    }

    /// Deletes challenges (and stored login transactions) that expired before `before`.
    pub(crate) async fn sweep(&self, before: i64) -> Result<u64> {
        self.store.challenges_sweep(before).await
    }

    /// Takes a verified challenge, once, for the browser it was created for.
    pub(crate) async fn take(&self, id: &str, pre_id: &str) -> Result<Challenge> {
        self.store
            .challenge_take(id, &digest(pre_id))
            .await?
            .ok_or(Error::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_through_their_stored_parts() {
        for s in [
            ChallengeState::Waiting { shown: "a".into() },
            ChallengeState::Verified {
                outcome: "{}".into(),
            },
            ChallengeState::Refused {
                reason: "revoked".into(),
            },
            ChallengeState::Taken {
                outcome: "{}".into(),
            },
        ] {
            let (name, detail) = s.parts();
            assert_eq!(ChallengeState::from_parts(name, detail.to_owned()), Some(s));
        }
        assert_eq!(ChallengeState::from_parts("done", String::new()), None);
        assert_eq!(ChallengeKind::parse("esign"), Some(ChallengeKind::Esign));
        assert_eq!(ChallengeKind::parse("app"), Some(ChallengeKind::App));
        assert_eq!(ChallengeKind::parse("qr"), None);
    }
}
